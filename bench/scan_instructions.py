"""Instructions per scan step, counted by valgrind: a ratio this machine's noise cannot move.

Latencies on a shared 2-core machine drift from one hour to the next, and their ratios with
them: scan_bench.py's bare write took 1.0 ms at p50 in one session and 2.3-2.8 ms in the
next, and a posting scan's p95 went from 2.0-2.3x to 2.4-2.6x of it. Valgrind's callgrind
counts the instructions a process executes, which hardly depend on what else the machine is
doing. This runs bench/scan_profile.py under callgrind, which warms every step up and then
runs each --count times between marks (calls of getppid(), where callgrind starts a new
count), and divides each step's count by --count: the web process's own instructions per
request through Flask's test client, for the bare route's ledger write, the same move
through the ledger's code (bench/ledger_app.py) and each scan step, and their ratios. The
SQLite engine runs in that process and is counted; PostgreSQL's server is not. Waiting (on
disk, locks, the network) is not counted: scan_bench.py measures that. Both databases are
counted at once, in about 5 minutes; two runs agree within 0.5%.

    .venv/bin/python bench/scan_instructions.py
    .venv/bin/python bench/scan_instructions.py --db sqlite --count 100
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("bare", "ledger", "write", "read", "pick")  # scan_profile.py runs them in this order


def instructions(db_kind: str, count: int) -> dict[str, float]:
    """Instructions per request of each step, from one scan_profile.py run under callgrind."""
    with tempfile.TemporaryDirectory(prefix="binscan-callgrind-") as tmp:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--dump-before=getppid",
             f"--callgrind-out-file={tmp}/out", sys.executable,
             str(ROOT / "bench" / "scan_profile.py"), "--db", db_kind, "--marked", str(count)],
            capture_output=True, text=True, cwd=ROOT,
        )
        # out.1 runs up to the first mark; out.2 to out.6 hold the steps, one each.
        parts = sorted(Path(tmp).glob("out.*"), key=lambda part: int(part.suffix[1:]))
        totals = [int(re.search(r"^totals: (\d+)", part.read_text(), re.M).group(1))
                  for part in parts]
    if run.returncode != 0 or len(totals) != len(STEPS) + 1:
        sys.exit(f"{db_kind}: scan_profile.py under valgrind gave {len(totals)} parts, not "
                 f"{len(STEPS) + 1} (exit {run.returncode}):\n{run.stderr[-3000:]}")
    return {step: n / count for step, n in zip(STEPS, totals[1:], strict=True)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--count", type=int, default=300, help="requests of each step counted")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install -y valgrind).")

    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        counted = pool.map(instructions, kinds, [args.count] * len(kinds))
    print("Instructions per request in the web process (callgrind), and the ratios to the bare "
          "route's ledger write in SQL and to the ledger route's")
    print(f"{'db':10} {'step':6} {'instructions':>12} {'/bare':>6} {'/ledger':>7}")
    for db_kind, per_request in zip(kinds, counted, strict=True):
        for step in STEPS:
            print(f"{db_kind:10} {step:6} {per_request[step] / 1e6:10.2f} M "
                  f"{per_request[step] / per_request['bare']:6.2f} "
                  f"{per_request[step] / per_request['ledger']:7.2f}")


if __name__ == "__main__":
    main()
