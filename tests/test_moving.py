"""Moving and putaway through the flow's rules, on both databases."""

import uuid

import pytest
import sqlalchemy as sa

from tests.flowdriver import Worker
from webapp import masterdata, moving, steps, stock
from webapp.db import db
from webapp.models import StockMovement
from webapp.steps import Entry


def receive(site, sku="1042", qty=10, to="DOCK-1", lot=None):
    stock.receive(
        site.worker,
        to_bin=to,
        sku=sku,
        qty=qty,
        lot=lot,
        expiry=site.expiry if lot else None,
        key=uuid.uuid4().hex,
    )


def count_movements():
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


def test_putaway_from_the_dock_moves_all_of_it_to_the_suggested_bin(site):
    receive(site, qty=10)
    receive(site, qty=3, to="B-01-01-A")
    w = Worker(moving, site.worker)
    assert w("DOCK1").prompt == "Scan the item"
    step = w("5012345678900")
    assert step.prompt == "Scan the destination bin"
    assert dict(step.context)["Quantity"] == "10"
    assert dict(step.context)["Suggested bin"] == "B-01-01-A"  # already holds the item
    done = w("B0101A")
    assert done.message == "Moved: 10 × 1042 from DOCK-1 to B-01-01-A."
    assert stock.on_hand("1042", "B-01-01-A") == 13 and stock.on_hand("1042", "DOCK-1") == 0


def test_putaway_stays_on_the_dock_while_it_holds_more(site):
    receive(site, qty=10)
    receive(site, sku="2001", qty=5, lot="L1")
    w = Worker(moving, site.worker)
    w("DOCK1")
    w("5012345678900")
    at_destination = dict(w.state)
    step = w("A0101A", key="putaway-key-0001")
    assert step.message == "Moved: 10 × 1042 from DOCK-1 to A-01-01-A."
    # The next line is on the same dock: no second scan of it.
    assert step.state == {"from": "DOCK-1"} and step.prompt == "Scan the item"
    # A resend of that scan (its answer lost) is answered as the scan was.
    again = Worker(moving, site.worker, at_destination)("A0101A", key="putaway-key-0001")
    assert again.message == "Already recorded: 10 × 1042 from DOCK-1 to A-01-01-A."
    assert again.state == {"from": "DOCK-1"}
    assert [(item.sku, qty) for item, _, qty in step.data["contents"]] == [("2001", 5)]
    w("4006381333931")
    step = w("A0102A")
    assert step.message == "Moved: 5 × 2001 lot L1 from DOCK-1 to A-01-02-A."
    assert step.state == {} and step.prompt == "Scan the bin to move from"  # the dock is empty


def test_a_move_from_a_storage_bin_starts_afresh(site):
    receive(site, qty=10, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("5012345678900")
    step = w("B0101A")
    assert step.message == "Moved: 1 × 1042 from A-01-01-A to B-01-01-A."
    assert step.state == {} and step.prompt == "Scan the bin to move from"


def test_a_bin_scanned_for_the_item_is_the_bin_to_move_from_instead(site):
    receive(site, qty=4)
    receive(site, qty=3, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("DOCK1")
    step = w("A0101A")  # done on the dock: the worker walks to another bin
    assert step.ok is True and step.message == "Bin A-01-01-A."
    assert step.state == {"from": "A-01-01-A"} and step.prompt == "Scan the item"
    refused = w("A0102A")  # an empty bin: the one before stays chosen
    assert refused.message == "Bin A-01-02-A is empty; scan another bin."
    assert refused.state == {"from": "A-01-01-A"}


def test_an_item_nowhere_else_is_suggested_the_first_empty_bin_in_walking_order(site):
    receive(site, qty=5)
    receive(site, sku="2001", lot="L1", qty=1, to="A-01-01-A")
    rows = moving.putaway_list()
    assert [(r["item"].sku, r["qty"], r["suggested"].code) for r in rows] == [
        ("1042", 5, "A-01-02-A")
    ]


def test_an_item_with_a_putaway_zone_is_suggested_the_first_empty_bin_of_that_zone(site):
    site.b1.zone = site.widget.zone = "RESERVE"  # B-01-01-A: last in walking order
    db.session.commit()
    receive(site, qty=5)

    def suggested() -> str:
        return moving.suggest_bin(site.widget, site.warehouse.id).code

    assert suggested() == "B-01-01-A"  # not A-01-01-A, first in walking order but zone A
    receive(site, sku="2001", lot="L1", qty=1, to="B-01-01-A")
    assert suggested() == "A-01-01-A"  # the zone is full: the first empty bin anywhere
    receive(site, qty=2, to="A-01-02-A")
    assert suggested() == "A-01-02-A"  # a bin holding the item comes first, in any zone


def test_moving_from_a_storage_bin_counts_each_scan_and_takes_a_typed_quantity(site):
    receive(site, qty=30, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("5012345678900")
    assert dict(w("5012345678900").context)["Quantity"] == "2"
    assert dict(w("15012345678907").context)["Quantity"] == "14"
    assert w(action="qty", qty="7").ok
    assert w("A0102A").message == "Moved: 7 × 1042 from A-01-01-A to A-01-02-A."


def test_an_item_the_bin_does_not_hold_is_refused_by_name(site):
    receive(site, qty=3, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    step = w("4006381333931")
    assert step.ok is False and step.message == ("Bin A-01-01-A holds no 2001; scan what is in it.")
    assert count_movements() == 1


def test_an_empty_source_bin_is_refused(site):
    step = Worker(moving, site.worker)("A0102A")
    assert step.ok is False and step.message == "Bin A-01-02-A is empty; scan another bin."


def test_moving_more_than_the_bin_holds_by_then_is_refused_and_writes_nothing(site):
    receive(site, qty=6, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("5012345678900")
    w(action="qty", qty="5")
    # Meanwhile someone else takes 3 of the 6: the page's quantity is now too many.
    stock.move(site.other, from_bin="A-01-01-A", to_bin="B-01-01-A", sku="1042", qty=3,
               key=uuid.uuid4().hex)
    step = w("A0102A")
    assert step.ok is False
    assert step.message == "Bin A-01-01-A holds 3 of 1042; you tried to take 5."
    assert step.state["qty"] == "5" and count_movements() == 2


def test_typing_more_than_the_bin_holds_is_refused_at_once(site):
    receive(site, qty=4, to="A-01-01-A")
    receive(site, sku="2001", lot="L1", qty=2, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("5012345678900")
    step = w(action="qty", qty="6")
    assert step.ok is False
    assert step.message == "Bin A-01-01-A holds 4 of 1042; you tried to take 6."
    assert step.state["qty"] == "1" and step.prompt == "Scan the destination bin"
    assert w(action="qty", qty="4").ok
    w(action="cancel")
    w("A0101A")
    w("]C1010400638133393110L1")
    assert w(action="qty", qty="3").message == (
        "Bin A-01-01-A holds 2 of 2001 lot L1; you tried to take 3."
    )


def test_a_bin_with_two_lots_asks_which_lot(site):
    receive(site, sku="2001", lot="L1", qty=2, to="A-01-01-A")
    receive(site, sku="2001", lot="L2", qty=5, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    step = w("4006381333931")
    assert step.prompt == "Scan the lot" and "2 lots" in step.message
    assert w("L9").message == "Bin A-01-01-A holds no lot L9 of 2001; scan a lot it holds."
    w("L2")
    w(action="qty", qty="5")
    assert w("B0101A").message == "Moved: 5 × 2001 lot L2 from A-01-01-A to B-01-01-A."


def test_moving_the_whole_bin_moves_everything(site):
    receive(site, qty=4, to="A-01-01-A")
    receive(site, sku="2001", lot="L1", qty=2, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    assert w(action="whole").prompt == "Scan the destination bin"
    step = w("B0101A")
    assert step.message == "Moved: everything in A-01-01-A (2 lines) to B-01-01-A."
    assert stock.on_hand("2001", "B-01-01-A", lot="L1") == 2
    assert stock.on_hand("1042", "A-01-01-A") == 0


@pytest.fixture
def whole_bin(site):
    """A worker about to move all of A-01-01-A (4 × 1042 and 2 × 2001 lot L1): at the
    destination step."""
    receive(site, qty=4, to="A-01-01-A")
    receive(site, sku="2001", lot="L1", qty=2, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w(action="whole")
    return w


def test_a_whole_bin_moved_by_mistake_is_undone_whole(whole_bin):
    w = whole_bin
    assert w("SHIP1").undo is not None  # the wrong place: staging, not the next bin
    before = count_movements()
    undone = w(action="undo")
    assert undone.ok and undone.message == "Undone: 2 lines back from SHIP-1 to A-01-01-A."
    assert count_movements() == before + 2
    assert stock.on_hand("1042", "A-01-01-A") == 4
    assert stock.on_hand("2001", "A-01-01-A", lot="L1") == 2
    assert stock.on_hand("1042", "SHIP-1") == 0
    again = w(action="undo")  # pressed twice: nothing more is taken back
    assert again.ok is False and count_movements() == before + 2


def test_a_whole_bin_move_kept_on_the_handheld_is_offered_again_to_undo_whole(whole_bin):
    w = whole_bin
    moved = w("SHIP1")
    entry = Entry(state={}, action="resume", undo=str(moved.undo), key=uuid.uuid4().hex)
    again = steps.run(moving, w.user, entry)  # the screen reloaded
    assert again.message == ("Carried on where you left off. Last recorded: everything in "
                             "A-01-01-A (2 lines) to SHIP-1.")
    assert again.undo == moved.undo and w(action="undo").message.startswith("Undone: 2 lines")


def test_a_whole_bin_move_is_undone_whole_or_not_at_all(site, whole_bin):
    w = whole_bin
    w("B0101A")
    # Another worker takes one of the first line meanwhile: it cannot all go back, and the
    # last line alone is not taken back either.
    stock.move(site.other, from_bin="B-01-01-A", to_bin="A-01-02-A", sku="1042", qty=1,
               key=uuid.uuid4().hex)
    before = count_movements()
    step = w(action="undo")
    assert step.ok is False and count_movements() == before
    assert stock.on_hand("1042", "B-01-01-A") == 3
    assert stock.on_hand("2001", "B-01-01-A", lot="L1") == 2


def test_the_destination_scan_must_be_a_bin(site):
    receive(site, qty=4, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("5012345678900")
    step = w("4006381333931")
    assert step.message == "That is item 2001 (Item 2001); scan the destination bin."


def test_the_destination_step_reads_a_scan_the_long_way_when_it_is_no_destination(site):
    # The destination scan is posted at once; anything the ledger refuses is read again
    # as the step would: the lot step wants a lot even when its code is a bin's barcode.
    receive(site, sku="2001", lot="B0101A", qty=2, to="A-01-01-A")
    receive(site, sku="2001", lot="L2", qty=5, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("4006381333931")
    step = w("B0101A")
    assert step.ok and step.state["lot"] == "B0101A" and count_movements() == 2
    assert w("A0101A").message == "That is bin A-01-01-A again; scan a different destination bin."
    assert w("B0101A").message == "Moved: 1 × 2001 lot B0101A from A-01-01-A to B-01-01-A."


def test_a_resent_destination_scan_is_answered_already_recorded(site):
    receive(site, qty=4, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A")
    w("5012345678900")
    at_destination = dict(w.state)
    w("A0102A", key="resent-key-0001")
    again = Worker(moving, site.worker, at_destination)("A0102A", key="resent-key-0001")
    assert again.ok and again.message == "Already recorded: 1 × 1042 from A-01-01-A to A-01-02-A."
    assert count_movements() == 2 and stock.on_hand("1042", "A-01-02-A") == 1


def test_undo_on_a_screen_left_open_takes_back_nothing_once_another_movement_followed(site):
    receive(site, qty=10)
    here = Worker(moving, site.worker)  # one handheld ...
    there = Worker(moving, site.worker)  # ... and another, or a second tab
    here("DOCK1"), here("5012345678900"), here(action="qty", qty="2")
    assert here("A0101A").message == "Moved: 2 × 1042 from DOCK-1 to A-01-01-A."
    there("DOCK1"), there("5012345678900"), there(action="qty", qty="3")
    assert there("A0102A").message == "Moved: 3 × 1042 from DOCK-1 to A-01-02-A."
    before = count_movements()
    stale = here(action="undo")
    assert stale.ok is False and stale.message == (
        "You have recorded another movement since (3 × 1042 from DOCK-1 to A-01-02-A), and "
        "Undo takes back only your last one; ask a supervisor to correct the earlier one."
    )
    assert count_movements() == before and stock.on_hand("1042", "A-01-01-A") == 2
    undone = there(action="undo")
    assert undone.ok and undone.message == "Undone: 3 × 1042 from A-01-02-A to DOCK-1."
    assert stock.on_hand("1042", "A-01-02-A") == 0 and stock.on_hand("1042", "DOCK-1") == 8


def test_undo_puts_nothing_back_into_a_bin_gone_out_of_use(site):
    receive(site, qty=4, to="A-01-01-A")
    w = Worker(moving, site.worker)
    w("A0101A"), w("5012345678900"), w(action="qty", qty="4")
    assert w("A0102A").message == "Moved: 4 × 1042 from A-01-01-A to A-01-02-A."
    masterdata.set_location_active(site.boss, site.a1.id, False)  # the office, meanwhile
    before = count_movements()
    step = w(action="undo")
    assert step.ok is False and step.message == (
        "Bin A-01-01-A is no longer in use, so nothing can go back into it; "
        "ask a supervisor to correct this."
    )
    assert count_movements() == before and stock.on_hand("1042", "A-01-02-A") == 4
