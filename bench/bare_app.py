"""The floor under a scan: a bare Flask route doing a move's write in hand-written SQL.

No sign-in, no CSRF, no templates, no ORM: one transaction that inserts a movement and
moves one unit between two balance rows with conditional UPDATEs, on the same database
and the same server (gunicorn) as the real app. Served by bench/scan_bench.py.
"""

import os
import uuid

import sqlalchemy as sa
from flask import Flask, request

engine = sa.create_engine(os.environ["BENCH_DATABASE_URL"])
sqlite = engine.dialect.name == "sqlite"
if sqlite:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=5000")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

app = Flask(__name__)

MOVE = sa.text(
    "INSERT INTO stock_movement (kind, item_id, from_location_id, to_location_id, quantity,"
    " user_id, device_id, created_at, reference, reason, idempotency_key)"
    " VALUES ('move', :item, :src, :dst, 1, :user, 'bench', CURRENT_TIMESTAMP, '', '', :key)"
)
TAKE = sa.text(
    "UPDATE stock_balance SET quantity = quantity - 1"
    " WHERE item_id = :item AND location_id = :src AND lot_id IS NULL AND quantity >= 1"
)
PUT = sa.text(
    "UPDATE stock_balance SET quantity = quantity + 1"
    " WHERE item_id = :item AND location_id = :dst AND lot_id IS NULL"
)


@app.post("/bare-move")
def bare_move():
    f = request.form
    values = dict(item=int(f["item"]), src=int(f["src"]), dst=int(f["dst"]),
                  user=int(f["user"]), key=f.get("key") or uuid.uuid4().hex)
    with engine.begin() as conn:
        conn.execute(MOVE, values)
        if conn.execute(TAKE, values).rowcount != 1:
            raise RuntimeError("not enough stock")
        conn.execute(PUT, values)
    return f"<div id=step>Moved 1 of {values['item']}</div>"
