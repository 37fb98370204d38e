"""The database out of reach for a moment: PostgreSQL restarted (or failed over) under the
app's pooled connections, or SQLite's write lock held past the busy timeout. A scan then is
answered 503, which the handheld's queue resends with the same idempotency key (scan.js
resends a 502-504 as it does a scan that got no answer), so it posts once when the
database is back; never a 500 that drops the scan for the worker to scan anew, perhaps
twice. A page asked for meanwhile says what happened and to try again."""

import sqlite3
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import build_site, postgres_url, sign_in
from tests.helpers import ledger_matches_balances
from webapp import create_app, stock
from webapp.db import db
from webapp.models import StockMovement

SCAN_QUEUE = {"HX-Request": "true", "HX-Target": "step"}
SAYS = "The database cannot be reached just now"


def destination_scan(client, key):
    """The last scan of a move of 1 × 1042 from A-01-01-A to A-01-02-A: it posts."""
    return client.post("/move", headers=SCAN_QUEUE, data={
        "s_from": "A-01-01-A", "s_sku": "1042", "s_qty": "1", "scan": "A0102A", "key": key})


def posted(key) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement).where(
        StockMovement.idempotency_key == key))


def worker_with_stock(app):
    """A client signed in as wendy, with 5 × 1042 in A-01-01-A to move."""
    site = build_site()
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    client = app.test_client()
    sign_in(client, "wendy")
    return client


@pytest.fixture
def after_restart(pg_app):
    """A signed-in client whose app's pooled connections PostgreSQL has since dropped, as
    a restart does (the app's own backends only: no other test's)."""
    pids = {db.session.connection().connection.dbapi_connection.info.backend_pid}
    db.session.remove()
    sa.event.listen(db.engine, "checkout",
                    lambda dbapi, _record, _proxy: pids.add(dbapi.info.backend_pid))
    client = worker_with_stock(pg_app)
    db.session.remove()
    admin = sa.create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE pid = ANY(:pids)"), {"pids": list(pids)})
    admin.dispose()
    return client


def test_a_scan_on_a_connection_postgresql_dropped_is_resent_and_posts_once(after_restart):
    key = uuid.uuid4().hex
    lost = destination_scan(after_restart, key)
    assert lost.status_code == 503 and lost.headers["Retry-After"]
    assert posted(key) == 0

    resent = destination_scan(after_restart, key)  # what scan.js does two seconds later
    assert resent.status_code == 200 and "Moved: 1 × 1042" in resent.get_data(as_text=True)
    assert posted(key) == 1 and ledger_matches_balances()


def test_a_page_asked_for_while_postgresql_is_out_of_reach_says_so(after_restart):
    response = after_restart.get("/move")
    assert response.status_code == 503
    assert SAYS in response.get_data(as_text=True)
    assert 'href="/">Back to the start page' in response.get_data(as_text=True)
    assert after_restart.get("/move").status_code == 200  # the pool let the dead ones go


def test_the_api_says_so_in_json(after_restart):
    response = after_restart.get("/api/health")
    assert response.status_code == 503 and response.json["error"].startswith(SAYS)


@pytest.fixture
def quick_sqlite(tmp_path):
    """SQLite that gives up waiting for the write lock after 0.2 s, not 5 s, and for a
    connection from its pool of one after 0.2 s."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/test.db",
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLITE_BUSY_TIMEOUT_MS": 200,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0,
                                                    "pool_timeout": 0.2}})
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_scan_that_finds_sqlite_locked_past_the_timeout_is_resent_and_posts_once(
    quick_sqlite,
):
    client = worker_with_stock(quick_sqlite)
    key = uuid.uuid4().hex
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, and slow about it
    try:
        locked = destination_scan(client, key)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert locked.status_code == 503
    assert posted(key) == 0

    resent = destination_scan(client, key)
    assert resent.status_code == 200 and "Moved: 1 × 1042" in resent.get_data(as_text=True)
    assert posted(key) == 1 and ledger_matches_balances()


def test_a_scan_that_finds_every_pooled_connection_busy_is_resent_and_posts_once(quick_sqlite):
    """More requests at once than the pool holds connections (threaded workers)."""
    client = worker_with_stock(quick_sqlite)
    key = uuid.uuid4().hex
    db.session.remove()
    held = db.engine.connect()  # another request holding the pool's only connection
    try:
        busy = destination_scan(client, key)
    finally:
        held.close()
    assert busy.status_code == 503 and SAYS in busy.get_data(as_text=True)
    assert posted(key) == 0
    assert destination_scan(client, key).status_code == 200
    assert posted(key) == 1
