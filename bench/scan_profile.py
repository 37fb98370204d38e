"""Where a scan step's server time goes, in-process: no HTTP server, no network.

Times the same steps as bench/scan_bench.py (the bare route's ledger write in SQL, the same
move through the ledger's code, a move's destination scan, which writes, its source-bin
scan and a pick line's item scan, which only read) through Flask's test client, counts the
SQL statements each runs, and with --profile shows the functions that cost most, or with
--layers the time spent in each library beside the bare route's. With --marked it is what
bench/scan_instructions.py runs under valgrind. A tool for working on the scan path; the
figures to report come from scan_bench.py and scan_instructions.py.

    .venv/bin/python bench/scan_profile.py --db sqlite
    .venv/bin/python bench/scan_profile.py --db postgresql --profile pick --statements
    .venv/bin/python bench/scan_profile.py --layers write
"""

import argparse
import collections
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scan_bench import PG_ADMIN_URL, SCAN_HEADERS, prepare  # noqa: E402

# One database per process: scan_instructions.py runs two of these at once.
PG_PROFILE_DB = f"binscan_profile_{os.getpid()}"


def database_url(kind: str, tmp: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/profile.db"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_PROFILE_DB} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {PG_PROFILE_DB}"))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_PROFILE_DB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", choices=["bare", "ledger", "write", "read", "pick"],
                        help="cProfile this step")
    parser.add_argument("--sort", default="cumulative", help="cProfile order, e.g. tottime")
    parser.add_argument("--top", type=int, default=45, help="how many functions to show")
    parser.add_argument("--dump", help="also write the profile to this file")
    parser.add_argument("--statements", action="store_true", help="print one step's SQL")
    parser.add_argument("--layers", choices=["ledger", "write", "read", "pick"],
                        help="time in each library (cProfile's own time), this step and bare")
    parser.add_argument("--marked", type=int, metavar="N",
                        help="warm every step up, then run each N times between two calls of "
                        "getppid(), where bench/scan_instructions.py has valgrind cut its count")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="binscan-profile-")
    url = database_url(args.db, tmp)
    pairs, user_id = prepare(url, tmp, scanners=1)
    os.environ.setdefault("BINSCAN_INSTANCE", tmp)
    from webapp import create_app
    from webapp.db import db

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp})
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/signin", data={"username": "wendy", "pin": "1111", "csrf_token": token})
    page = client.get("/move").get_data(as_text=True)  # signing in starts a new session
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    pair = pairs[0]
    statements: list[str] = []

    def count_statements(engine):
        # Not under valgrind: a listener adds its own instructions to every statement.
        if not args.marked:
            sa.event.listen(engine, "before_cursor_execute",
                            lambda _c, _cur, sql, *_a: statements.append(sql))

    with app.app_context():
        count_statements(db.engine)

    here, there = pair["a"], pair["b"]

    def write_step():
        nonlocal here, there
        response = client.post("/move", headers=SCAN_HEADERS, data={
            "csrf_token": token, "s_from": here[0], "s_sku": pair["sku"], "s_qty": "1",
            "scan": there[1], "key": uuid.uuid4().hex, "device": "profile"})
        assert b"Moved" in response.data, response.data[:300]
        here, there = there, here

    def read_step():
        response = client.post("/move", headers=SCAN_HEADERS, data={
            "csrf_token": token, "scan": here[1], "key": uuid.uuid4().hex})
        assert response.status_code == 200, response.data[:300]

    os.environ["BENCH_DATABASE_URL"] = url
    from bench.bare_app import app as bare_app
    from bench.bare_app import engine as bare_app_engine
    from bench.ledger_app import app as ledger_app

    def back_and_forth(reference_app, path: str, ends: tuple, fields: dict):
        """A reference route's step: the pair's unit moves one way, the next time back."""
        reference, route = reference_app.test_client(), list(ends)

        def step():
            response = reference.post(path, data={
                **fields, "src": route[0], "dst": route[1], "user": user_id,
                "key": uuid.uuid4().hex})
            assert response.status_code == 200, response.data[:300]
            route.reverse()

        return step

    count_statements(bare_app_engine)
    with ledger_app.app_context():
        count_statements(db.engine)
    bare_step = back_and_forth(bare_app, "/bare-move", (here[2], there[2]),
                               {"item": pair["item"]})
    ledger_step = back_and_forth(ledger_app, "/ledger-move", (here[0], there[0]),
                                 {"sku": pair["sku"]})

    def pick_step():
        pick = pair["pick"]
        response = client.post("/pick", headers=SCAN_HEADERS, data={
            "csrf_token": token, "s_list": pick["list"], "s_bin": pick["bin"], "s_qty": "1",
            "scan": pick["scan"], "key": uuid.uuid4().hex})
        assert b"2 of " in response.data, response.data[:300]

    steps = {"bare": bare_step, "ledger": ledger_step, "write": write_step, "read": read_step,
             "pick": pick_step}
    for name, step in steps.items():
        for _ in range(20):
            step()
        statements.clear()
        step()
        shown = list(statements)
        if args.marked:
            continue
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            step()
            times.append((time.perf_counter() - t) * 1000)
        print(f"{args.db} {name}: {len(shown)} statements, median {statistics.median(times):.2f}"
              f" ms, mean {statistics.mean(times):.2f} ms over {args.requests}")
        if args.statements:
            for sql in shown:
                print("   ", " ".join(sql.split())[:160])

    if args.marked:
        for step in steps.values():
            os.getppid()  # a mark: valgrind --dump-before=getppid starts a new count here
            for _ in range(args.marked):
                step()
        os.getppid()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            steps[args.profile]()
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.dump:
            stats.dump_stats(args.dump)
    if args.layers:
        print(f"{args.db}: microseconds per request in each library's own code, under cProfile "
              "(which inflates every figure alike; read the difference)")
        bare, step = (layers(steps[name], args.requests) for name in ("bare", args.layers))
        for name, us in sorted(step.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"  {name:28} {us:8.0f} {bare.get(name, 0.0):8.0f} (bare)")
        print(f"  {'all':28} {sum(step.values()):8.0f} {sum(bare.values()):8.0f} (bare)")
    with app.app_context():
        db.engine.dispose()
    if args.db == "postgresql":
        drop_database()


def drop_database():
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_PROFILE_DB} WITH (FORCE)"))
    admin.dispose()


def layers(step, requests: int) -> dict[str, float]:
    """Microseconds per request spent in each installed package's own functions, in
    webapp, in the templates, and in C functions (the database drivers among them)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        step()
    profiler.disable()
    spent = collections.Counter()
    for (path, _line, function), (_cc, _nc, own, _cum, _by) in pstats.Stats(profiler).stats.items():
        if path == "~":
            called = function.strip("<>").removeprefix("built-in ").removeprefix("method ")
            name = "C: " + called.split(" of ")[0]
        elif (found := re.search(r"site-packages/([^/]+)", path)) is not None:
            name = found.group(1)
        elif "/webapp/" in path or "/templates/" in path:
            name = "webapp" if "/webapp/" in path else "templates"
        else:
            name = "python: " + Path(path).name
        spent[name] += own * 1e6 / requests
    return spent


if __name__ == "__main__":
    main()
