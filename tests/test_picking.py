"""Picking through the flow's rules, on both databases."""

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.flowdriver import Worker
from tests.helpers import make_list, receive
from webapp import counting, picking, stock
from webapp.db import db
from webapp.models import AuditEntry, CountTask, DocStatus, PickList, StockMovement
from webapp.stock import StockError

SOON = date.today() + timedelta(days=30)


@pytest.fixture
def stocked(site):
    receive(site, "B-01-01-A", 10)  # later in the walk
    receive(site, "A-01-02-A", 4, sku="2001", lot="LATE", expiry=date.today() + timedelta(400))
    receive(site, "B-01-01-A", 4, sku="2001", lot="SOON", expiry=SOON)
    make_list(site, "PL2001", [(site.widget, 6), (site.milk, 3)])
    return site


def picks():
    return list(
        db.session.scalars(
            sa.select(StockMovement).where(StockMovement.kind == "pick").order_by(StockMovement.id)
        )
    )


def test_a_pick_list_is_walked_in_order_with_the_first_expiring_lot(stocked):
    w = Worker(picking, stocked.worker)
    assert w(action="take").prompt == "Go to B-01-01-A, scan the bin"
    assert w("B0101A").prompt == "Scan the item 1042"
    for n in range(1, 6):
        assert w("5012345678900").message == f"{n} of 6."
    assert w("5012345678900").message == "Picked: 6 × 1042 from B-01-01-A to SHIP-1."
    # Milk: lot SOON in B-01-01-A expires before lot LATE in A-01-02-A, earlier in the walk.
    # The worker stands at B-01-01-A already: the bin stays confirmed.
    assert w.step.prompt == "Scan the item 2001"
    assert dict(w.step.context)["Lot"] == f"SOON (expires {SOON})"
    wrong_lot = w("]C1010400638133393110LATE")
    assert wrong_lot.message == "Wrong lot: take lot SOON, which expires first."
    assert w(action="qty", qty="3").message == "Picked: 3 × 2001 lot SOON from B-01-01-A to SHIP-1."
    assert w.step.prompt == "Pick list done"
    assert [(r["picked"], r["short"]) for r in w.step.data["summary"]] == [(6, 0), (3, 0)]
    assert stock.on_hand("1042", "SHIP-1") == 6
    assert stock.on_hand("2001", "SHIP-1", lot="SOON") == 3
    pick_list = db.session.scalar(sa.select(PickList).where(PickList.number == "PL2001"))
    assert pick_list.status == DocStatus.CLOSED


def test_scanning_a_closed_or_cancelled_list_says_which_and_what_to_do(stocked):
    make_list(stocked, "PL2002", [(stocked.widget, 1)])
    for number, status in (("PL2001", DocStatus.CLOSED), ("PL2002", DocStatus.CANCELLED)):
        db.session.scalar(sa.select(PickList).where(PickList.number == number)).status = status
    db.session.commit()
    w = Worker(picking, stocked.worker)
    assert w("PL2001").message == "Pick list PL2001 is closed: press Take next for another."
    assert w("PL2002").message == "Pick list PL2002 was cancelled: press Take next for another."


def test_an_expired_lot_is_never_picked_the_next_one_to_expire_is(site):
    yesterday = date.today() - timedelta(days=1)
    receive(site, "A-01-01-A", 4, sku="2001", lot="OLD", expiry=yesterday)  # first in the walk
    receive(site, "B-01-01-A", 4, sku="2001", lot="SOON", expiry=SOON)
    make_list(site, "PL2001", [(site.milk, 3)])
    w = Worker(picking, site.worker)
    assert w(action="take").prompt == "Go to B-01-01-A, scan the bin"
    assert dict(w.step.context)["Lot"] == f"SOON (expires {SOON})"
    w("B0101A")
    refused = w(f"]C1010400638133393117{yesterday:%y%m%d}10OLD")  # its label: GTIN, expiry, lot
    assert refused.ok is False
    assert refused.message == f"Lot OLD expired on {yesterday}: it cannot be picked. Take lot SOON."
    assert w(action="qty", qty="3").message == "Picked: 3 × 2001 lot SOON from B-01-01-A to SHIP-1."
    assert stock.on_hand("2001", "A-01-01-A", lot="OLD") == 4


@pytest.fixture
def two_lots_in_a_bin(site):
    """B-01-01-A holds two lots of the milk (as putaway to a bin already holding it makes)."""
    receive(site, "B-01-01-A", 4, sku="2001", lot="SOON", expiry=SOON)
    receive(site, "B-01-01-A", 4, sku="2001", lot="LATE", expiry=date.today() + timedelta(400))
    make_list(site, "PL2001", [(site.milk, 3)])
    w = Worker(picking, site.worker)
    w(action="take")
    return w


def test_a_bin_holding_two_lots_asks_which_lot_is_taken_before_counting_units(
    two_lots_in_a_bin,
):
    w = two_lots_in_a_bin
    step = w("B0101A")
    assert step.prompt == "Scan the label of lot SOON (2001)"
    assert not step.qty_field  # a typed quantity would be recorded against an unchecked lot
    step = w("4006381333931")  # the item's plain barcode names no lot: not counted
    assert step.ok is None and dict(step.context)["Pick"] == "0 of 3"
    assert step.message == (
        "B-01-01-A holds 2 lots of 2001: scan the label of lot SOON (it expires first), "
        "then each unit."
    )
    refused = w("LATE")
    assert refused.ok is False
    assert refused.message == "Wrong lot: take lot SOON, which expires first."
    assert w("NOSUCH").message == (
        "B-01-01-A holds no lot NOSUCH of 2001; scan the label of lot SOON."
    )
    step = w("SOON")
    assert step.ok is True and step.message == "Lot SOON: scan each 2001 you take."
    assert step.prompt == "Scan the item 2001" and step.qty_field
    assert w("4006381333931").message == "1 of 3."
    assert w(action="qty", qty="3").message == "Picked: 3 × 2001 lot SOON from B-01-01-A to SHIP-1."
    assert stock.on_hand("2001", "B-01-01-A", lot="LATE") == 4


def test_a_code_that_carries_the_lot_answers_the_question_in_one_scan(two_lots_in_a_bin):
    w = two_lots_in_a_bin
    w("B0101A")
    assert w("]C1010400638133393110SOON").message == "1 of 3."
    assert w("4006381333931").message == "2 of 3."  # the lot is known now: plain scans count
    assert w(action="qty", qty="3").message == "Picked: 3 × 2001 lot SOON from B-01-01-A to SHIP-1."


def test_an_expired_lot_beside_the_one_to_pick_makes_the_lot_asked_for_too(site):
    yesterday = date.today() - timedelta(days=1)
    receive(site, "B-01-01-A", 4, sku="2001", lot="OLD", expiry=yesterday)
    receive(site, "B-01-01-A", 4, sku="2001", lot="SOON", expiry=SOON)
    make_list(site, "PL2001", [(site.milk, 3)])
    w = Worker(picking, site.worker)
    w(action="take")
    assert w("B0101A").prompt == "Scan the label of lot SOON (2001)"
    refused = w("OLD")  # its own label: expired, which is why the list wants the other
    assert refused.message == f"Lot OLD expired on {yesterday}: it cannot be picked. Take lot SOON."
    assert w("SOON").ok is True


def test_a_bin_of_one_lot_needs_no_lot_scan(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    step = w("4006381333931")  # the milk: B-01-01-A holds lot SOON alone
    assert step.message == "1 of 3." and step.prompt == "Scan the item 2001"


def test_no_quantity_is_taken_for_an_unchecked_lot_typed_or_short(two_lots_in_a_bin):
    w = two_lots_in_a_bin
    w("B0101A")
    asked = "Scan the label of lot SOON first: B-01-01-A holds 2 lots of 2001."
    assert w(action="qty", qty="3").message == asked
    assert w(action="short", qty="2").message == asked
    assert picks() == [] and w.step.prompt == "Scan the label of lot SOON (2001)"
    # Finding none needs no lot: the bin is short, and a count is raised.
    assert w(action="short", qty="0").message.startswith("Short pick: found 0 of 3 in B-01-01-A")


def test_the_ledger_refuses_to_pick_an_expired_lot_and_writes_nothing(site):
    receive(site, "A-01-01-A", 4, sku="2001", lot="OLD", expiry=date.today() - timedelta(days=1))
    before = len(picks())
    with pytest.raises(StockError, match=r"Lot OLD of 2001 expired on [-\d]+; expired stock is "
                       r"not picked\. Move it to quarantine, or ask a supervisor\."):
        stock.pick(site.worker, from_bin="A-01-01-A", to_bin="SHIP-1", sku="2001", qty=1,
                   lot="OLD", key=uuid.uuid4().hex)
    assert len(picks()) == before and stock.on_hand("2001", "A-01-01-A", lot="OLD") == 4
    # Moving it (to quarantine, say) is still allowed: only shipping it is not.
    stock.move(site.worker, from_bin="A-01-01-A", to_bin="A-01-02-A", sku="2001", qty=4,
               lot="OLD", key=uuid.uuid4().hex)
    assert stock.on_hand("2001", "A-01-02-A", lot="OLD") == 4


def test_a_line_with_only_expired_stock_is_not_sent_to_it(site):
    receive(site, "A-01-01-A", 4, sku="2001", lot="OLD", expiry=date.today() - timedelta(days=1))
    receive(site, "B-01-01-A", 2)
    make_list(site, "PL2001", [(site.milk, 3), (site.widget, 2)])
    w = Worker(picking, site.worker)
    step = w(action="take")
    assert step.prompt == "Go to B-01-01-A, scan the bin"  # the widget; no milk can be picked
    assert [(r["item"].sku, r["short"]) for r in step.data["summary"]] == [("2001", 3), ("1042", 0)]


def test_wrong_bin_and_wrong_item_are_refused_naming_the_right_one(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    step = w("A0102A")
    assert step.ok is False
    assert step.message == "Wrong bin: that is A-01-02-A. Go to B-01-01-A."
    w("B0101A")
    step = w("3001")  # the drill: not on the list
    assert step.ok is False
    assert step.message == "Wrong item: that is 3001. Pick 1042 (Item 1042)."
    assert picks() == []


def test_the_next_line_in_the_same_bin_needs_no_second_bin_scan(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    assert w(action="qty", qty="6").message == "Picked: 6 × 1042 from B-01-01-A to SHIP-1."
    assert w.step.prompt == "Scan the item 2001" and dict(w.step.context)["Bin"] == "B-01-01-A"
    w("4006381333931")
    assert w(action="qty", qty="3").message == "Picked: 3 × 2001 lot SOON from B-01-01-A to SHIP-1."


def test_the_next_line_in_another_bin_asks_for_that_bin(site):
    receive(site, "A-01-01-A", 5)
    receive(site, "B-01-01-A", 5, sku="2001", lot="SOON", expiry=SOON)
    make_list(site, "PL2001", [(site.widget, 2), (site.milk, 2)])
    w = Worker(picking, site.worker)
    w(action="take")
    w("A0101A")
    w(action="qty", qty="2")
    assert w.step.prompt == "Go to B-01-01-A, scan the bin"
    assert w("4006381333931").message == (
        "That is item 2001 (Item 2001); scan bin B-01-01-A first."
    )


def test_any_line_the_bin_serves_can_be_picked_first(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    assert w("B0101A").prompt == "Scan the item 1042"
    # The worker reaches for the milk first: it is on the list, from this bin.
    step = w("4006381333931")
    assert step.ok is True and step.message == "1 of 3."
    assert step.prompt == "Scan the item 2001" and dict(step.context)["Lot"].startswith("SOON")
    assert w(action="qty", qty="3").message == "Picked: 3 × 2001 lot SOON from B-01-01-A to SHIP-1."
    # Then the widget, from the same bin, without scanning it again.
    assert w.step.prompt == "Scan the item 1042"
    assert w(action="qty", qty="6").message == "Picked: 6 × 1042 from B-01-01-A to SHIP-1."
    assert w.step.prompt == "Pick list done"


def test_units_scanned_for_one_line_are_not_dropped_for_another(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    w("5012345678900")
    step = w("4006381333931")
    assert step.ok is False
    assert step.message == (
        "That is 2001, also to pick here: finish 1042 first (1 of 6 scanned), or press Short."
    )
    assert dict(step.context)["Pick"] == "1 of 6" and picks() == []


def test_two_workers_never_get_the_same_list(stocked):
    make_list(stocked, "PL2002", [(stocked.widget, 1)])
    first = picking.take_next(stocked.worker)
    second = picking.take_next(stocked.other)
    assert {first.number, second.number} == {"PL2001", "PL2002"}
    with pytest.raises(StockError, match="No pick lists are waiting"):
        picking.take_next(stocked.boss)
    step = Worker(picking, stocked.boss)(first.number)
    assert step.ok is False and step.message == (
        f"Pick list {first.number} is being picked by Wendy Worker; a supervisor can hand it back."
    )


def test_a_worker_gets_back_the_list_they_were_picking(stocked):
    first = picking.take_next(stocked.worker)
    make_list(stocked, "PL2002", [(stocked.widget, 1)])
    assert picking.take_next(stocked.worker).number == first.number


def test_picking_more_than_asked_is_refused(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    step = w(action="qty", qty="99")
    assert step.ok is False and step.message.startswith("Pick ") and picks() == []


def test_a_short_pick_records_what_was_found_raises_a_count_and_ends_short(site):
    receive(site, "A-01-01-A", 2)
    make_list(site, "PL2009", [(site.widget, 5)])
    w = Worker(picking, site.worker)
    w(action="take")
    w("A0101A")
    step = w(action="short", qty="1")
    assert step.ok is None and "found 1 of 2 in A-01-01-A" in step.message
    assert "No other bin holds 1042: 4 recorded short." in step.message
    assert stock.on_hand("1042", "SHIP-1") == 1
    task = db.session.scalar(sa.select(CountTask).where(CountTask.source == "short_pick"))
    assert task.location_id == site.a1.id and task.status == DocStatus.OPEN
    assert task.number.startswith("CS") and f"count {task.number} raised" in step.message
    counted = Worker(counting, site.worker)(task.number)  # its number is its barcode
    assert counted.ok and counted.prompt == "Go to A-01-01-A, scan the bin"
    pick_list = db.session.scalar(sa.select(PickList).where(PickList.number == "PL2009"))
    assert pick_list.status == DocStatus.CLOSED and pick_list.lines[0].short_qty == 4
    assert step.data["summary"][0] == {"item": site.widget, "ordered": 5, "picked": 1, "short": 4}


@pytest.fixture
def one_of_two_scanned(site):
    """A worker at a bin holding 2 of the 5 their list asks for, one of them scanned."""
    receive(site, "A-01-01-A", 2)
    make_list(site, "PL2009", [(site.widget, 5)])
    w = Worker(picking, site.worker)
    w(action="take")
    w("A0101A")
    w("5012345678900")
    return w


def test_short_pressed_with_nothing_typed_asks_once_before_recording(one_of_two_scanned):
    w = one_of_two_scanned
    asked = w(action="short")
    assert asked.ok is None and asked.message == (
        "Only 1 of 2 in A-01-01-A? Press Short again to confirm, or type what you found and "
        "press Short."
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountTask)) == 0
    assert w("5012345678900").message == "Picked: 2 × 1042 from A-01-01-A to SHIP-1."  # a slip
    assert "short" not in w.step.state
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountTask)) == 0


def test_short_pressed_twice_records_what_was_scanned(one_of_two_scanned):
    w = one_of_two_scanned
    w(action="short")
    step = w(action="short")
    assert step.message.startswith("Short pick: found 1 of 2 in A-01-01-A; count CS")
    assert stock.on_hand("1042", "SHIP-1") == 1


def test_a_short_pick_in_a_bin_awaiting_a_recount_holds_the_bin_and_keeps_the_recount(site):
    receive(site, "A-01-01-A", 2)
    recount = CountTask(
        number="RC000001", location_id=site.a1.id, source="recount", assigned_to_id=site.other.id
    )
    db.session.add(recount)
    db.session.commit()
    make_list(site, "PL2011", [(site.widget, 5)])
    w = Worker(picking, site.worker)
    w(action="take")
    w("A0101A")
    step = w(action="short", qty="1")
    assert "count RC000001 raised" in step.message
    assert "No other bin holds 1042: 4 recorded short." in step.message  # not back to A-01-01-A
    tasks = db.session.scalars(sa.select(CountTask)).all()
    assert [(t.number, t.source, t.assigned_to_id) for t in tasks] == [
        ("RC000001", "recount", site.other.id)
    ]
    assert tasks[0].holds_picking


def test_after_a_short_pick_the_rest_comes_from_another_bin(site):
    receive(site, "A-01-01-A", 2)
    receive(site, "B-01-01-A", 10)
    make_list(site, "PL2010", [(site.widget, 5)])
    w = Worker(picking, site.worker)
    w(action="take")
    assert w.step.prompt == "Go to A-01-01-A, scan the bin"
    w("A0101A")
    w(action="short", qty="0")
    assert w.step.prompt == "Go to B-01-01-A, scan the bin"
    assert dict(w.step.context)["Pick"] == "0 of 5"
    w("B0101A")
    assert w(action="qty", qty="5").message == "Picked: 5 × 1042 from B-01-01-A to SHIP-1."
    assert w.step.prompt == "Pick list done"


def test_the_same_pick_resent_posts_once(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    before, key = dict(w.state), uuid.uuid4().hex
    qty = dict(w.step.context)["Pick"].split()[-1]
    w(action="qty", qty=qty, key=key)
    w.state = before
    assert w(action="qty", qty=qty, key=key).message.startswith("Already recorded")
    assert len(picks()) == 1


def test_undoing_the_pick_that_finished_a_list_opens_the_list_again(site):
    receive(site, "B-01-01-A", 10)
    make_list(site, "PL1", [(site.widget, 2)])
    w = Worker(picking, site.worker)
    w(action="take")
    w("B0101A")
    w("5012345678900")
    assert w("5012345678900").prompt == "Pick list done"
    step = w(action="undo")
    assert step.ok
    assert step.message == (
        "Undone: 2 × 1042 from SHIP-1 to B-01-01-A. Pick list PL1 is open again."
    )
    pick_list = db.session.scalar(sa.select(PickList).where(PickList.number == "PL1"))
    assert (pick_list.status, pick_list.assigned_to_id) == (DocStatus.IN_PROGRESS, site.worker.id)
    assert step.prompt == "Go to B-01-01-A, scan the bin"  # led back to the line
    w("B0101A")
    w(action="qty", qty="2")
    assert w.step.prompt == "Pick list done"
    assert [(r["picked"], r["short"]) for r in w.step.data["summary"]] == [(2, 0)]
    assert stock.on_hand("1042", "SHIP-1") == 2


# --- a list under way handed back ------------------------------------------------------


def test_a_supervisor_hands_back_a_list_and_the_next_worker_picks_the_rest(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    w(action="qty", qty="6")  # the widget picked, then wendy goes home
    [row] = picking.under_way()
    assert (row.number, row.picker.username, row.picked, row.ordered) == ("PL2001", "wendy", 6, 9)
    picking.hand_back(stocked.boss, "PL2001", picker_id=stocked.worker.id, reason="went home")
    assert picking.under_way() == []
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "hand_back"))
    assert (entry.entity, entry.reason) == ("pick_list", "went home")
    assert entry.before == {"status": "in_progress", "assigned_to": "wendy"}
    assert entry.after == {"status": "open", "assigned_to": None}
    # Wendy's screen is stale now: her next scan says so and writes nothing.
    step = w("4006381333931")
    assert step.ok is False and step.prompt == "Take the next pick list"
    assert step.message == "Pick list PL2001 is no longer yours to pick; press Take next."
    # Oscar takes it and is led to what is left: the milk only.
    o = Worker(picking, stocked.other)
    assert o(action="take").message == "Picking PL2001."
    assert dict(o.step.context)["Item"] == "2001 Item 2001"
    o("B0101A")
    o(action="qty", qty="3")
    assert o.step.prompt == "Pick list done"
    assert [(m.user_id, m.quantity) for m in picks()] == [
        (stocked.worker.id, 6), (stocked.other.id, 3)
    ]


def test_the_picker_hands_back_their_own_list_after_a_second_press(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    assert ("release", "Hand back list") in w.step.actions
    w("B0101A")
    w(action="qty", qty="6")  # the widget picked; the shift ends
    step = w(action="release")
    assert step.ok is None and step.prompt == "Scan the item 2001"  # asked, nothing changed
    assert step.message == (
        "Hand back PL2001? What you picked stays picked; the next worker to take it picks "
        "the rest. Press Hand back list again to confirm."
    )
    assert picking.under_way()[0].picker.username == "wendy"
    step = w(action="release")
    assert step.ok and step.prompt == "Take the next pick list"
    assert step.message == "PL2001 is back in the queue: the next worker to take it picks the rest."
    assert picking.under_way() == []
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "hand_back"))
    assert (entry.user_id, entry.reason) == (stocked.worker.id, "handed back by the picker")
    o = Worker(picking, stocked.other)
    o(action="take")
    assert dict(o.step.context)["Item"] == "2001 Item 2001"  # the rest
    assert [m.quantity for m in picks()] == [6]


def test_units_in_hand_are_named_before_the_list_is_handed_back(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w("B0101A")
    w("4006381333931")  # one milk scanned (the bin has both lines), not yet recorded
    step = w(action="release")
    assert step.ok is None and "PL2001" in step.message
    assert step.message.endswith(
        "1 × 2001 you scanned are not recorded: put them back in B-01-01-A, then press "
        "Hand back list again."
    )
    assert w(action="release").ok
    assert picks() == [] and picking.under_way() == []


def test_a_resent_hand_back_is_no_error(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    asked = w(action="release")
    assert w(action="release").ok
    w.state = asked.state  # the confirming press resent: its answer was lost
    step = w(action="release")
    assert step.ok is None and step.prompt == "Take the next pick list"
    assert step.message == "Pick list PL2001 is no longer yours: nothing to hand back."


def test_a_scan_between_the_two_presses_carries_on_picking(stocked):
    w = Worker(picking, stocked.worker)
    w(action="take")
    w(action="release")
    w("B0101A")  # a scan: the worker carries on
    assert w(action="release").ok is None  # asked again
    assert picking.under_way()[0].picker.username == "wendy"


def test_a_list_taken_over_or_finished_meanwhile_is_not_handed_back(stocked):
    list_ = picking.take_next(stocked.worker)
    picking.hand_back(stocked.boss, list_.number, picker_id=stocked.worker.id)
    picking.take_next(stocked.other)  # the page the supervisor looks at still says wendy
    with pytest.raises(StockError, match=r"^PL2001 is being picked by Oscar Other now, not by "
                       r"Wendy Worker: nothing was changed\.$"):
        picking.hand_back(stocked.boss, "PL2001", picker_id=stocked.worker.id)
    assert db.session.get(PickList, list_.id).assigned_to_id == stocked.other.id
    make_list(stocked, "PL2002", [(stocked.widget, 1)])
    with pytest.raises(StockError, match=r"^PL2002 is not a pick list under way\.$"):
        picking.hand_back(stocked.boss, "PL2002", picker_id=stocked.worker.id)


def test_scanning_a_list_another_holds_says_a_supervisor_can_hand_it_back(stocked):
    picking.take_next(stocked.worker)
    step = Worker(picking, stocked.other)("PL2001")
    assert step.ok is False and step.message == (
        "Pick list PL2001 is being picked by Wendy Worker; a supervisor can hand it back."
    )


def test_a_worker_holding_a_list_is_not_given_a_second_one_by_its_barcode(stocked):
    make_list(stocked, "PL2002", [(stocked.widget, 1)])
    picking.take_next(stocked.worker)  # PL2001
    w = Worker(picking, stocked.worker)  # a second handheld, on the take screen
    step = w("PL2002")
    assert step.ok is False and step.message == (
        "You hold PL2001: pick it, or hand it back, before taking PL2002."
    )
    assert db.session.scalar(sa.select(PickList.status).where(PickList.number == "PL2002")) == (
        DocStatus.OPEN
    )
    assert w("PL2001").message == "Picking PL2001."  # their own list, scanned: carry on
