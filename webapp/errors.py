"""Domain errors and failed requests become responses here, and only here."""

import contextlib

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from .db import db
from .stock import StockError

# What a worker reads when a request fails outright, in place of the server's own page.
SAID = {
    400: "That request could not be read. Go back to the start page and try again.",
    404: "There is no page at this address. The link may be old.",
    405: "This page cannot be opened that way. Go back to the start page and try again.",
}
FAILED = (
    "Something went wrong on the server. Your last step may not be recorded: check it "
    "(Look up shows a bin or a document) before doing it again, and tell a supervisor if "
    "it happens again."
)
# Read on a page opened meanwhile; a scan's 503 is resent by scan.js, which says so itself.
UNREACHABLE = (
    "The database cannot be reached just now. Try again in a moment; if it lasts, tell a "
    "supervisor."
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app):
    @app.errorhandler(StockError)
    def stock_error(error: StockError):
        if wants_json():
            return jsonify(error=error.message), error.status
        return render_template("error.html", message=error.message), error.status

    # Handlers of our own (403, CSRF) are more specific and still answer theirs.
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(sa.exc.OperationalError, _database_unreachable)
    app.register_error_handler(sa.exc.TimeoutError, _database_unreachable)  # pool exhausted


def _http_error(error: HTTPException):
    if error.description != type(error).description:
        message = error.description  # a reason of ours, given to abort()
    elif error.code == 413:
        most = current_app.config["MAX_CONTENT_LENGTH"] // 1024
        size = f"{most // 1024} MB" if most >= 1024 else f"{most} KB"
        message = f"That is too large to send: {size} at most."
    else:
        message = SAID.get(error.code, f"That request failed ({error.code} {error.name}).")
    return _answer(message, error.code)


def _server_error(_error: InternalServerError):
    # Flask has logged the exception and the request's transaction is rolled back.
    return _drawn(FAILED, 500)


def _database_unreachable(error: sa.exc.SQLAlchemyError):
    """PostgreSQL restarted under the pool (SQLAlchemy then lets its dead connections go),
    SQLite's write lock held past the busy timeout, the pool exhausted. A 503, which the
    handheld's scan queue resends with the same key until it lands: once, even if the
    commit reached the database as the connection dropped (the key answers "Already
    recorded").
    (SQLite raises the same error for a table or column missing: a database the
    migrations have not brought up to date answers 503 too, until `flask db upgrade`.)"""
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    current_app.logger.warning("Database out of reach, answered 503: %s", reason)
    with contextlib.suppress(sa.exc.SQLAlchemyError):  # the connection may be gone
        db.session.rollback()
    response, status = _drawn(UNREACHABLE, 503)
    return response, status, {"Retry-After": "2"}


def _drawn(message: str, status: int):
    """The answer, drawn plain if drawing the page fails too (it asks who is signed in,
    and the database may be what failed)."""
    try:
        return _answer(message, status)
    except Exception:
        current_app.logger.exception("The error page could not be drawn")
        return (f'<!doctype html><title>Binscan</title><p role="alert">{escape(message)}</p>'
                '<p><a href="/">Back to the start page</a></p>', status)


def _answer(message: str, status: int):
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", message=message), status
