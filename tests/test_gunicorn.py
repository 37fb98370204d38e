"""The app as it is deployed: gunicorn's worker processes, one database, handhelds over HTTP.

Nothing a handheld needs may live in one process: its session, its CSRF token and the
step's state must hold whichever worker answers, and two processes taking the last unit
of a bin at once must leave it taken once. Each request here opens its own connection, so
the kernel hands consecutive scans to different workers; the access log says which
process answered each one, and the test checks several did. The instance folder starts
empty, with no SECRET_KEY, as on a fresh development install: the workers start together
and must agree on the key they generate.
"""

import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import PINS
from tests.helpers import ledger_matches_balances
from webapp import stock
from webapp.db import db
from webapp.models import MovementKind, StockMovement

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
HANDHELDS = [("wendy", 1), ("wendy", 2), ("oscar", 1), ("oscar", 2)]  # a worker on two
ROUND_TRIPS = 6  # per handheld: a unit moved A-01-01-A to A-01-02-A and back again
SCAN = {"HX-Request": "true", "HX-Target": "step"}
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


class Handheld:
    """One device: its own cookies; every request on a new connection."""

    def __init__(self, base: str, name: str):
        self.base, self.name, self.token = base, name, ""
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, fields: dict | None = None, headers=None) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, username: str):
        _, page = self.request("/signin")
        fields = {"username": username, "pin": PINS[username], "csrf_token": TOKEN.search(page)[1]}
        _, home = self.request("/signin", fields)  # followed to the home page
        assert "Sign out" in home, f"{self.name} could not sign in"
        self.token = TOKEN.search(home)[1]

    def move(self, source: str, target: str) -> tuple[int, str]:
        """A move's destination scan with its state so far (the step's hidden fields)."""
        fields = {
            "csrf_token": self.token,
            "s_from": source,
            "s_sku": "1042",
            "s_qty": "1",
            "scan": target.replace("-", ""),
            "key": uuid.uuid4().hex,
            "device": self.name,
        }
        return self.request("/move", fields, SCAN)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, instance: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "BINSCAN_ENV")}
    env.update(DATABASE_URL=url, BINSCAN_INSTANCE=str(instance))
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers", str(WORKERS),
        "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}",
        "--access-logfile", str(log),
        "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
        "webapp:create_app()",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/api/health", timeout=1)
            return server, base
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    server.kill()
    raise AssertionError("gunicorn did not start")


def _at_once(handhelds, act) -> list:
    """Run act(handheld) on every handheld at the same moment; their answers in order."""
    start, answers = threading.Barrier(len(handhelds)), [None] * len(handhelds)

    def run(n):
        start.wait()
        answers[n] = act(handhelds[n])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(handhelds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def test_handhelds_served_by_several_worker_processes_keep_their_session_and_the_ledger(
    app, site, tmp_path
):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=20, key="k-opening-20")
    stock.receive(site.worker, to_bin="B-01-01-A", sku="1042", qty=1, key="k-the-last-1")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()  # the test's own connections stay out of the workers' way
    log = tmp_path / "access.log"
    server, base = _serve(url, tmp_path / "fresh-instance", log)
    try:
        handhelds = [Handheld(base, f"{user}-{n}") for user, n in HANDHELDS]
        for handheld, (user, _) in zip(handhelds, HANDHELDS, strict=True):
            handheld.sign_in(user)

        def shuttle(h: Handheld) -> list:
            answers = []
            for _ in range(ROUND_TRIPS):
                answers.append(h.move("A-01-01-A", "A-01-02-A"))
                answers.append(h.move("A-01-02-A", "A-01-01-A"))
            return answers

        shuttled = [a for answers in _at_once(handhelds, shuttle) for a in answers]
        last_unit = _at_once(handhelds, lambda h: h.move("B-01-01-A", "A-01-01-A"))
    finally:
        server.terminate()
        server.wait(30)

    assert [status for status, _ in shuttled] == [200] * len(shuttled)
    assert all("Moved: 1 × 1042" in page for _, page in shuttled)
    assert sorted(status for status, _ in last_unit) == [200, 422, 422, 422]
    refused = [page for status, page in last_unit if status == 422]
    assert all("holds 0 of 1042; you tried to take 1." in page for page in refused)

    served_by = Counter(
        pid for pid, method, path, _ in (line.split() for line in log.read_text().splitlines())
        if (method, path) == ("POST", "/move")
    )  # fmt: skip
    assert sum(served_by.values()) == len(shuttled) + len(last_unit)
    assert len(served_by) >= 2, f"one process answered every scan: {served_by}"

    moves = db.session.scalars(
        sa.select(StockMovement).where(StockMovement.kind == MovementKind.MOVE)
    ).all()
    assert len(moves) == len(shuttled) + 1
    took_the_last = [h.name for h, (s, _) in zip(handhelds, last_unit, strict=True) if s == 200]
    each_shuttled = Counter({h.name: 2 * ROUND_TRIPS for h in handhelds})
    assert Counter(m.device_id for m in moves) == each_shuttled + Counter(took_the_last)
    assert stock.on_hand("1042", "A-01-01-A") == 21
    assert stock.on_hand("1042", "B-01-01-A") == 0
    assert ledger_matches_balances()
