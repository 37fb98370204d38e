"""The JSON API: health now; the offline scan queue and integrations later."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from .db import db

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/health")
def health():
    """Liveness and database reachability, for load balancers."""
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok", database=db.engine.dialect.name)
