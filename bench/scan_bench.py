"""Scan-step benchmark: what a worker's scan costs on the server, against its reference.

A full scan step (a move's destination scan: session, CSRF, the resolver, the flow's rules,
the ledger write, the fragment) is timed beside a bare Flask route doing the same ledger
write (bench/ledger_app.py: it calls the ledger's own stock.move, with no sign-in, CSRF,
resolver or template), all served by gunicorn (2 sync workers) on the same database, in
the same run, at 1 and 8 concurrent simulated scanners, in rounds that take turns. Figures
are ratios against that reference, because this machine is noisy: a scan over it is what
the web tier adds. A lower floor, the same move in hand-written SQL (bench/bare_app.py),
is shown beside it: the ledger route over it is what the ledger's code adds to SQL.
Read-only steps (scanning the source bin; an item scan on a pick line) are shown too.
Beside the latencies it prints the CPU each step costs the web workers (and PostgreSQL's
processes), read from /proc: it is steadier than a latency percentile when the machine is
busy. Each simulated scanner signs in once, as a handheld does at the start of a shift.
Nothing here is a test: it prints figures.

    .venv/bin/python bench/scan_bench.py                 # SQLite, then PostgreSQL if up
    .venv/bin/python bench/scan_bench.py --db sqlite --requests 200
"""

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_BENCH_DB = "binscan_bench"
ROUNDS = 10  # more, shorter rounds spread a noisy spell more evenly over the kinds
GUNICORN = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--worker-class", "sync",
            "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, instance: str, scanners: int):
    """A demo warehouse, and one (item, bin, bin) per scanner with the unit moving between."""
    from flask_migrate import upgrade

    from webapp import create_app, demo, stock
    from webapp.db import db
    from webapp.models import Item, Location, LocationKind, StockBalance, User

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
    with app.app_context():
        upgrade()
        demo.load()
        wendy = db.session.scalar(sa.select(User).where(User.username == "wendy"))
        rows = db.session.execute(
            sa.select(Item.sku, Location.code, Location.barcode, Item.id, Location.id)
            .join(StockBalance, StockBalance.item_id == Item.id)
            .join(Location, Location.id == StockBalance.location_id)
            .where(StockBalance.quantity >= 10, StockBalance.lot_id.is_(None),
                   Location.kind == LocationKind.PICK)
            .order_by(Item.sku)
        ).all()
        empty = db.session.execute(
            sa.select(Location.code, Location.barcode, Location.id)
            .where(Location.kind == LocationKind.STORAGE,
                   Location.id.not_in(sa.select(StockBalance.location_id)))
            .order_by(Location.sequence)
        ).all()
        pairs, used = [], set()
        for sku, code, barcode, item_id, loc_id in rows:
            if sku in used or len(pairs) == scanners:
                continue
            used.add(sku)
            dst = empty[len(pairs)]
            # One real move creates the destination's balance row for the bare route too.
            stock.move(wendy, from_bin=code, to_bin=dst[0], sku=sku, qty=1, key=uuid.uuid4().hex)
            pairs.append({"sku": sku, "item": item_id, "a": (code, barcode, loc_id),
                          "b": dst})
        for n, pair in enumerate(pairs):
            pair["pick"] = _pick_list(wendy, n, rows, used)
        user_id = wendy.id
        db.engine.dispose()
    return pairs, user_id


def _pick_list(worker, n: int, rows, used: set) -> dict:
    """A pick list in progress for another item, standing at its bin: every scan of the
    item counts one more, short of the line's quantity, so the pick scan never posts."""
    from webapp import picking
    from webapp.db import db
    from webapp.models import DocStatus, ItemBarcode, PickLine, PickList

    sku, item_id = next((sku, item_id) for sku, _, _, item_id, _ in rows if sku not in used)
    used.add(sku)
    pick_list = PickList(number=f"BENCH{n}", warehouse_id=worker_warehouse(),
                         status=DocStatus.IN_PROGRESS, assigned_to_id=worker.id)
    pick_list.lines = [PickLine(item_id=item_id, ordered_qty=9)]
    db.session.add(pick_list)
    db.session.commit()
    task = picking.progress(pick_list).found[0]
    barcode = db.session.scalar(sa.select(ItemBarcode.code).where(
        ItemBarcode.item_id == item_id, ItemBarcode.pack_qty == 1))
    return {"list": pick_list.number, "bin": task.location.code, "scan": barcode}


def worker_warehouse() -> int:
    from webapp.db import db
    from webapp.models import Warehouse

    return db.session.scalar(sa.select(Warehouse.id).order_by(Warehouse.id).limit(1))


class Client:
    """One simulated scanner: its own cookie jar, signed in as wendy for the real app."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def post(self, path: str, fields: dict, headers: dict | None = None) -> tuple[int, bytes]:
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def sign_in(self):
        page = self.opener.open(self.base + "/signin", timeout=30).read().decode()
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        status, body = self.post("/signin", {"username": "wendy", "pin": "1111",
                                             "csrf_token": token})
        page = self.opener.open(self.base + "/move", timeout=30).read().decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


SCAN_HEADERS = {"HX-Request": "true", "HX-Target": "step"}


def signed_in(kind: str, base: str, scanners: int) -> list[Client]:
    """A client per scanner, signed in to the real app (once: signing in hashes a PIN)."""
    clients = [Client(base) for _ in range(scanners)]
    if kind not in ("bare", "ledger"):
        for c in clients:
            c.sign_in()
    return clients


def run(kind: str, clients: list[Client], pairs, user_id: int, per_scanner: int):
    """Latencies (ms) and largest response (bytes) for concurrent clients, one a scanner."""
    scanners = len(clients)
    times, sizes, errors = [], [], []
    start = threading.Barrier(scanners)
    lock = threading.Lock()

    def scanner(n: int):
        c, pair = clients[n], pairs[n]
        # The unit moves back and forth, by the bare route and the scan alike; a round may
        # end with it in either bin, so the pair remembers where it is for the next round.
        here, there = (pair["b"], pair["a"]) if pair.get("flipped") else (pair["a"], pair["b"])
        mine, biggest = [], 0
        start.wait()
        for i in range(per_scanner + 5):  # the first five warm up
            if kind == "bare":
                fields = {"item": pair["item"], "src": here[2], "dst": there[2],
                          "user": user_id, "key": uuid.uuid4().hex}
                t = time.perf_counter()
                status, body = c.post("/bare-move", fields)
            elif kind == "ledger":
                fields = {"sku": pair["sku"], "src": here[0], "dst": there[0], "user": user_id,
                          "key": uuid.uuid4().hex}
                t = time.perf_counter()
                status, body = c.post("/ledger-move", fields)
            elif kind == "scan-write":
                fields = {"csrf_token": c.csrf, "s_from": here[0], "s_sku": pair["sku"],
                          "s_qty": "1", "scan": there[1], "key": uuid.uuid4().hex,
                          "device": f"bench-{n}"}
                t = time.perf_counter()
                status, body = c.post("/move", fields, SCAN_HEADERS)
            elif kind == "pick-scan":  # an item scan at a pick line, short of its quantity
                pick = pair["pick"]
                fields = {"csrf_token": c.csrf, "s_list": pick["list"], "s_bin": pick["bin"],
                          "s_qty": "1", "scan": pick["scan"], "key": uuid.uuid4().hex}
                t = time.perf_counter()
                status, body = c.post("/pick", fields, SCAN_HEADERS)
            else:  # scan-read: the first scan of a move, the source bin
                fields = {"csrf_token": c.csrf, "scan": here[1], "key": uuid.uuid4().hex}
                t = time.perf_counter()
                status, body = c.post("/move", fields, SCAN_HEADERS)
            elapsed = (time.perf_counter() - t) * 1000
            ok = status == 200 and (b"Moved" in body or b"2 of " in body
                                    or kind == "scan-read")
            if not ok:
                with lock:
                    errors.append((status, body[:200]))
            if kind in ("bare", "ledger", "scan-write") and ok:
                here, there = there, here
                pair["flipped"] = not pair.get("flipped")
            if i >= 5:
                mine.append(elapsed)
                biggest = max(biggest, len(body))
        with lock:
            times.extend(mine)
            sizes.append(biggest)

    threads = [threading.Thread(target=scanner, args=(n,)) for n in range(scanners)]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    return times, max(sizes), errors, len(times) / wall


def pct(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def serve(app_spec: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(GUNICORN + ["--bind", f"127.0.0.1:{port}", app_spec], cwd=ROOT,
                            env={**os.environ, **env}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/health" if "webapp" in app_spec else base,
                                   timeout=1)
            break
        except urllib.error.HTTPError:
            break  # the bare app answers 404 at /: it is up
        except OSError:
            time.sleep(0.1)
    return proc, base


def bench(db_kind: str, requests: int, rounds: int = ROUNDS):
    tmp = tempfile.mkdtemp(prefix="binscan-bench-")
    if db_kind == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
    else:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {PG_BENCH_DB}"))
        admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB
    pairs, user_id = prepare(url, tmp, scanners=8)
    env = {"DATABASE_URL": url, "BENCH_DATABASE_URL": url, "BINSCAN_INSTANCE": tmp,
           "PYTHONPATH": str(ROOT)}
    app_proc, app_base = serve("webapp:create_app()", env)
    bare_proc, bare_base = serve("bench.bare_app:app", env)
    ledger_proc, ledger_base = serve("bench.ledger_app:app", env)
    servers = {"bare": bare_proc, "ledger": ledger_proc}
    rows = []
    kinds = (("bare", bare_base), ("ledger", ledger_base), ("scan-write", app_base),
             ("scan-read", app_base), ("pick-scan", app_base))
    try:
        for scanners in (1, 8):
            per = max(10, requests // scanners // rounds)
            # Rounds take turns, so that a noisy spell of the machine falls on every kind
            # alike rather than on whichever ran during it.
            results = {kind: ([], 0, [], []) for kind, _ in kinds}
            cpu = {kind: [0.0, 0.0] for kind, _ in kinds}  # web workers', database's seconds
            clients = {kind: signed_in(kind, base, scanners) for kind, base in kinds}
            for _ in range(rounds):
                for kind, _ in kinds:
                    server = servers.get(kind, app_proc)
                    before = (workers_cpu(server.pid), database_cpu())
                    times, biggest, errors, rate = run(kind, clients[kind], pairs, user_id, per)
                    cpu[kind][0] += workers_cpu(server.pid) - before[0]
                    cpu[kind][1] += database_cpu() - before[1]
                    all_times, most, all_errors, rates = results[kind]
                    all_times += times
                    all_errors += errors
                    rates.append(rate)
                    results[kind] = (all_times, max(most, biggest), all_errors, rates)
            ref50, ref95 = pct(results["bare"][0], 50), pct(results["bare"][0], 95)
            ledger50, ledger95 = pct(results["ledger"][0], 50), pct(results["ledger"][0], 95)
            for kind, _ in kinds:
                times, biggest, errors, rates = results[kind]
                p50, p95, p99 = pct(times, 50), pct(times, 95), pct(times, 99)
                # Counted over every request of the rounds, warm-ups included.
                done = rounds * scanners * (per + 5)
                web, database = (seconds * 1000 / done for seconds in cpu[kind])
                rows.append((db_kind, scanners, kind, len(times), p50, p95, p99, p50 / ref50,
                             p95 / ref95, p50 / ledger50, p95 / ledger95,
                             statistics.mean(rates), biggest, len(errors)))
                cpu_rows.append((db_kind, scanners, kind, web, database))
                if errors:
                    print(f"  {kind}: {len(errors)} errors, first: {errors[0]}")
        memory.append((db_kind, worker_rss_mb(app_proc.pid), worker_rss_mb(bare_proc.pid)))
    finally:
        for proc in (app_proc, bare_proc, ledger_proc):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    return rows


memory: list[tuple[str, float, float]] = []  # (db, app worker RSS, bare worker RSS) in MB
cpu_rows: list[tuple[str, int, str, float, float]] = []  # (db, scanners, step, web ms, db ms)
TICK = os.sysconf("SC_CLK_TCK")


def _processes():
    """(name, the fields after it) of every process, from /proc/PID/stat (Linux)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(" (")[2].rpartition(") ")
        yield name, rest.split()


def _cpu_seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def workers_cpu(master_pid: int) -> float:
    """CPU seconds used so far by a gunicorn master's workers."""
    return sum(_cpu_seconds(f) for _, f in _processes() if f[1] == str(master_pid))


def database_cpu() -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes (none for SQLite,
    which runs inside the web workers)."""
    return sum(_cpu_seconds(f) for name, f in _processes() if name == "postgres")


def worker_rss_mb(master_pid: int) -> float:
    """The largest resident memory of a gunicorn master's workers, after the run (Linux)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return max(sizes, default=0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=400,
                        help="timed requests per kind and concurrency (split over scanners)")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="rounds in which the kinds take turns")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = []
    for kind in kinds:
        try:
            rows += bench(kind, args.requests, args.rounds)
        except sa.exc.OperationalError as exc:
            print(f"{kind}: skipped, database unreachable ({exc.__class__.__name__})")
    print()
    print("Scan step vs a bare Flask route doing the same ledger write (ledger, the reference), "
          "and vs one doing it in hand-written SQL (bare) (gunicorn, 2 sync workers, loopback; "
          "ms)")
    print(f"{'db':10} {'scanners':>8} {'step':11} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} "
          f"{'p50/bare':>9} {'p95/bare':>9} {'p50/ledger':>10} {'p95/ledger':>10} {'req/s':>7} "
          f"{'max bytes':>9} {'errors':>6}")
    for (db_kind, scanners, kind, n, p50, p95, p99, r50, r95, l50, l95, rate, biggest,
         errors) in rows:
        print(f"{db_kind:10} {scanners:>8} {kind:11} {n:>5} {p50:7.2f} {p95:7.2f} {p99:7.2f} "
              f"{r50:9.2f} {r95:9.2f} {l50:10.2f} {l95:10.2f} {rate:7.0f} {biggest:>9} "
              f"{errors:>6}")
    print()
    print("CPU per request (ms; web workers, and the PostgreSQL server's processes), every "
          "request of the rounds")
    print(f"{'db':10} {'scanners':>8} {'step':11} {'web':>7} {'web/bare':>9} {'web/ledger':>10} "
          f"{'database':>9}")
    web_of = {(d, n, kind): web for d, n, kind, web, _ in cpu_rows}
    for db_kind, scanners, kind, web, database in cpu_rows:
        print(f"{db_kind:10} {scanners:>8} {kind:11} {web:7.2f} "
              f"{web / web_of[db_kind, scanners, 'bare']:9.2f} "
              f"{web / web_of[db_kind, scanners, 'ledger']:10.2f} {database:9.2f}")
    for db_kind, app_mb, bare_mb in memory:
        print(f"{db_kind}: a worker's resident memory after the run: app {app_mb:.0f} MB, "
              f"bare {bare_mb:.0f} MB ({app_mb / bare_mb:.1f}x)")
    print("Targets: scan-write p95 within 1.5x of ledger (the reference: a bare route doing "
          "the same ledger write); a step's fragment < 4096 B. The ratio to bare (the move in "
          "hand-written SQL) is shown for what the ledger's code adds.")
    for line in verdicts(rows):
        print(line)


def verdicts(rows) -> list[str]:
    """Each target, met or not, in every row of the run: the figures a note quotes."""
    writes = [row for row in rows if row[2] == "scan-write"]
    if not writes:
        return []

    def against(column: int, name: str, *limits: float) -> str:
        ratios = [row[column] for row in writes]
        met = ", ".join(f"within {limit:g}x in {sum(r <= limit for r in ratios)} of "
                        f"{len(ratios)} rows" for limit in limits)
        return f"  scan-write p95/{name} {min(ratios):.2f}-{max(ratios):.2f}: {met}"

    biggest = max(row[12] for row in rows)
    return ["Against the targets:", against(10, "ledger", 1.5), against(8, "bare", 2.0, 1.5),
            f"  largest answer {biggest} B: {'under' if biggest < 4096 else 'over'} 4096 B"]


if __name__ == "__main__":
    main()
