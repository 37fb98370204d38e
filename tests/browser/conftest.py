"""Browser fixtures: the real app served on a loopback port, Debian's chromium at 360x640.

The demo warehouse is loaded once per session into a SQLite file; each test gets its own
copy of that file and its own server thread, so walks never see each other's scans. On
PostgreSQL (the walks marked for it, under CI=true) the demo is loaded afresh per test.
"""

import logging
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.conftest import IN_CI, _app_for, make_app
from webapp import demo, stock
from webapp.db import db
from webapp.models import StockMovement

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 360, "height": 640}
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium through Playwright, or a skip saying why (a failure under CI)."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium"
        if IN_CI:
            pytest.fail(reason + " (CI=true: browser tests must run)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    """A SQLite file holding the demo warehouse, loaded once for the whole session."""
    folder = tmp_path_factory.mktemp("demo")
    app = make_app(folder, f"sqlite:///{folder}/demo.db")
    with app.app_context():
        db.create_all()
        demo.load()
        db.session.remove()
        db.engine.dispose()  # the last connection closing folds the WAL into the file
    return folder / "demo.db"


class LiveFloor:
    """The app served over HTTP in a thread, and read-only looks into its database."""

    FLOOR_SCREENS = ("/receive", "/move", "/pick", "/count", "/lookup")

    def __init__(self, app):
        self.app, self.delay_ms, self.answer_delay_ms = app, 0, 0
        self.server = make_server("127.0.0.1", 0, self._serve, threaded=True)
        # Chromium keeps connections alive: closing the server must not wait for them.
        self.server.daemon_threads, self.server.block_on_close = True, False
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        with self.session() as session:
            self.baseline = session.scalar(sa.select(sa.func.max(StockMovement.id))) or 0

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        with self.app.app_context():
            for engine in db.engines.values():
                engine.dispose()

    @contextmanager
    def session(self):
        """A fresh session on the served database (its own transaction, then gone)."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def movements(self) -> list[tuple]:
        """Every movement written since the test began: (kind, sku, lot, qty, from, to)."""
        with self.session() as session:
            rows = session.scalars(
                sa.select(StockMovement)
                .where(StockMovement.id > self.baseline)
                .order_by(StockMovement.id)
            )
            return [
                (
                    m.kind.value,
                    m.item.sku,
                    m.lot.code if m.lot else None,
                    m.quantity,
                    m.from_location.code if m.from_location else None,
                    m.to_location.code if m.to_location else None,
                )
                for m in rows
            ]

    def on_hand(self, sku: str, bin: str, lot: str | None = None) -> int:
        with self.session():
            return stock.on_hand(sku, bin, lot)

    def slow(self, ms: int):
        """Delay every floor POST by `ms`, as a slow network does, to fill the scan queue."""
        self.delay_ms = ms

    def answer_late(self, ms: int):
        """Hold every floor POST's answer back by `ms` once the app has handled it: the
        scan is recorded, but the handheld hears nothing yet (a network that dropped)."""
        self.answer_delay_ms = ms

    def _serve(self, environ, start_response):
        floor_post = (environ["REQUEST_METHOD"] == "POST"
                      and environ["PATH_INFO"] in self.FLOOR_SCREENS)
        if self.delay_ms and floor_post:
            time.sleep(self.delay_ms / 1000)
        answer = self.app(environ, start_response)
        if self.answer_delay_ms and floor_post:
            time.sleep(self.answer_delay_ms / 1000)
        return answer


@pytest.fixture
def floor(request, tmp_path, demo_file):
    """The demo warehouse served for one test: SQLite by default, or
    `@pytest.mark.parametrize("floor", ["sqlite", "postgresql"], indirect=True)`."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        if not IN_CI:
            pytest.skip("browser walks on PostgreSQL run under CI=true")
        app = _app_for("postgresql", tmp_path)
        with app.app_context():
            demo.load()
            db.session.remove()
    else:
        shutil.copy(demo_file, tmp_path / "floor.db")
        app = make_app(tmp_path, f"sqlite:///{tmp_path}/floor.db")
    live = LiveFloor(app)
    yield live
    live.close()


@pytest.fixture
def context(chromium):
    """A handheld: 360x640, touch, JavaScript on."""
    context = chromium.new_context(viewport=VIEWPORT, has_touch=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def shots(request):
    """shots(page, "name"): a 360x640 screenshot under artifacts/screenshots/<test>/."""
    folder = SHOTS / request.node.name.replace("[", "-").replace("]", "")
    taken = []

    def shoot(page, name: str):
        folder.mkdir(parents=True, exist_ok=True)
        taken.append(name)
        page.screenshot(path=str(folder / f"{len(taken):02d}-{name}.png"))

    return shoot
