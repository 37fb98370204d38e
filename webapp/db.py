"""The SQLAlchemy object, SQLite connection set-up and the write-transaction helper.

SQLite has one writer. A transaction that begins as a read and later writes fails at once
with "database is locked" if another connection wrote meanwhile, whatever the busy
timeout says. So every write transaction here starts with BEGIN IMMEDIATE (it waits for
the lock up front, within the busy timeout); reads keep a plain BEGIN. Python 3.11's
sqlite3 module would otherwise issue its own BEGINs, so we take transaction control over
through engine events, as the SQLAlchemy SQLite dialect documentation describes.

A web request's reads run outside any transaction, on both databases, and only
write_transaction() sends BEGIN. PostgreSQL runs READ COMMITTED, where every statement
reads a fresh snapshot, in a transaction or not; SQLite outside a transaction gives each
statement its own snapshot too. So nothing a request reads changes meaning, and every
request is spared a BEGIN and a COMMIT or ROLLBACK (on PostgreSQL two of the five round
trips a read-only scan made). Outside requests (the CLI, the migrations, the demo load)
every transaction is a real one, as before. A request that writes outside
write_transaction() is refused on both databases: nothing may rely on a read transaction
to hold its writes.
"""

import contextvars
import functools
import time
from contextlib import contextmanager

import sqlalchemy as sa
from flask import has_request_context
from flask_sqlalchemy import SQLAlchemy
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


# expire_on_commit=False: objects loaded earlier in a request (the user, the bin shown)
# stay usable after a use case commits, without reloading them.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

_writing = contextvars.ContextVar("binscan_writing", default=False)
_IDLE = TransactionStatus.IDLE

# PostgreSQL: serialization failure and deadlock; both are safe to retry from the start.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def init_app(app):
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
            elif engine.dialect.name == "postgresql":
                _configure_postgresql(engine)


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
        if _writing.get():
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif not has_request_context():
            conn.exec_driver_sql("BEGIN")


def _configure_postgresql(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.autocommit = True  # we send BEGIN ourselves

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        if _writing.get() or not has_request_context():
            conn.exec_driver_sql("BEGIN")


@event.listens_for(Session, "before_flush")
def _flush_only_in_write_transactions(session, _context, _instances):
    if has_request_context() and not _writing.get():
        raise RuntimeError("A request wrote outside write_transaction().")


@event.listens_for(Session, "do_orm_execute")
def _dml_only_in_write_transactions(state):
    writes = state.is_insert or state.is_update or state.is_delete
    if writes and not _writing.get() and has_request_context():
        raise RuntimeError("A request wrote outside write_transaction().")


@contextmanager
def write_transaction():
    """Run the block as one write transaction: commit at the end, roll back on error.

    Inside another write transaction the block joins it under a SAVEPOINT: an error undoes
    the block alone and goes on up; nothing is committed until the outermost block ends.
    So a step made of several use cases (an approval's adjustment and its decision, the
    demo load) is written whole or not at all."""
    session = db.session()  # this request's (or thread's) session
    if _writing.get():
        with session.begin_nested():
            yield session
        return
    if session.in_transaction():
        # Turn the request's reads into a write transaction on the same connection. Done
        # at the driver rather than by committing the session, which would hand the
        # connection back to the pool and take it again (about 0.1 ms a scan).
        connection = session.connection()
        dbapi_connection = connection.connection.dbapi_connection
        if connection.dialect.name == "sqlite":
            if dbapi_connection.in_transaction:  # a read transaction (outside a request)
                connection.exec_driver_sql("COMMIT")
            # BEGIN IMMEDIATE waits for the write lock up front.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif dbapi_connection.info.transaction_status == _IDLE:
            connection.exec_driver_sql("BEGIN")  # the reads before ran outside one
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
        if _writing.get():  # part of a larger transaction: its outermost block retries
            with write_transaction():
                return func(*args, **kwargs)
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
