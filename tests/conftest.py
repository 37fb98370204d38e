"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use TEST_DATABASE_URL (default: the local server, database `test`).
Without a server they skip with the reason; under CI=true they fail instead, because CI
must prove both databases.
"""

import os
import re
import types
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from webapp import create_app
from webapp.db import db
from webapp.models import (
    Item,
    ItemBarcode,
    Location,
    LocationKind,
    Role,
    Tracking,
    User,
    Warehouse,
)

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
_pg_state = {}


def postgres_url() -> str:
    """The test server's URL, or skip (fail under CI) with the reason it is unusable."""
    if "error" not in _pg_state:
        try:
            engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
            _pg_state["error"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
            _pg_state["error"] = f"PostgreSQL at {PG_URL} unreachable: {exc.__class__.__name__}"
    if _pg_state["error"]:
        if IN_CI:
            pytest.fail(_pg_state["error"] + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(_pg_state["error"])
    return PG_URL


def make_app(tmp_path, url):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )


def _fresh_schema(app, dialect):
    with app.app_context():
        if dialect == "postgresql":
            if not _pg_state.get("schema"):
                db.drop_all()
                db.create_all()
                _pg_state["schema"] = True
            else:
                names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                with db.engine.begin() as conn:
                    conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            db.create_all()


def _app_for(dialect, tmp_path):
    url = postgres_url() if dialect == "postgresql" else f"sqlite:///{tmp_path}/test.db"
    app = make_app(tmp_path, url)
    _fresh_schema(app, dialect)
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    """The app on each database in turn, with an empty schema."""
    app = _app_for(request.param, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def pg_app(tmp_path):
    app = _app_for("postgresql", tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path):
    app = _app_for("sqlite", tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# The site's users' PINs. Hashed once, cheaply: check_password_hash reads the method from
# the hash, and the real cost (scrypt) would add a second to every test that builds a site.
PINS = {"wendy": "1111", "oscar": "2222", "sam": "3333"}
_PIN_HASHES = {
    name: generate_password_hash(pin, "pbkdf2:sha256:1000") for name, pin in PINS.items()
}
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client) -> str:
    """The CSRF token of the client's current session, as a page shows it."""
    page = client.get("/signin").get_data(as_text=True)
    return _CSRF_META.search(page).group(1)


def sign_in(client, username: str, password: str | None = None):
    """Sign `client` in through the real sign-in form, then make it send the CSRF token.

    CSRF protection stays on in tests. This posts the sign-in form with the page's token,
    then sets the new session's token as an `X-CSRFToken` header on every later request
    of this client (as htmx does from <body hx-headers>), so `client.post(url, data=...)`
    just works afterwards. To send a request without it: `headers={"X-CSRFToken": ""}`.
    `password` defaults to the site user's PIN (PINS). Returns the sign-in response (a
    redirect); fails the test if sign-in was refused. Signing in again switches user.

        sign_in(client, "sam")               # a supervisor
        client.post("/receive", data={...})  # token sent for you
    """
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    response = client.post(
        "/signin",
        data={
            "username": username,
            "pin": PINS.get(username, "") if password is None else password,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302, f"sign-in as {username} refused ({response.status})"
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client)
    return response


@pytest.fixture
def signed_in_client(client, site):
    """A test client signed in as wendy, the site's worker, sending the CSRF token."""
    sign_in(client, "wendy")
    return client


def build_site():
    """A small warehouse: dock, staging, four bins, plain, cased, lot and serial items."""
    with db.session.begin():
        wh = Warehouse(code="WH1", name="Main")
        db.session.add(wh)
        db.session.flush()

        def bin(code, kind=LocationKind.STORAGE, seq=0, active=True):
            loc = Location(
                warehouse_id=wh.id,
                code=code,
                barcode=code.replace("-", ""),
                kind=kind,
                sequence=seq,
                active=active,
                zone="A",
            )
            db.session.add(loc)
            return loc

        site = types.SimpleNamespace(warehouse=wh)
        site.dock = bin("DOCK-1", LocationKind.DOCK)
        site.stage = bin("SHIP-1", LocationKind.STAGING)
        site.a1 = bin("A-01-01-A", seq=10)
        site.a2 = bin("A-01-02-A", seq=20)
        site.b1 = bin("B-01-01-A", seq=30)
        site.closed = bin("Z-99-99-Z", active=False)

        def item(sku, tracking=Tracking.NONE, barcodes=(), cost="2.50"):
            it = Item(
                sku=sku, description=f"Item {sku}", tracking=tracking, unit_cost=Decimal(cost)
            )
            it.barcodes = [ItemBarcode(code=c, pack_qty=q) for c, q in barcodes]
            db.session.add(it)
            return it

        site.widget = item("1042", barcodes=[("05012345678900", 1), ("15012345678907", 12)])
        site.milk = item("2001", Tracking.LOT, barcodes=[("04006381333931", 1)])
        site.drill = item("3001", Tracking.SERIAL)
        site.worker = User(username="wendy", name="Wendy Worker", role=Role.WORKER)
        site.other = User(username="oscar", name="Oscar Other", role=Role.WORKER)
        site.boss = User(username="sam", name="Sam Supervisor", role=Role.SUPERVISOR)
        for user in (site.worker, site.other, site.boss):
            user.password_hash = _PIN_HASHES[user.username]
        db.session.add_all([site.worker, site.other, site.boss])
    site.expiry = date.today() + timedelta(days=120)  # in the future whenever the tests run
    return site


@pytest.fixture
def site(app):
    return build_site()


@pytest.fixture
def far(site):
    """A second warehouse, with a bin and a staging location of its own."""
    wh = Warehouse(code="WH2", name="North")
    db.session.add(wh)
    db.session.flush()
    for code, kind in (("N-01-01-A", LocationKind.STORAGE), ("SHIP-N", LocationKind.STAGING)):
        db.session.add(Location(warehouse_id=wh.id, code=code, barcode=code.replace("-", ""),
                                kind=kind, zone="A"))
    db.session.commit()
    return site
