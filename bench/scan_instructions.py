"""Instructions per scan step, counted by valgrind: a ratio this machine's noise cannot move.

Latencies on a shared 2-core machine drift from one hour to the next, and their ratios with
them: scan_bench.py's bare write took 1.0 ms at p50 in one session and 2.4-2.6 ms in the
next, and a posting scan's p95 went from 2.0x to 2.4-2.6x of it. Valgrind's callgrind counts
the instructions a process executes, which hardly depend on what else the machine is doing.
This runs bench/scan_profile.py under callgrind once per step (every step warmed up, then
--count of one) and once with none, and divides the difference by --count: the web
process's own instructions per request through Flask's test client, for the bare route's
ledger write and each scan step, and their ratio. The SQLite engine runs in that process and
is counted; PostgreSQL's server is not. Waiting (on disk, locks, the network) is not
counted: scan_bench.py measures that. Two runs agree within about 1%; it takes ~10 minutes.

    .venv/bin/python bench/scan_instructions.py               # SQLite, then PostgreSQL
    .venv/bin/python bench/scan_instructions.py --db sqlite --count 200
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("bare", "write", "read", "pick")


def instructions(db_kind: str, step: str, count: int) -> int:
    """Instructions callgrind counted in one scan_profile.py run of `count` of `step`."""
    with tempfile.TemporaryDirectory(prefix="binscan-callgrind-") as tmp:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             sys.executable, str(ROOT / "bench" / "scan_profile.py"), "--db", db_kind,
             "--only", step, "--count", str(count)],
            capture_output=True, text=True, cwd=ROOT,
            # The same hashes in every run, so dicts and sets do the same work each time.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        sys.exit(f"{db_kind} {step}: scan_profile.py failed under valgrind:\n{run.stderr[-3000:]}")
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--count", type=int, default=500, help="requests of each step counted")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install -y valgrind).")

    print("Instructions per request in the web process (callgrind), and the ratio to the bare "
          "route's ledger write")
    print(f"{'db':10} {'step':6} {'instructions':>12} {'/bare':>6}")
    for db_kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        steps, counts = ("bare", *STEPS), (0, *[args.count] * len(STEPS))  # first: warm-up only
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            none, *counted = pool.map(instructions, [db_kind] * len(steps), steps, counts)
        per_request = {s: (n - none) / args.count for s, n in zip(STEPS, counted, strict=True)}
        for step in STEPS:
            print(f"{db_kind:10} {step:6} {per_request[step] / 1e6:10.2f} M "
                  f"{per_request[step] / per_request['bare']:6.2f}")


if __name__ == "__main__":
    main()
