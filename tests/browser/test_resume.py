"""A step left unfinished on a handheld is carried on when its screen opens again: a count
half done survives a reload, a look-up on the way and signing out and in, on that device,
for that worker only; so does the Undo of the movement last recorded."""

import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.handheld import Handheld, sign_in, type_scan
from tests.browser.test_pick_and_count import blind_task
from tests.browser.test_scan_queue import DOCK, blind_receipt, plain_item
from webapp.models import CountLine, CountTask, Item, Location, LocationKind, StockBalance

pytestmark = pytest.mark.browser
RESUMED = "Carried on where you left off."


def counted_so_far(page) -> list[list[str]]:
    """[sku, lot, counted] per line (the item's cell is its SKU, then its description)."""
    rows = page.locator("#step table.lines tr:has(td)").all()
    lines = [row.locator("td").all_inner_texts() for row in rows]
    return [[item.split(" ", 1)[0], *rest] for item, *rest in lines]


def sign_out(page, url):
    page.goto(f"{url}/")
    with page.expect_navigation():
        page.locator("form.signout button").click()


def test_a_count_half_done_survives_a_reload_and_a_look_up_on_the_way(floor, page, shots):
    number, code, held = blind_task(floor)
    (first, first_ean, first_qty), (second, second_ean, _) = held[:2]
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/count")
    gun.scan(code.replace("-", ""), f"Counting {code}.")
    gun.scan(first_ean, f"{first}: 1.")
    gun.set_qty(first_qty, f"{first}: set to {first_qty}.")

    page.reload()
    expect(page.locator("#step .status")).to_have_text(RESUMED)
    expect(page.locator("#step")).to_have_attribute("data-status", "ok")
    shots(page, "count-carried-on")
    assert counted_so_far(page) == [[first, "", str(first_qty)]]
    gun.focused()

    gun.open(f"{floor.url}/lookup")  # what was that item? A look-up, then back
    gun.scan(second_ean, re.compile(rf"^{second} .*: \d+ in \d+ places?\.$"))
    page.goto(f"{floor.url}/count")
    expect(page.locator("#step .status")).to_have_text(RESUMED)
    gun.scan(second_ean, f"{second}: 1.")
    gun.tap("Done", f"Counted {code}: {len(held) - 1} difference"
            f"{'s' * (len(held) - 1 != 1)} sent to a supervisor.", "warn")
    with floor.session() as session:
        counted = dict(session.execute(
            sa.select(Item.sku, CountLine.counted_qty)
            .join(Item, Item.id == CountLine.item_id)
            .join(CountTask, CountTask.id == CountLine.task_id)
            .where(CountTask.number == number)
        ).all())
    assert counted[first] == first_qty and counted[second] == 1

    page.reload()  # done: nothing left to carry on
    expect(page.locator("#step .prompt")).to_have_text("Scan a count task or its bin")
    assert page.locator("#step .status").count() == 0


def test_a_count_is_carried_on_for_the_worker_who_left_it_not_the_next_on_the_device(
    floor, page
):
    _, code, held = blind_task(floor)
    first, first_ean, _ = held[0]
    sign_in(page, floor.url)
    gun = Handheld(page)
    gun.open(f"{floor.url}/count")
    gun.scan(code.replace("-", ""), f"Counting {code}.")
    gun.scan(first_ean, f"{first}: 1.")
    sign_out(page, floor.url)

    sign_in(page, floor.url, badge="U0002", pin="2222")  # Walt takes the handheld
    gun.open(f"{floor.url}/count")
    assert page.locator("#step .status").count() == 0
    assert gun.prompt() == "Scan a count task or its bin"
    sign_out(page, floor.url)

    sign_in(page, floor.url)  # Wendy again: her count is where she left it
    page.goto(f"{floor.url}/count")
    expect(page.locator("#step .status")).to_have_text(RESUMED)
    assert counted_so_far(page) == [[first, "", "1"]]


def test_the_undo_of_the_last_movement_is_offered_again_after_a_reload(floor, page):
    sign_in(page, floor.url)
    gun = Handheld(page)
    gun.open(f"{floor.url}/move")
    with floor.session() as session:
        code, sku, qty = session.execute(
            sa.select(Location.code, Item.sku, StockBalance.quantity)
            .join(StockBalance, StockBalance.location_id == Location.id)
            .join(Item, Item.id == StockBalance.item_id)
            .where(Location.kind == LocationKind.PICK, StockBalance.lot_id.is_(None),
                   StockBalance.quantity > 1, Item.tracking == "none")
            .order_by(Location.sequence)
        ).first()
    to = "E-10-03-B" if code != "E-10-03-B" else "E-10-03-A"
    gun.scan(code.replace("-", ""), f"Bin {code}.")
    gun.scan(sku, f"1 × {sku}.")
    gun.scan(to.replace("-", ""), f"Moved: 1 × {sku} from {code} to {to}.")
    page.reload()
    expect(page.locator("#step .status")).to_have_text(
        f"{RESUMED} Last recorded: 1 × {sku} from {code} to {to}.")
    gun.tap("Undo", f"Undone: 1 × {sku} from {to} to {code}.")
    assert floor.on_hand(sku, code) == qty
    page.reload()  # undone: nothing left to offer
    assert page.locator("#step .status").count() == 0


def test_a_scan_whose_answer_a_reload_lost_is_sent_again_and_posts_once(floor, page):
    # The destination scan reaches the server, which posts it, but the page reloads
    # before the answer comes: the kept step is the one before that scan. Sent again
    # with its own key, the scan is answered "Already recorded"; scanned anew, it would
    # have been received twice.
    sku, _, ean = plain_item(floor)
    gun = blind_receipt(floor, page)
    gun.scan(ean, re.compile(rf"^{sku} .*: 1\.$"))
    # Answered late, not handled late: the scan is recorded before the page reloads, so
    # the resend finds it whatever the machine's load (a late handling would let the
    # resend post first, the delayed original then being the resend).
    floor.answer_late(1500)
    with page.expect_request(lambda r: r.method == "POST"):
        type_scan(page, "DOCK01")
    deadline = time.monotonic() + 10
    while not floor.movements() and time.monotonic() < deadline:  # recorded, not answered
        time.sleep(0.02)
    page.reload()
    floor.answer_late(0)
    expect(page.locator("#step .status")).to_have_text(
        f"Already recorded: 1 × {sku} into {DOCK}.", timeout=10_000)
    assert gun.prompt() == "Scan the item"
    assert floor.movements() == [("receive", sku, None, 1, None, DOCK)]
    page.reload()  # nothing waits any more: only the Undo of that receipt is offered again
    expect(page.locator("#step .status")).to_have_text(
        f"{RESUMED} Last recorded: 1 × {sku} into {DOCK}.")
    assert len(floor.movements()) == 1
