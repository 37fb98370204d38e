"""The application factory's configuration: secrets, databases, SQLite settings."""

import secrets

import pytest
import sqlalchemy as sa
from flask import request

from tests.conftest import csrf_token
from webapp import auth, create_app
from webapp.db import db, write_transaction


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert len(first) == 64 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_workers_starting_together_all_keep_the_key_written_first(tmp_path, monkeypatch):
    """gunicorn's workers start at once: one that finds no key file and makes a key while
    another writes its own must take the key on disk, or each signs sessions differently
    and a worker's requests sign out those of the other."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    theirs = "b" * 64

    def another_worker_wins_meanwhile(_n):
        (tmp_path / "secret_key").write_text(theirs)
        return "a" * 64

    monkeypatch.setattr(secrets, "token_hex", another_worker_wins_meanwhile)
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == theirs
    assert (tmp_path / "secret_key").read_text() == theirs
    assert [p.name for p in tmp_path.iterdir() if "secret" in p.name] == ["secret_key"]


def test_production_cookies_are_secure(tmp_path):
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_the_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'binscan.db'}"


def test_database_url_from_the_environment_switches_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db.example/binscan")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/binscan"


def test_settings_are_read_from_binscan_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("BINSCAN_MAX_QUANTITY", "5000")
    monkeypatch.setenv("BINSCAN_OVER_RECEIPT", "block")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["MAX_QUANTITY"] == 5000 and app.config["OVER_RECEIPT"] == "block"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_app):
    pragma = {
        name: db.session.execute(sa.text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "foreign_keys", "busy_timeout")
    }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}


def test_sqlite_write_transactions_begin_immediate_and_reads_do_not(sqlite_app):
    seen = []
    sa.event.listen(
        db.engine, "before_cursor_execute", lambda conn, cur, stmt, *a: seen.append(stmt)
    )
    db.session.execute(sa.text("SELECT 1"))
    db.session.commit()
    with write_transaction() as session:
        session.execute(sa.text("SELECT 2"))
    begins = [s for s in seen if s.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]


def test_the_health_check_answers_without_sign_in(client):
    response = client.get("/api/health")
    assert response.status_code == 200 and response.json["status"] == "ok"


@pytest.mark.parametrize(
    "proxies, seen", [(0, "http://localhost/where"), (1, "https://wms.example/where")]
)
def test_only_a_trusted_proxy_decides_the_scheme_and_host_the_app_sees(
    tmp_path, monkeypatch, proxies, seen
):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "TRUSTED_PROXIES": proxies}
    )
    app.add_url_rule("/where", "where", lambda: request.url)
    monkeypatch.setattr(auth, "PUBLIC_ENDPOINTS", auth.PUBLIC_ENDPOINTS | {"where"})
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wms.example"}
    assert app.test_client().get("/where", headers=headers).get_data(as_text=True) == seen


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(tmp_path):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "MAX_CONTENT_LENGTH": 1000}
    )
    response = app.test_client().post("/signin", data={"pin": "x" * 5000})
    assert response.status_code == 413


def _in_database_transaction() -> bool:
    dbapi = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "sqlite":
        return dbapi.in_transaction
    from psycopg.pq import TransactionStatus

    return dbapi.info.transaction_status != TransactionStatus.IDLE


def test_nul_characters_in_form_fields_and_query_arguments_are_dropped(client, site):
    # PostgreSQL refuses NUL in text: sign-in with one was a 500 before anyone signed in.
    response = client.post("/signin", data={
        "username": "wen\x00dy", "pin": "1111", "csrf_token": csrf_token(client)})
    assert response.status_code == 302  # signed in as wendy
    with client.application.test_request_context("/lookup?s=a%00b", data={"x": "1\x002"}):
        assert request.args["s"] == "ab" and request.form["x"] == "12"


def test_requests_read_outside_a_transaction_and_write_inside_one(app):
    with app.test_request_context():
        db.session.execute(sa.text("SELECT 1"))
        assert not _in_database_transaction()  # no BEGIN, so no COMMIT or ROLLBACK either
        with write_transaction() as session:
            session.execute(sa.text("SELECT 2"))
            assert _in_database_transaction()
        db.session.execute(sa.text("SELECT 3"))
        assert not _in_database_transaction()
        db.session.remove()
    # Outside a request (the CLI, migrations, the demo load) every transaction is real.
    db.session.execute(sa.text("SELECT 1"))
    assert _in_database_transaction()
    db.session.rollback()


@pytest.mark.parametrize("how", ["flush", "core"])
def test_a_request_cannot_write_outside_a_write_transaction(app, site, how):
    # PostgreSQL would commit such a write statement by statement, SQLite would drop it at
    # the end of the request: either way it is a bug, so it fails loudly in the tests.
    from webapp.models import Warehouse

    with app.test_request_context():
        with pytest.raises(RuntimeError, match="outside write_transaction"):
            if how == "flush":
                db.session.add(Warehouse(code="W9", name="Stray"))
                db.session.flush()
            else:
                db.session.execute(sa.update(Warehouse).values(name="Stray"))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Warehouse)) == 1
        db.session.remove()
