"""Domain errors become responses here, and only here."""

from flask import jsonify, render_template, request

from .stock import StockError


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app):
    @app.errorhandler(StockError)
    def stock_error(error: StockError):
        if wants_json():
            return jsonify(error=error.message), error.status
        return render_template("error.html", message=error.message), error.status
