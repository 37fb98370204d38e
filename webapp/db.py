"""The SQLAlchemy object, SQLite connection set-up and the write-transaction helper.

SQLite has one writer. A transaction that begins as a read and later writes fails at once
with "database is locked" if another connection wrote meanwhile, whatever the busy
timeout says. So every write transaction here starts with BEGIN IMMEDIATE (it waits for
the lock up front, within the busy timeout); reads keep a plain BEGIN. Python 3.11's
sqlite3 module would otherwise issue its own BEGINs, so we take transaction control over
through engine events, as the SQLAlchemy SQLite dialect documentation describes.
"""

import contextvars
import functools
import time
from contextlib import contextmanager

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# expire_on_commit=False: objects loaded earlier in a request (the user, the bin shown)
# stay usable after a use case commits, without reloading them.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

_writing = contextvars.ContextVar("binscan_writing", default=False)

# PostgreSQL: serialization failure and deadlock; both are safe to retry from the start.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def init_app(app):
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _configure_sqlite(engine, busy_timeout_ms):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


@contextmanager
def write_transaction():
    """Run the block as one write transaction: commit at the end, roll back on error."""
    session = db.session()  # this request's (or thread's) session
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # Turn the request's read transaction into a write transaction on the same
        # connection: end the read, then BEGIN IMMEDIATE, so the write waits for the lock
        # up front. Done at the driver rather than by committing the session, which would
        # hand the connection back to the pool and take it again (about 0.1 ms a scan).
        # (PostgreSQL's READ COMMITTED reads fresh data at every statement: it carries on.)
        connection = session.connection()
        connection.exec_driver_sql("COMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    token = _writing.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing.reset(token)


def transactional(func):
    """Make a use case one write transaction, retried when PostgreSQL asks for a retry."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(5):
            try:
                with write_transaction():
                    return func(*args, **kwargs)
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate not in RETRYABLE_SQLSTATES or attempt == 4:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper


def refresh_statistics():
    """ANALYZE after a bulk load, so the query planner knows the tables' sizes at once.
    Before PostgreSQL's autovacuum gets to a freshly loaded warehouse, it thinks tables
    hold a row or two; a pick scan then walked every bin of the warehouse (measured:
    1.1 ms against 0.45 ms per pick scan's stock query on the demo warehouse)."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
