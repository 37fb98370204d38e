"""Receiving an expected receipt and putting it away, scan by scan, in a real browser."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.handheld import GS, TAB, Handheld, sign_in
from webapp.models import Item, Location, LocationKind, Receipt, StockBalance, Tracking

pytestmark = pytest.mark.browser
DOCK = "DOCK-01"


def receipt_lines(floor, number):
    """(sku, expected, barcodes as {pack_qty: code}, tracking, description) per line."""
    with floor.session() as session:
        receipt = session.scalar(sa.select(Receipt).where(Receipt.number == number))
        return [
            (
                line.item.sku,
                line.expected_qty,
                {b.pack_qty: b.code for b in line.item.barcodes},
                line.item.tracking,
                line.item.description,
            )
            for line in receipt.lines
        ]


def pick_face_of(floor, sku) -> str:
    with floor.session() as session:
        return session.scalar(
            sa.select(Location.code)
            .join(StockBalance, StockBalance.location_id == Location.id)
            .join(Item, Item.id == StockBalance.item_id)
            .where(Item.sku == sku, StockBalance.quantity > 0, Location.kind == LocationKind.PICK)
            .order_by(StockBalance.quantity.desc())
        )


@pytest.mark.parametrize("floor", ["sqlite", "postgresql"], indirect=True)
def test_a_receipt_with_a_case_and_a_lot_is_received_then_put_away_and_undone(floor, page, shots):
    lines = receipt_lines(floor, "PO1001")
    lot_sku, lot_expected, lot_codes, _, lot_name = next(x for x in lines if x[3] == Tracking.LOT)
    case_sku, case_expected, case_codes, _, case_name = next(x for x in lines if len(x[2]) > 1)
    pack = max(case_codes)
    assert case_expected >= pack and lot_expected >= 8
    sign_in(page, floor.url, shots=shots)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/receive")
    shots(page, "receive-start")

    gun.scan("PO1001", "Receiving PO1001.", suffix=TAB, shot="receipt")
    assert floor.movements() == []

    # A case: ITF-14 with its AIM identifier; one scan is a whole case.
    gun.scan("]I1" + case_codes[pack], f"{case_sku} {case_name}: {pack}.", shot="case")
    assert gun.context()["Quantity"] == str(pack)
    gun.scan("DOCK01", f"Received: {pack} × {case_sku} into {DOCK}.", shot="case-received")
    assert floor.movements() == [("receive", case_sku, None, pack, None, DOCK)]
    assert floor.on_hand(case_sku, DOCK) == pack

    # A lot-tracked item from a GS1-128 label: GTIN, expiry, lot, then a count of 5, the
    # lot ended by a real group separator; then 3 more with the scanner's printable "~".
    expiry = date.today() + timedelta(days=200)
    gtin = lot_codes[1]
    gs1 = f"]C101{gtin}17{expiry:%y%m%d}10LOTB7"
    gun.scan(gs1 + GS + "3705", f"{lot_sku} {lot_name}: 5.", shot="lot")
    assert gun.context()["Lot"] == "LOTB7" and gun.context()["Expiry"] == expiry.isoformat()
    gun.scan(gs1 + "~3703", f"8 of {lot_sku}.")
    assert floor.movements()[1:] == []
    gun.scan("DOCK01", f"Received: 8 × {lot_sku} lot LOTB7 into {DOCK}.", shot="lot-received")
    assert floor.movements()[1:] == [("receive", lot_sku, "LOTB7", 8, None, DOCK)]
    assert floor.on_hand(lot_sku, DOCK, "LOTB7") == 8

    # Put the case away: from the dock, all of it, to the bin the screen suggests.
    gun.open(f"{floor.url}/move")
    gun.scan("DOCK01", f"Bin {DOCK}.")
    face = pick_face_of(floor, case_sku)
    before = floor.on_hand(case_sku, face)
    gun.scan(
        case_codes[1][1:],
        f"{pack} × {case_sku}. Suggested bin: {face}.",
        suffix=TAB,
        shot="putaway-suggested",
    )
    gun.scan(face.replace("-", ""), f"Moved: {pack} × {case_sku} from {DOCK} to {face}.")
    # The lot is still on the dock: the next putaway starts there, with no second scan of it.
    assert gun.prompt() == "Scan the item" and gun.context()["From"] == DOCK
    moved = ("move", case_sku, None, pack, DOCK, face)
    assert floor.movements()[2:] == [moved]
    assert (floor.on_hand(case_sku, DOCK), floor.on_hand(case_sku, face)) == (0, before + pack)

    # Undo from the floor: a reversal, the stock back on the dock, no Undo button left.
    gun.tap("Undo", f"Undone: {pack} × {case_sku} from {face} to {DOCK}.", shot="undone")
    assert floor.movements()[3:] == [("reverse", case_sku, None, pack, face, DOCK)]
    assert (floor.on_hand(case_sku, DOCK), floor.on_hand(case_sku, face)) == (pack, before)
    assert page.locator("#step button", has_text="Undo").count() == 0


def test_a_new_lot_without_a_gs1_label_asks_for_its_expiry_and_an_over_receipt_is_confirmed(
    floor, page, shots
):
    lines = receipt_lines(floor, "PO1001")
    sku, expected, codes, _, name = next(x for x in lines if x[3] == Tracking.LOT)
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/receive")
    gun.scan("PO1001", "Receiving PO1001.")
    gun.scan("]E0" + codes[1][1:], f"{sku} {name}: 1.")
    assert gun.prompt() == "Scan or type the lot"
    gun.scan("NEWLOT1", "Lot NEWLOT1.", shot="expiry")
    assert gun.prompt() == "Type the expiry date"
    page.locator("#date").fill("2027-12-31")  # what the date picker does
    gun.tap_on(page.locator("#step .typed button", has_text="Set"))
    expect(page.locator("#step .prompt")).to_have_text("Scan more, or scan where it goes")
    gun.focused()
    assert gun.context()["Expiry"] == "2027-12-31"
    over = expected + 5
    gun.set_qty(over, f"Quantity set to {over}.")
    gun.scan(
        "DOCK01",
        f"PO1001 expects {expected} of {sku}; 0 received, so {over} more makes {over}. "
        "Receive anyway? Press Receive anyway, or type a smaller quantity.",
        "warn",
        shot="over-receipt",
    )
    assert floor.movements() == []
    gun.tap("Receive anyway", f"Received: {over} × {sku} lot NEWLOT1 into {DOCK}.")
    assert floor.movements() == [("receive", sku, "NEWLOT1", over, None, DOCK)]
    assert floor.on_hand(sku, DOCK, "NEWLOT1") == over
