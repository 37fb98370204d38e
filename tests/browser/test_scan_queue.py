"""The scan queue in a real browser: bursts typed faster than the server answers, an
answer lost on the way back, a submit replayed, and the floor without JavaScript."""

import re
import shutil
import sqlite3

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import LiveFloor
from tests.browser.handheld import Handheld, sign_in, type_scan
from webapp import create_app
from webapp.models import Item, ItemBarcode, Receipt, Tracking

pytestmark = pytest.mark.browser
DOCK = "DOCK-01"
STATUS = re.compile(r'<p class="status status-\w+" role="alert">(.*?)</p>')
KEY = re.compile(rb'name="key"\r\n\r\n([0-9a-f]+)\r\n')


def band(answer: str) -> str:
    """The status band's text, as the worker reads it (without the spans around codes)."""
    return re.sub(r"<[^>]+>", "", STATUS.search(answer).group(1))


def plain_item(floor):
    """An untracked item sold by the each: (sku, description, EAN-13)."""
    with floor.session() as session:
        item, code = session.execute(
            sa.select(Item, ItemBarcode.code)
            .join(ItemBarcode)
            .where(Item.tracking == Tracking.NONE, ItemBarcode.pack_qty == 1)
            .order_by(Item.sku)
            .limit(1)
        ).one()
        return item.sku, item.description, code[1:]


def blind_receipt(floor, page, shots=None) -> Handheld:
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/receive")
    gun.tap("Blind receipt", "Blind receipt: no document.")
    return gun


def on_the_next_post(page, url: str, handle) -> list:
    """Hand the next POST to `url` to `handle(route)`; the ones after it go through. The
    list returned holds what `handle` returned, once it has run."""
    handled = []

    def route_it(route):
        if route.request.method == "POST" and not handled:
            handled.append(handle(route))
        else:
            route.continue_()

    page.route(url, route_it)
    return handled


SERVER_FAILED = ("The server failed on that scan (error 500). Scan it again; if it keeps "
                 "failing, tell a supervisor.")


# Slowed well below the typing rate: on a busy machine Playwright types a scan in about
# 200 ms, and at 150 ms an answer the queue never filled.
@pytest.mark.parametrize("slow_ms", [0, 400], ids=["server-fast", "server-slowed"])
def test_twenty_scans_typed_back_to_back_are_each_applied_once_and_in_order(
    floor, page, shots, slow_ms
):
    sku, description, ean = plain_item(floor)
    gun = blind_receipt(floor, page, shots)
    answers = []
    page.on("response", lambda r: answers.append(r) if r.request.method == "POST" else None)
    floor.slow(slow_ms)
    for _ in range(20):
        type_scan(page, ean)
    type_scan(page, "DOCK01")
    waiting = 21 - len(answers)  # typed, not yet answered
    gun.act(lambda: None, f"Received: 20 × {sku} into {DOCK}.", "ok", "burst-done",
            wait_ms=30_000)  # the queue drains at the slowed server's pace
    print(f"{waiting} of 21 scans were still queued when the last one was typed")
    if slow_ms:
        assert waiting >= 5, f"the queue never filled: only {waiting} scans waited"
    assert len(answers) == 21
    said = [band(r.text()) for r in answers]
    assert said == [f"{sku} {description}: 1."] + [f"{n} of {sku}." for n in range(2, 21)] + [
        f"Received: 20 × {sku} into {DOCK}."
    ]
    keys = [KEY.search(r.request.post_data_buffer).group(1) for r in answers]
    assert len(set(keys)) == 21
    assert floor.movements() == [("receive", sku, None, 20, None, DOCK)]
    assert floor.on_hand(sku, DOCK) == 20


def test_an_answer_lost_on_the_way_back_is_resent_with_its_key_and_posts_once(floor, page, shots):
    sku, description, ean = plain_item(floor)
    gun = blind_receipt(floor, page)
    gun.scan(ean, f"{sku} {description}: 1.")
    gun.scan(ean, f"2 of {sku}.")

    def lose_the_answer(route):
        route.fetch()  # the server posts the receipt...
        route.abort("connectionreset")  # ...and the answer never arrives
        return route.request

    sent = on_the_next_post(page, f"{floor.url}/receive", lose_the_answer)
    type_scan(page, "DOCK01")
    waiting = page.locator("#step .status-waiting")
    waiting.wait_for()
    assert waiting.inner_text() == "No connection: 1 scan(s) waiting, sending again…"
    shots(page, "waiting")
    assert floor.movements() == [("receive", sku, None, 2, None, DOCK)]
    # scan.js tries again by itself, with the same key: recorded once, said once more.
    gun.act(lambda: None, f"Already recorded: 2 × {sku} into {DOCK}.", "ok", "resent")
    assert floor.movements() == [("receive", sku, None, 2, None, DOCK)]

    # The very same submit replayed byte for byte (a proxy retrying it) changes nothing.
    first = sent[0]
    again = page.request.post(
        first.url,
        data=first.post_data_buffer,
        headers={
            "Content-Type": first.headers["content-type"],
            "HX-Request": "true",
            "HX-Target": "step",
        },
    )
    assert again.status == 200
    assert band(again.text()) == f"Already recorded: 2 × {sku} into {DOCK}."
    assert floor.movements() == [("receive", sku, None, 2, None, DOCK)]
    assert floor.on_hand(sku, DOCK) == 2


def test_an_answer_that_never_comes_is_given_up_and_the_scan_resent_with_its_key(floor, page):
    """A handheld roaming between access points: the connection goes quiet with the scan
    posted and no answer, and without a time limit the queue would wait for minutes."""
    floor.app.config["SCAN_ANSWER_SECONDS"] = 1
    sku, description, ean = plain_item(floor)
    gun = blind_receipt(floor, page)
    gun.scan(ean, f"{sku} {description}: 1.")
    # The server posts the receipt; nothing comes back.
    stalled = on_the_next_post(page, f"{floor.url}/receive", lambda route: route.fetch())
    type_scan(page, "DOCK01")
    type_scan(page, ean)  # the next scan waits its turn behind the stalled one
    waiting = page.locator("#step .status-waiting")
    waiting.wait_for()
    assert waiting.inner_text() == "No connection: 2 scan(s) waiting, sending again…"
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
    gun.act(lambda: None, f"{sku} {description}: 1.", "ok", None)  # both answered, in order
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
    assert len(stalled) == 1


def test_a_server_failure_is_said_in_red_and_the_scans_after_it_go_through(floor, page):
    sku, description, ean = plain_item(floor)
    gun = blind_receipt(floor, page)

    def fail(route):
        route.fulfill(status=500, body="Internal Server Error")
        return route.request

    failed = on_the_next_post(page, f"{floor.url}/receive", fail)
    type_scan(page, ean)
    expect(page.locator("#step .status-error")).to_have_text(SERVER_FAILED)
    assert page.evaluate("document.body.dataset.last") == "error"
    assert page.evaluate("document.activeElement.id") == "scan"
    gun.scan(ean, f"{sku} {description}: 1.")  # not stuck behind the failed one
    assert len(failed) == 1 and floor.movements() == []


@pytest.fixture
def no_js_page(chromium):
    context = chromium.new_context(
        viewport={"width": 360, "height": 640}, has_touch=True, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def test_without_javascript_a_receipt_is_received_through_plain_form_posts(
    floor, no_js_page, shots
):
    page = no_js_page
    sign_in(page, floor.url)
    gun = Handheld(page, shots, js=False)
    gun.open(f"{floor.url}/receive")
    gun.tap("PO1002", "Receiving PO1002.", shot="nojs-receipt")
    with floor.session() as session:
        line = session.scalar(sa.select(Receipt).where(Receipt.number == "PO1002")).lines[0]
        sku, description = line.item.sku, line.item.description
        each = next(b.code for b in line.item.barcodes if b.pack_qty == 1)
    gun.scan(each[1:], f"{sku} {description}: 1.")
    gun.scan(
        "PO1002",
        "That is receipt PO1002; scan the bin or dock it goes to.",
        "error",
        shot="nojs-refused",
    )
    assert floor.movements() == []
    gun.scan("DOCK01", f"Received: 1 × {sku} into {DOCK}.", shot="nojs-received")
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
    assert floor.on_hand(sku, DOCK) == 1


def test_undo_pressed_while_scans_wait_names_the_movement_it_was_pressed_on(floor, page):
    # The queue sends the Undo after the scans before it, when the page shows another
    # movement: it must still mean the one on screen when it was pressed.
    sku, _, ean = plain_item(floor)
    gun = blind_receipt(floor, page)
    gun.scan(ean, re.compile(rf"^{sku} .*: 1\.$"))
    gun.scan("DOCK01", f"Received: 1 × {sku} into {DOCK}.")
    answers = []
    page.on("response", lambda r: answers.append(r) if r.request.method == "POST" else None)
    floor.slow(300)
    type_scan(page, ean)
    type_scan(page, "DOCK01")
    page.locator("#step button", has_text="Undo").tap()  # pressed on the first receipt
    expect(page.locator("#step .status")).to_have_text(
        re.compile(r"^You have recorded another movement since"), timeout=10_000
    )
    assert len(answers) == 3
    assert band(answers[1].text()) == f"Received: 1 × {sku} into {DOCK}."
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)] * 2  # nothing undone


def test_a_scan_the_server_failed_on_after_recording_it_posts_once_when_scanned_again(
    floor, page
):
    """A bug that fails the answer after the commit: "scan it again" must not post twice.
    The same scan on the same step is sent with the failed one's key."""
    sku, description, ean = plain_item(floor)
    gun = blind_receipt(floor, page)
    gun.scan(ean, f"{sku} {description}: 1.")

    def fail_after_recording(route):
        route.fetch()  # the server records the receipt...
        route.fulfill(status=500, body="Internal Server Error")  # ...then fails

    on_the_next_post(page, f"{floor.url}/receive", fail_after_recording)
    type_scan(page, "DOCK01")
    expect(page.locator("#step .status-error")).to_have_text(SERVER_FAILED)
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
    gun.scan("DOCK01", f"Already recorded: 1 × {sku} into {DOCK}.")
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
    gun.scan(ean, f"{sku} {description}: 1.")  # a new scan gets a key of its own
    gun.scan("DOCK01", f"Received: 1 × {sku} into {DOCK}.")
    assert len(floor.movements()) == 2


@pytest.fixture
def impatient_floor(tmp_path, demo_file):
    """The demo on SQLite whose writers give up waiting for the write lock after 0.2 s."""
    shutil.copy(demo_file, tmp_path / "floor.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/floor.db",
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLITE_BUSY_TIMEOUT_MS": 200})
    live = LiveFloor(app)
    yield live
    live.close()


def test_a_scan_while_the_database_is_out_of_reach_waits_and_lands_once(impatient_floor, page):
    """The server answers 503 while it cannot write (here another process holds SQLite's
    write lock; on PostgreSQL, a restart): the scan waits on the handheld, is sent again
    with its key, and lands once when the database is back."""
    floor = impatient_floor
    sku, description, ean = plain_item(floor)
    gun = blind_receipt(floor, page)
    gun.scan(ean, f"{sku} {description}: 1.")
    holder = sqlite3.connect(floor.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix(
        "sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with page.expect_response(lambda r: r.request.method == "POST") as refused:
            type_scan(page, "DOCK01")
        assert refused.value.status == 503
        waiting = page.locator("#step .status-waiting")
        waiting.wait_for()
        assert waiting.inner_text() == "Server not ready: 1 scan(s) waiting, sending again…"
        assert floor.movements() == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    gun.act(lambda: None, f"Received: 1 × {sku} into {DOCK}.", "ok", None)
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
