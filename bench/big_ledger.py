"""Reports and scans on a million-movement ledger, against the same on the demo's ledger.

Loads the demo warehouse, times each report page (and a move's posting scan) on its small
ledger, then appends a million movements (spread over two years, 500 items, 300 bins, four
users) straight into the ledger table, ANALYZEs, and times the same again. The figure that
matters is the ratio: a page whose time grows with the ledger is missing an index or
reading too much. Movements are written by SQL, not through the ledger's use cases, so the
balances of this throwaway database do not add up; nothing here is a test.

    .venv/bin/python bench/big_ledger.py --db sqlite
    .venv/bin/python bench/big_ledger.py --db postgresql --movements 200000
"""

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scan_bench import SCAN_HEADERS, prepare  # noqa: E402
from bench.scan_profile import database_url  # noqa: E402

KINDS = ["move"] * 8 + ["pick"] * 8 + ["receive"] * 3 + ["adjust"]


def signed_in(app, username: str, pin: str):
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/signin", data={"username": username, "pin": pin, "csrf_token": token})
    page = client.get("/move").get_data(as_text=True)
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return client


def timed(call, runs: int = 5) -> float:
    """Median milliseconds of `runs` calls, after one untimed call."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def pages(app) -> dict:
    """What a supervisor or admin opens, by name, as URLs."""
    from webapp.db import db
    from webapp.models import Item, Location, StockMovement

    with app.app_context():
        sku = db.session.scalar(sa.select(Item.sku).order_by(Item.id).limit(1))
        location_id, code = db.session.execute(
            sa.select(Location.id, Location.code).where(Location.code.like("A-%"))
            .order_by(Location.sequence).limit(1)).one()
        middle = db.session.scalar(sa.select(sa.func.max(StockMovement.id))) // 2
        newest = db.session.scalar(sa.select(sa.func.max(StockMovement.created_at)))
    since = (newest - timedelta(days=30)).date().isoformat()
    until = (newest - timedelta(days=20)).date().isoformat()
    return {
        "reports: floor overview": "/reports/",
        "ledger: newest page": "/reports/movements",
        "ledger: one item": f"/reports/movements?sku={sku}",
        "ledger: one bin": f"/reports/movements?bin={code}",
        "ledger: one user": "/reports/movements?user=wendy",
        "ledger: adjustments": "/reports/movements?kind=adjust",
        "ledger: ten days": f"/reports/movements?since={since}&until={until}",
        "ledger: a page deep in": f"/reports/movements?before={middle}",
        "ledger CSV: one item": f"/reports/movements.csv?sku={sku}",
        "on hand": "/reports/on-hand",
        "stock by zone": "/reports/stock",
        "low stock": "/reports/low-stock",
        "expiring lots": "/reports/expiring",
        "excess stock": "/reports/excess",
        "count accuracy": "/reports/accuracy",
        "a bin's history": f"/admin/locations/{location_id}/history",
    }


def measure(app, pair) -> dict:
    boss = signed_in(app, "ada", "admin")
    worker = signed_in(app, "wendy", "1111")
    figures = {}
    for name, url in pages(app).items():
        def get(url=url):
            response = boss.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.get_data()
        figures[name] = timed(get)
    here, there = pair["a"], pair["b"]

    def scan():
        nonlocal here, there
        response = worker.post("/move", headers=SCAN_HEADERS, data={
            "csrf_token": worker.csrf, "s_from": here[0], "s_sku": pair["sku"], "s_qty": "1",
            "scan": there[1], "key": uuid.uuid4().hex})
        assert b"Moved" in response.data, response.data[:200]
        here, there = there, here

    figures["floor: a move's posting scan"] = timed(scan, runs=51)
    return figures


def append_movements(app, count: int, seed: int = 7) -> float:
    """Write `count` movements by SQL in batches; returns the seconds it took."""
    from webapp.db import db, refresh_statistics
    from webapp.models import Item, Location, StockMovement, User, utcnow

    rng = random.Random(seed)
    started = time.perf_counter()
    with app.app_context():
        items = db.session.scalars(sa.select(Item.id)).all()
        bins = db.session.scalars(sa.select(Location.id)).all()
        users = db.session.scalars(sa.select(User.id).where(User.username != "system")).all()
        end = utcnow()
        start = end - timedelta(days=730)
        step = (end - start) / count
        table = StockMovement.__table__
        batch = []
        for n in range(count):
            kind = rng.choice(KINDS)
            source = None if kind == "receive" else rng.choice(bins)
            target = None if kind == "adjust" else rng.choice(bins)
            batch.append({
                "kind": kind, "item_id": rng.choice(items), "lot_id": None,
                "from_location_id": source, "to_location_id": target,
                "quantity": rng.randint(1, 24), "user_id": rng.choice(users),
                "device_id": "bench", "created_at": start + step * n,
                "reference": f"PL{n // 20:07d}" if kind == "pick" else "",
                "reason": "", "idempotency_key": f"big-{n:09d}", "reverses_id": None,
            })
            if len(batch) == 10_000:
                db.session.execute(sa.insert(table), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(sa.insert(table), batch)
            db.session.commit()
        refresh_statistics()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--movements", type=int, default=1_000_000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="binscan-big-")
    url = database_url(args.db, tmp)
    pairs, _ = prepare(url, tmp, scanners=1)
    from webapp import create_app

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp})
    small = measure(app, pairs[0])
    seconds = append_movements(app, args.movements)
    big = measure(app, pairs[0])
    print(f"\n{args.db}: {args.movements:,} movements appended in {seconds:.0f} s. "
          "Median ms, in-process (Flask test client):")
    print(f"{'page':32} {'demo ledger':>12} {'big ledger':>12} {'ratio':>7}")
    for name in small:
        print(f"{name:32} {small[name]:12.1f} {big[name]:12.1f} {big[name] / small[name]:7.1f}")


if __name__ == "__main__":
    main()
