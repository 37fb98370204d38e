"""The reference for a scan: a bare Flask route doing the same ledger write.

bench/bare_app.py writes a move in hand-written SQL: the least a move can cost. This route
makes the same move through the code a scan uses, `stock.move` (the user by id, both bins
and the item by their codes, the checks, the movement and both balances, one
transaction), with nothing of the web tier around it: no sign-in, no CSRF, no resolver,
no template. A scan's time over this route's is what the web tier adds; this route's
over bare_app's is what the ledger's code adds. Served by bench/scan_bench.py.
"""

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, request

from webapp import db as database
from webapp import stock
from webapp.models import User

ROOT = Path(__file__).resolve().parent.parent

app = Flask(__name__)
app.config.from_pyfile(str(ROOT / "config" / "settings.py"))  # MAX_QUANTITY and the like
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
database.init_app(app)  # the app's engine set-up: BEGIN IMMEDIATE on SQLite, and so on
# Built once, as the app's sign-in builds the query that loads the user on every request.
USER = sa.select(User).where(User.id == sa.bindparam("id"))


@app.post("/ledger-move")
def ledger_move():
    f = request.form
    user = database.db.session.scalar(USER, {"id": int(f["user"])})
    posted = stock.move(user, from_bin=f["src"], to_bin=f["dst"], sku=f["sku"], qty=1,
                        key=f["key"], device="bench")
    return f"<div id=step>Moved {stock.describe(posted.movement)}</div>"
