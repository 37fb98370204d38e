"""Issue 4's role matrix: every route, by every method, tried by each role.

The routes come from the app's URL map, so a route added later is tried too, and one
table (MINIMUM) says who may reach each. An endpoint the table does not classify fails
`test_every_route_has_a_minimum_role_in_the_table`: a new route forces a decision.

Signed out, a page sends to sign-in (an htmx request or the JSON API gets 401); below the
minimum, 403; at or above it, anything but a refusal. A refused POST must write nothing.
One app and one small site per database, shared by the module: requests that are allowed
may change it, so every test reads the database afresh rather than expecting a state.
"""

import hashlib
import tempfile
import uuid
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter
from werkzeug.security import generate_password_hash

from tests.conftest import _app_for, build_site, sign_in
from webapp import counting, create_app, labels, masterdata, stock, users
from webapp.db import db
from webapp.models import (
    CountLine,
    CountTask,
    Item,
    Location,
    PickList,
    Receipt,
    Role,
    StockBalance,
    User,
)

PUBLIC = "public"
ANONYMOUS = "anonymous"

# The minimum role per endpoint ("blueprint.view"), or per blueprint where every route in
# it is guarded as one (a before_request, or the same decorator on each view): a route
# added there is held to the blueprint's minimum. Elsewhere each endpoint is named, so a
# new one is unclassified until someone decides.
MINIMUM = {
    "admin": Role.ADMIN,  # before_request: admins only
    "labels": Role.SUPERVISOR,  # before_request: supervisors reprint torn labels
    "reports": Role.SUPERVISOR,
    "supervisor": Role.SUPERVISOR,
    "auth.signin": PUBLIC,
    "auth.signin_post": PUBLIC,
    "auth.badge_signin": PUBLIC,
    "auth.signout": Role.WORKER,
    "auth.signout_everywhere": Role.WORKER,
    "api.health": PUBLIC,
    "home.index": Role.WORKER,
    "floor.receive": Role.WORKER,
    "floor.move": Role.WORKER,
    "floor.pick": Role.WORKER,
    "floor.count": Role.WORKER,
    "floor.look_up": Role.WORKER,
    "floor.putaway": Role.WORKER,
}
NOT_TRIED = {"static"}  # files, not views; the sign-in check lets them through by name

RANK = {PUBLIC: 0, ANONYMOUS: 0, Role.WORKER: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
ROLES = [ANONYMOUS, Role.WORKER, Role.SUPERVISOR, Role.ADMIN]
ADMIN_PIN = "4444"
SIGN_IN_AS = {
    Role.WORKER: ("wendy", None),
    Role.SUPERVISOR: ("sam", None),
    Role.ADMIN: ("ada", ADMIN_PIN),
}

# Sample values for string URL arguments, by name: an existing thing where one is needed.
# <int:...> arguments get 1 (every table's first row exists); <any(...)> gets each choice.
SAMPLES = {"kind": "location", "number": "PL2001"}

# What a refused POST sends: enough that, had the role check been missing, most routes
# would have written something (an item, a bin, a user, a document, a decision, a scan).
FORM = {
    "sku": "X1",
    "description": "x",
    "code": "Q-1",
    "kind": "storage",
    "aisle": "Q",
    "username": "mallory",
    "name": "Mallory",
    "role": "admin",
    "pin": "1234",
    "number": "PO9",
    "lines": "1042 1",
    "by": "zone",
    "value": "A",
    "confirm": "1",
    "active": "no",
    "reason": "role matrix",
    "line": "1",
    "text": "sku,description\nX2,y\n",
    "scan": "A0101A",
    "key": "role-matrix",
}
BLANK = dict.fromkeys(FORM, "")
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}


def minimum(endpoint: str):
    """The endpoint's minimum role from the table, or None if it is not classified."""
    if endpoint in MINIMUM:
        return MINIMUM[endpoint]
    return MINIMUM.get(endpoint.partition(".")[0])


def _routes():
    """(endpoint, method, url) for every rule and method, with sample URL arguments."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": "sqlite://",
                "SECRET_KEY": "x",
                "INSTANCE_PATH": instance,
            }
        )
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in NOT_TRIED:
                continue
            choices = [{}]
            for name, converter in rule._converters.items():  # werkzeug has no public way
                if isinstance(converter, IntegerConverter):
                    values = [1]
                elif isinstance(converter, AnyConverter):
                    values = sorted(converter.items)
                elif name in SAMPLES:
                    values = [SAMPLES[name]]
                else:
                    raise LookupError(f"{rule.rule}: add a sample value for <{name}> to SAMPLES")
                choices = [{**c, name: v} for c in choices for v in values]
            for args in choices:
                url = app.url_for(rule.endpoint, **args)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    routes.append((rule.endpoint, method, url))
    return sorted(set(routes))


ROUTES = _routes()
ENDPOINTS = {endpoint for endpoint, _, _ in ROUTES}


def _cases(wanted):
    """pytest params (endpoint, method, url, role) of every classified route, for each role
    that `wanted(role, minimum)` picks."""
    out = []
    for endpoint, method, url in ROUTES:
        least = minimum(endpoint)
        if least is None:
            continue  # test_every_route_has_a_minimum_role_in_the_table fails instead
        for role in ROLES:
            if wanted(role, least):
                out.append(pytest.param(endpoint, method, url, role, id=f"{method} {url} {role}"))
    return out


SIGNED_OUT = _cases(lambda role, least: role == ANONYMOUS and least != PUBLIC)
BELOW = _cases(lambda role, least: role != ANONYMOUS and RANK[role] < RANK[least])
AT_OR_ABOVE = _cases(lambda role, least: RANK[role] >= RANK[least])


# --- the site ----------------------------------------------------------------------------


class World:
    """One app on one database, its site, and a signed-in test client per role."""

    def __init__(self, app):
        self.app = app
        self._clients = {}

    def client(self, role):
        if role == ANONYMOUS:
            return self.app.test_client()
        if role not in self._clients:
            client = self.app.test_client()
            sign_in(client, *SIGN_IN_AS[role])
            self._clients[role] = client
        return self._clients[role]

    def forget(self, role):
        """Sign in afresh next time: an allowed request may have ended this session."""
        self._clients.pop(role, None)


def _build():
    # User 1 is a spare worker, so that an admin's allowed POST to /admin/users/1/...
    # (a deactivation needs no reason) never switches off a user the matrix signs in as.
    db.session.add(User(username="vic", name="Vic Spare", role=Role.WORKER))
    db.session.commit()
    site = build_site()
    admin = users.create_user("ada", "Ada Admin", role="admin", password=ADMIN_PIN)
    # Hashed cheaply, as conftest does for the site's users: the admin signs in often.
    db.session.get(User, admin.id).password_hash = generate_password_hash(
        ADMIN_PIN, "pbkdf2:sha256:1000"
    )
    db.session.commit()
    for bin_code, sku, qty, lot in (
        ("A-01-01-A", "1042", 13, None),
        ("A-01-02-A", "2001", 6, "L1"),
    ):
        stock.receive(
            site.worker,
            to_bin=bin_code,
            sku=sku,
            qty=qty,
            lot=lot,
            expiry=site.expiry if lot else None,
            key=uuid.uuid4().hex,
        )
    # Count task 1 with count line 1: a variance of -2 waiting for a supervisor.
    location = stock.find_location("A-01-01-A")
    db.session.add(CountTask(number="CT1", location_id=location.id))
    db.session.commit()
    counting.record(site.worker, "CT1", {("1042", ""): 11})
    masterdata.save_document(admin, masterdata.RECEIPTS, {"number": "PO1", "lines": "1042 5"})
    masterdata.save_document(admin, masterdata.PICK_LISTS, {"number": "PL1", "lines": "1042 2"})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """The app with a small site: stock, a lot, a count variance, a receipt, a pick list."""
    app = _app_for(request.param, tmp_path_factory.mktemp(request.param))
    with app.app_context():
        _build()
        yield World(app)
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def snapshot() -> dict:
    """Every table's row count and contents, and the sum of all balances."""
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:12])
        total = sa.select(sa.func.coalesce(sa.func.sum(StockBalance.quantity), 0))
        out["sum of balances"] = conn.execute(total).scalar_one()
    return out


def changed(before: dict, after: dict) -> dict:
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


# --- the matrix --------------------------------------------------------------------------


def test_every_route_has_a_minimum_role_in_the_table():
    unclassified = sorted(e for e in ENDPOINTS if minimum(e) is None)
    assert not unclassified, f"add these endpoints to MINIMUM in {__name__}: {unclassified}"
    assert len(ROUTES) > 60


def test_the_table_names_only_endpoints_and_blueprints_that_exist():
    blueprints = {e.partition(".")[0] for e in ENDPOINTS}
    assert set(MINIMUM) - ENDPOINTS - blueprints == set()


def test_the_sample_id_1_names_a_real_row_for_every_int_argument(world):
    for model in (Item, Location, User, Receipt, PickList, CountTask, CountLine):
        assert db.session.get(model, 1) is not None, model.__name__
    assert labels.label_for(SAMPLES["kind"], 1) is not None


@pytest.mark.parametrize("endpoint, method, url, role", SIGNED_OUT)
def test_signed_out_a_route_sends_to_sign_in_and_writes_nothing(world, endpoint, method, url, role):
    client = world.client(ANONYMOUS)
    data = FORM if method == "POST" else None
    before = snapshot()
    plain = client.open(url, method=method, data=data)
    htmx = client.open(url, method=method, data=data, headers=HTMX)
    if url.startswith("/api/"):
        assert plain.status_code == 401, plain.status
    else:
        assert plain.status_code == 302, plain.status
        assert urlsplit(plain.location).path == "/signin"
    assert htmx.status_code == 401, htmx.status
    if not url.startswith("/api/"):
        assert urlsplit(htmx.headers["HX-Redirect"]).path == "/signin"
    if method == "POST":
        assert changed(before, snapshot()) == {}


@pytest.mark.parametrize("endpoint, method, url, role", BELOW)
def test_a_role_below_the_minimum_gets_403_and_writes_nothing(world, endpoint, method, url, role):
    client = world.client(role)
    data = FORM if method == "POST" else None
    before = snapshot()
    plain = client.open(url, method=method, data=data)
    htmx = client.open(url, method=method, data=data, headers=HTMX)
    assert (plain.status_code, htmx.status_code) == (403, 403)
    if method == "POST":
        assert changed(before, snapshot()) == {}


@pytest.mark.parametrize("endpoint, method, url, role", AT_OR_ABOVE)
def test_a_role_at_or_above_the_minimum_is_not_refused(world, endpoint, method, url, role):
    client = world.client(role)
    # A blank form, as a browser sends one: the route is reached, and refuses the input
    # (400/422) or does little.
    response = client.open(url, method=method, data=BLANK if method == "POST" else None)
    if method == "POST":
        world.forget(role)  # it may have been a sign-out
    assert response.status_code not in (401, 403), response.status
    if role == ANONYMOUS:
        assert urlsplit(response.location or "").path != "/signin", "sent to sign in"
