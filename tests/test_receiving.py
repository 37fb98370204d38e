"""Receiving on the floor, through the flow's rules (steps.run), on both databases."""

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import flowdriver
from webapp import receipts, receiving, stock
from webapp.db import db
from webapp.models import DocStatus, Lot, PickList, Receipt, ReceiptLine, StockMovement


@pytest.fixture
def po(site):
    receipt = Receipt(number="PO1001", warehouse_id=site.warehouse.id, supplier="Acme")
    receipt.lines = [
        ReceiptLine(item_id=site.widget.id, expected_qty=24),
        ReceiptLine(item_id=site.milk.id, expected_qty=10),
    ]
    db.session.add(receipt)
    db.session.commit()
    return receipt


def Worker(user):
    return flowdriver.Worker(receiving, user)


def movements():
    return list(db.session.scalars(sa.select(StockMovement).order_by(StockMovement.id)))


def test_receiving_a_receipt_by_scans_puts_eaches_and_cases_on_the_dock(site, po):
    w = Worker(site.worker)
    assert w().prompt == "Scan a receipt, or choose one"
    assert w("PO1001").prompt == "Scan the item"
    assert dict(w("5012345678900").context)["Quantity"] == "1"
    assert dict(w("]I115012345678907").context)["Quantity"] == "13"  # a case adds 12
    done = w("DOCK1")
    assert done.ok and done.message == "Received: 13 × 1042 into DOCK-1."
    assert done.prompt == "Scan the item" and done.state == {"receipt": "PO1001"}
    assert stock.on_hand("1042", "DOCK-1") == 13
    (m,) = movements()
    assert (m.reference, m.device_id, m.user_id) == ("PO1001", "test-gun", site.worker.id)
    assert [r["received"] for r in done.data["progress"]] == [13, 0]


def test_a_scan_of_the_wrong_kind_says_what_it_was_and_what_to_scan(site, po):
    w = Worker(site.worker)
    step = w("DOCK1")
    assert step.ok is False
    assert step.message == "That is bin DOCK-1; scan a receipt, or choose one below."
    w("PO1001")
    assert w("A0101A").message == "That is bin A-01-01-A; scan an item."
    # A new supplier's GTIN on an item we stock: the SKU can be typed instead.
    assert w("5901234123457").message == (
        "Unknown barcode “5901234123457”; scan an item, or type its SKU."
    )
    db.session.add(PickList(number="PL7", warehouse_id=site.warehouse.id))
    db.session.commit()
    assert w("PL7").message == "That is pick list PL7; scan an item, or another receipt."
    assert w("5012345678900").ok
    assert w("PO1001").message == "That is receipt PO1001; scan the bin or dock it goes to."
    assert movements() == []


def test_an_unknown_barcode_is_shown_and_nothing_changes(site, po):
    w = Worker(site.worker)
    w("PO1001")
    step = w("XYZ-NOT-A-CODE")
    assert step.ok is False and "XYZ-NOT-A-CODE" in step.message
    assert step.state == {"receipt": "PO1001"} and movements() == []


def test_a_different_item_while_one_is_in_hand_is_refused(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    step = w("4006381333931")
    assert step.ok is False and "You are receiving 1042" in step.message
    assert step.state["sku"] == "1042" and movements() == []


def test_over_receipt_warns_and_posts_only_when_confirmed(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w(action="qty", qty="30")
    step = w("DOCK1")
    assert step.ok is None and step.message == (
        "PO1001 expects 24 of 1042; 0 received, so 30 more makes 30. Receive anyway? "
        "Press Receive anyway, or type a smaller quantity."
    )
    assert ("confirm", "Receive anyway") in step.actions and movements() == []
    assert w("DOCK1").message == step.message  # a second scan is no confirmation
    assert movements() == []
    assert w(action="confirm").message == "Received: 30 × 1042 into DOCK-1."
    assert stock.on_hand("1042", "DOCK-1") == 30


def test_over_receipt_is_refused_when_the_policy_blocks_it(app, site, po):
    app.config["OVER_RECEIPT"] = "block"
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w(action="qty", qty="25")
    step = w("DOCK1")
    assert step.ok is False and "not allowed" in step.message and movements() == []


def test_a_confirm_from_a_page_shown_before_the_policy_became_block_is_refused(app, site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w(action="qty", qty="30")
    assert "Receive anyway?" in w("DOCK1").message  # warn
    app.config["OVER_RECEIPT"] = "block"
    step = w(action="confirm")
    assert step.ok is False and "not allowed" in step.message and movements() == []


@pytest.mark.parametrize("how", ["scan", "confirm"])
def test_a_receipt_closed_while_an_item_was_in_hand_takes_nothing_more(site, po, how):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    if how == "confirm":
        w(action="qty", qty="30")
        w("DOCK1")  # "Receive anyway?"
    receipts.close_receipt(site.boss, "PO1001")  # the office, meanwhile
    step = w("DOCK1") if how == "scan" else w(action="confirm")
    assert step.ok is False and step.message == "Receipt PO1001 is closed; choose an open receipt."
    assert movements() == []


def test_a_resend_of_the_scan_that_filled_the_receipt_is_recorded_not_questioned(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w(action="qty", qty="24")  # all the receipt expects
    before, key = dict(w.state), uuid.uuid4().hex
    assert w("DOCK1", key=key).message == "Received: 24 × 1042 into DOCK-1."
    w.state = before  # the answer was lost; the handheld sends the scan again
    step = w("DOCK1", key=key)
    assert step.ok is True and step.message.startswith("Already recorded: 24 × 1042")
    assert len(movements()) == 1


@pytest.mark.parametrize("typed", ["0", "-4", "abc", "2.5", "1000000"])
def test_a_bad_typed_quantity_is_refused_and_keeps_the_count(site, po, typed):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    step = w(action="qty", qty=typed)
    assert step.ok is False and step.state["qty"] == "1"


def test_a_lot_tracked_item_asks_for_lot_and_expiry(site, po):
    w = Worker(site.worker)
    w("PO1001")
    assert w("4006381333931").prompt == "Scan or type the lot"
    assert w("L42").prompt == "Type the expiry date"
    assert w("A0101A").ok is False  # a scan is not a date
    assert w(action="expiry", date="2027-03-31").prompt == "Scan more, or scan where it goes"
    assert w("DOCK1").ok
    lot = db.session.scalar(sa.select(Lot).where(Lot.code == "L42"))
    assert lot.expiry == date(2027, 3, 31)
    assert stock.on_hand("2001", "DOCK-1", lot="L42") == 1


def test_the_expiry_can_come_from_the_scan_field_or_the_cases_gs1_label(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("4006381333931")
    w("L42")
    # Typed in the scan field (it has the focus), in the form the date picker uses.
    assert w("2027-03-31").message == "Expires 2027-03-31."
    w(action="cancel")
    w("4006381333931")
    w("L43")
    # The case's GS1 label: the same item and lot, with its expiry (17).
    other_lot = w("]C1010400638133393117270331" + "10L99")
    assert other_lot.ok is False and other_lot.message == (
        "That label is lot L99, not L43: type the expiry date of lot L43, or press No expiry."
    )
    assert w("31/03/2027").message == (
        "“31/03/2027” is not a date I can read: type year-month-day (2027-03-31), or use the "
        "date field."
    )
    step = w("]C1010400638133393117270331" + "10L43")
    assert step.ok is True and step.message == "Expires 2027-03-31."
    assert step.prompt == "Scan more, or scan where it goes"
    assert dict(step.context)["Quantity"] == "1"  # read for its date, not counted


def test_a_gs1_label_fills_item_lot_expiry_and_quantity_at_once(site, po):
    w = Worker(site.worker)
    w("PO1001")
    step = w("]C10104006381333931172703313706\x1d10L77")  # GS ends the count
    assert step.prompt == "Scan more, or scan where it goes"
    assert dict(step.context)["Lot"] == "L77" and dict(step.context)["Quantity"] == "6"
    w("DOCK1")
    assert stock.on_hand("2001", "DOCK-1", lot="L77") == 6


def test_the_same_submit_twice_posts_once(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    before = dict(w.state)
    key = uuid.uuid4().hex
    assert w("DOCK1", key=key).message.startswith("Received")
    w.state = before  # the page had not been updated when the resend went out
    assert w("DOCK1", key=key).message.startswith("Already recorded")
    assert len(movements()) == 1


def test_an_unexpected_item_is_flagged_and_recorded_at_closing(site, po):
    w = Worker(site.worker)
    w("PO1001")
    step = w("3001")  # a serialised drill, labelled with its SKU, not on the receipt
    assert step.ok is None and step.message == (
        "3001 is not on PO1001: it will be recorded as unexpected."
    )
    assert w("SN-77").prompt == "Scan where it goes"  # one unit per serial number
    assert w("DOCK1").ok
    w("5012345678900")
    w(action="qty", qty="20")
    w("DOCK1")
    asked = w(action="close")  # lines are short: asked once
    assert asked.ok is None and asked.message == (
        "2 of 2 lines are not all received. Press Close receipt again to close PO1001 short, "
        "or scan an item."
    )
    assert db.session.scalar(sa.select(Receipt.status)) != DocStatus.CLOSED
    closed = w(action="close")
    assert closed.message == "Receipt PO1001 closed."
    lines = {
        line["item"].sku: (line["expected"], line["received"]) for line in closed.data["closed"]
    }
    assert lines == {"1042": (24, 20), "2001": (10, 0), "3001": (0, 1)}
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.number == "PO1001"))
    assert receipt.status == DocStatus.CLOSED and receipt.closed_by_id == site.worker.id
    assert w("PO1001").message == "Receipt PO1001 is closed; choose an open receipt."
    receipt.status = DocStatus.CANCELLED  # as the office leaves one nobody started on
    db.session.commit()
    assert w("PO1001").message == "Receipt PO1001 was cancelled; choose an open receipt."


def test_blind_receipt_records_the_reason_and_no_document(site):
    w = Worker(site.worker)
    w(action="blind")
    w("5012345678900")
    assert w("A0101A").message == "Received: 1 × 1042 into A-01-01-A."
    (m,) = movements()
    assert (m.reference, m.reason) == ("", "blind receipt")


def test_undo_reverses_the_workers_last_receipt(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w("DOCK1")
    step = w(action="undo")
    assert step.ok and step.message == "Undone: 1 × 1042 out of DOCK-1."
    assert stock.on_hand("1042", "DOCK-1") == 0
    assert [r["received"] for r in step.data["progress"]] == [0, 0]
    assert w(action="undo").message == "Your last movement is already undone."
    assert len(movements()) == 2


def test_undo_after_the_receipt_was_closed_is_refused_and_writes_nothing(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w("DOCK1")
    w(action="close")
    assert w(action="close").message == "Receipt PO1001 closed."
    step = w(action="undo")
    assert step.ok is False
    assert step.message == (
        "Receipt PO1001 is closed, so its 1 × 1042 cannot be undone here; "
        "ask a supervisor to correct it."
    )
    assert len(movements()) == 1 and stock.on_hand("1042", "DOCK-1") == 1


def test_a_lot_already_expired_is_received_with_a_warning(site):
    yesterday = date.today() - timedelta(days=1)
    w = Worker(site.worker)
    w(action="blind")
    w("04006381333931")
    w("L1")
    step = w(action="expiry", date=yesterday.isoformat())
    assert step.ok is None and step.message == (
        f"Expired on {yesterday}: check the date. If it is right, receive it and tell a "
        "supervisor; it will not be picked."
    )
    assert w("DOCK1").message == "Received: 1 × 2001 lot L1 into DOCK-1."
    # From a GS1 label: GTIN, expiry, lot.
    step = w(f"]C1010400638133393117{yesterday:%y%m%d}10L2")
    assert step.ok is None and step.message.startswith(f"Expired on {yesterday}")
    assert ("Lot", "L2") in step.context


def test_a_receipt_all_received_closes_at_once_and_a_scan_cancels_the_question(site, po):
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    w(action="qty", qty="24")
    w("DOCK1")
    assert w(action="close").message.startswith("1 of 2 lines is not all received.")
    w("04006381333931")  # the worker goes on receiving instead: the question is dropped
    w("L1")
    w(action="noexpiry")
    w(action="qty", qty="10")
    w("DOCK1")
    assert "close" not in w.state
    assert w(action="close").message == "Receipt PO1001 closed."


def test_the_step_that_wants_a_destination_names_the_receiving_dock(site, po):
    # A worker new to the warehouse, typing on a keyboard, learns the dock's code here.
    w = Worker(site.worker)
    assert "Dock" not in dict(w("PO1001").context)
    assert dict(w("5012345678900").context)["Dock"] == "DOCK-1"
    assert "Dock" not in dict(w("DOCK1").context)  # received: the next item is asked for
    w(action="blind")
    w("5012345678900")
    assert dict(w(action="qty", qty="3").context)["Dock"] == "DOCK-1"


def test_a_receipt_is_received_into_its_own_warehouse_only(far, po):
    w = Worker(far.worker)
    w("PO1001")
    w("5012345678900")
    refused = w("N0101A")  # a bin of warehouse WH2
    assert refused.ok is False
    assert refused.message == (
        "PO1001 arrives at warehouse WH1; N-01-01-A is in WH2. Scan a bin of WH1, or the dock."
    )
    assert refused.prompt == "Scan more, or scan where it goes" and movements() == []
    assert w("DOCK1").message == "Received: 1 × 1042 into DOCK-1."


def test_cancel_item_after_counting_units_asks_once_and_a_scan_carries_on(site, po):
    # Cancel item sits under the quantity: a slip would throw away a case's worth of counting.
    w = Worker(site.worker)
    w("PO1001")
    w("5012345678900")
    assert w(action="cancel").message == "Cancelled; nothing was received."  # one unit: at once
    w("5012345678900")
    w("5012345678900")
    asked = w(action="cancel")
    assert asked.ok is None and asked.message == (
        "Drop the 2 of 1042 counted so far? Press Cancel item again to drop them, "
        "or scan on to carry on."
    )
    assert dict(asked.context)["Quantity"] == "2"
    assert dict(w("5012345678900").context)["Quantity"] == "3"  # carried on: it asks again
    assert w(action="cancel").ok is None
    dropped = w(action="cancel")
    assert dropped.message == "Cancelled; nothing was received."
    assert dropped.prompt == "Scan the item" and dropped.state == {"receipt": "PO1001"}
    assert movements() == []
