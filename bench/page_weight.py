"""Page weight on the floor: bytes a handheld downloads for a scan page and for each scan.

Serves the demo warehouse (a fresh SQLite file in a temporary folder) on a loopback port,
or measures a server you name with --url, and drives Debian's chromium at 360x640:
the first load of a scan page with an empty cache (HTML, CSS, JS, fonts), then one
fragment per scan through receive, pick and count. For each response it prints the bytes
on the wire (body as sent, headers apart), the raw body, and what gzip would make of it,
beside the targets: under 60 KB for the first load, under 4 KB per scan.

    .venv/bin/python bench/page_weight.py
    .venv/bin/python bench/page_weight.py --url https://binscan.example --badge U0001 --pin 1111
"""

import argparse
import gzip
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST_LOAD_TARGET = 60 * 1024
STEP_TARGET = 4 * 1024
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def serve_demo(folder: Path) -> str:
    """The demo warehouse served by werkzeug in a thread; returns its base URL."""
    import logging

    from werkzeug.serving import make_server

    from webapp import create_app, demo
    from webapp.db import db

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "SECRET_KEY": "page-weight-bench",
            "INSTANCE_PATH": str(folder),
        }
    )
    with app.app_context():
        db.create_all()
        demo.load()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


class Meter:
    """Every response the page gets, with its sizes, since the last `take()`."""

    def __init__(self, page):
        self.rows = []
        page.on("requestfinished", self._finished)

    def _finished(self, request):
        self.rows.append(request)

    def take(self) -> list[dict]:
        rows, self.rows = self.rows, []
        out = []
        for request in rows:
            response = request.response()
            sizes = request.sizes()
            redirect = not response or 300 <= response.status < 400
            body = b"" if redirect else response.body()
            out.append(
                {
                    "what": request.method + " " + request.url.split("/", 3)[-1][:40],
                    "status": response.status if response else 0,
                    "encoding": (response.headers.get("content-encoding") if response else "")
                    or "none",
                    "wire": sizes["responseBodySize"],
                    "headers": sizes["responseHeadersSize"],
                    "raw": len(body),
                    "gzip": len(gzip.compress(body, 6)) if body else 0,
                }
            )
        return out


def kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


def table(title: str, rows: list[dict], target: int, per_row: bool):
    print(f"\n{title}")
    print(
        f"  {'response':44} {'status':>6} {'encoding':>8} {'on wire':>9} {'headers':>9}"
        f" {'raw body':>9} {'gzip -6':>9}"
    )
    for r in rows:
        flag = ""
        if per_row:
            flag = "  ok" if r["wire"] < target else "  OVER"
        print(
            f"  {r['what']:44} {r['status']:>6} {r['encoding']:>8} {kb(r['wire'])}"
            f" {kb(r['headers'])} {kb(r['raw'])} {kb(r['gzip'])}{flag}"
        )
    if not per_row:
        wire = sum(r["wire"] for r in rows)
        raw = sum(r["raw"] for r in rows)
        zipped = sum(r["gzip"] for r in rows)
        heads = sum(r["headers"] for r in rows)
        verdict = "ok" if wire < target else "OVER"
        print(f"  {'total':44} {'':>6} {'':>8} {kb(wire)} {kb(heads)} {kb(raw)} {kb(zipped)}")
        print(
            f"  target under {kb(target).strip()} on the wire (bodies): {verdict}"
            f"{'' if wire < target else f'; with gzip it would be {kb(zipped).strip()}'}"
        )


def scan(page, meter, code=None, button=None) -> list[dict]:
    page.evaluate("document.getElementById('step').dataset.stale = '1'")
    if button:
        page.locator("#step button", has_text=button).first.click()
    else:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
    page.locator("#step:not([data-stale])").wait_for(state="attached")
    page.wait_for_timeout(50)  # requestfinished arrives just after the swap
    label = code or button
    rows = [r for r in meter.take() if r["what"].startswith("POST")]
    for r in rows:
        r["what"] = f"scan {label}"[:44]
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="measure this server instead of a demo of our own")
    parser.add_argument("--badge", default="U0001")
    parser.add_argument("--pin", default="1111")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        url = args.url or serve_demo(Path(folder))
        browser = pw.chromium.launch(
            executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True)
        page = context.new_page()
        page.goto(f"{url}/signin")
        page.fill("#badge", args.badge)
        page.press("#badge", "Enter")
        page.fill("#badge-pin", args.pin)
        with page.expect_navigation():
            page.press("#badge-pin", "Enter")

        meter = Meter(page)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit
        page.goto(f"{url}/receive", wait_until="networkidle")
        first = meter.take()
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        table("First load of /receive, empty cache", first, FIRST_LOAD_TARGET, per_row=False)

        steps = []
        steps += scan(page, meter, "PO1001")
        item = page.locator("#step .lines tr").nth(2).inner_text().split()[0]  # untracked
        steps += scan(page, meter, item)
        steps += scan(page, meter, "DOCK01")
        page.goto(f"{url}/pick", wait_until="networkidle")
        meter.take()
        steps += scan(page, meter, button="Take next")
        where = page.locator("#step .prompt").inner_text().split()[2].rstrip(",")
        steps += scan(page, meter, where.replace("-", ""))
        page.goto(f"{url}/count", wait_until="networkidle")
        meter.take()
        steps += scan(page, meter, button="CT3001")
        table("One fragment per scan", steps, STEP_TARGET, per_row=True)
        worst = max(r["wire"] for r in steps)
        print(f"  largest step {kb(worst).strip()}: target under {kb(STEP_TARGET).strip()}")
        compressed = any(r["encoding"] != "none" for r in first + steps)
        print(f"\nCompressed responses: {'yes' if compressed else 'no (sent as is)'}")
        browser.close()


if __name__ == "__main__":
    main()
