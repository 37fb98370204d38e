"""Domain errors and failed requests become responses here, and only here."""

from flask import current_app, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

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
    # Flask has logged the exception and the request's transaction is rolled back. The
    # page is drawn plain if drawing it fails too (the database may be what failed).
    try:
        return _answer(FAILED, 500)
    except Exception:
        current_app.logger.exception("The error page could not be drawn")
        return (f'<!doctype html><title>Binscan</title><p role="alert">{escape(FAILED)}</p>'
                '<p><a href="/">Back to the start page</a></p>', 500)


def _answer(message: str, status: int):
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", message=message), status
