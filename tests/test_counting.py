"""Counting through the flow's rules, on both databases."""

import pytest
import sqlalchemy as sa

from tests.flowdriver import Worker
from tests.helpers import receive
from webapp import count_tasks, counting, masterdata, stock
from webapp.db import db
from webapp.models import (
    AuditEntry,
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    Receipt,
    StockMovement,
    utcnow,
)
from webapp.stock import StockError


@pytest.fixture
def task(site):
    receive(site, "A-01-01-A", 13)
    receive(site, "A-01-01-A", 5, sku="2001", lot="L1")
    t = CountTask(number="CT3001", location_id=site.a1.id)
    db.session.add(t)
    db.session.commit()
    return t


def lines():
    rows = db.session.scalars(sa.select(CountLine).order_by(CountLine.id))
    return [
        (r.item.sku, r.lot.code if r.lot else "", r.system_qty, r.counted_qty, r.status)
        for r in rows
    ]


def actions(step) -> list[str]:
    return [action for action, _label in step.actions]


def movement_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


def test_a_matching_blind_count_closes_the_task_and_posts_nothing(site, task):
    w = Worker(counting, site.worker)
    assert w("CT3001").prompt == "Go to A-01-01-A, scan the bin"
    assert w("A0101A").prompt == "Scan each item in the bin"
    w("15012345678907")  # a case of 12
    assert w("5012345678900").message == "1042: 13."
    assert w("4006381333931").prompt == "Scan the lot of 2001"
    assert w("L1").message == "2001 lot L1: 1."
    assert w(action="qty", qty="-2").message == (
        "A count cannot be below 0 (you typed -2); type 0 for none."
    )
    assert w(action="qty", qty="00").message == "2001 lot L1: set to 0."
    assert w(action="qty", qty="5").message == "2001 lot L1: set to 5."
    assert w(action="done").message == "Counted A-01-01-A: it matches."
    assert lines() == [
        ("1042", "", 13, 13, CountStatus.MATCHED),
        ("2001", "L1", 5, 5, CountStatus.MATCHED),
    ]
    assert db.session.get(CountTask, task.id).status == DocStatus.CLOSED
    assert movement_count() == 2


def test_an_item_whose_barcode_is_unknown_is_counted_by_typing_its_sku(site, task):
    """A new supplier's GTIN on an item we stock: the refusal says the SKU can be typed."""
    w = Worker(counting, site.worker)
    w("A0101A")
    assert w("5901234123457").message == (
        "Unknown barcode “5901234123457”; scan an item in the bin, or type its SKU."
    )
    assert w("1042").message == "1042: 1."
    assert w("A0102A").message == "Finish A-01-01-A first: press Done."  # a known code


def test_the_count_screen_never_shows_the_system_quantity(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")  # scanning the bin picks its task
    step = w("5012345678900")
    shown = " ".join(f"{k} {v}" for k, v in step.context) + step.message + step.prompt
    assert "13" not in shown and step.message == "1042: 1."


def test_the_counted_lines_name_each_item_as_the_worker_sees_it_on_the_shelf(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")
    assert w("5012345678900").qty_label == "How many 1042?"  # a typed count sets it
    assert not w("4006381333931").qty_field  # its lot first
    step = w("L1")
    assert step.data["counted"] == [
        ("1042", "Item 1042", "", 1),
        ("2001", "Item 2001", "L1", 1),
    ]
    assert step.qty_label == "How many 2001 lot L1?"


def test_a_variance_goes_to_the_supervisor_and_posts_nothing(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")
    w("5012345678900")
    w(action="qty", qty="11")
    w("]C1010400638133393110L9")  # a lot the system never had in this bin
    step = w(action="done")
    assert step.ok is None and step.message == (
        "Counted A-01-01-A: 3 differences sent to a supervisor."
    )
    assert lines() == [
        ("1042", "", 13, 11, CountStatus.PENDING),
        ("2001", "L1", 5, 0, CountStatus.PENDING),
        ("2001", "L9", 0, 1, CountStatus.PENDING),
    ]
    assert stock.on_hand("1042", "A-01-01-A") == 13 and movement_count() == 2


def test_an_empty_bin_can_be_confirmed_empty(site):
    t = CountTask(number="CT3002", location_id=site.a2.id)
    db.session.add(t)
    db.session.commit()
    w = Worker(counting, site.worker)
    w("A0102A")
    assert w(action="done").ok is False
    asked = w(action="empty")
    assert asked.ok is None and asked.message == (
        "Nothing at all in A-01-02-A? Press Bin empty again to confirm, or scan what is there."
    )
    assert db.session.get(CountTask, t.id).status == DocStatus.OPEN
    assert w(action="empty").message == "Counted A-01-02-A: it matches."
    assert db.session.get(CountTask, t.id).status == DocStatus.CLOSED


def test_the_step_offers_bin_empty_until_an_item_is_counted_then_done(site, task):
    w = Worker(counting, site.worker)
    assert actions(w("A0101A")) == ["empty", "cancel"]
    assert actions(w("4006381333931")) == ["cancel"]  # its lot first: nothing counted yet
    assert actions(w("L1")) == ["done", "cancel"]
    assert actions(w(action="qty", qty="0")) == ["done", "cancel"]  # 0 of it is a count


def test_cancel_after_counting_asks_once_and_a_scan_carries_on_with_the_count(site, task):
    # Cancel sits beside Done: a slip would throw away a bin's worth of counting.
    w = Worker(counting, site.worker)
    w("A0101A")
    w("5012345678900")
    asked = w(action="cancel")
    assert asked.ok is None and asked.message == (
        "Drop the count of A-01-01-A (1 line counted)? Press Cancel again to drop it, "
        "or scan on to carry on counting."
    )
    assert asked.data["counted"] == [("1042", "Item 1042", "", 1)]
    assert w("5012345678900").message == "1042: 2."  # carried on: the next Cancel asks again
    assert w(action="cancel").ok is None
    dropped = w(action="cancel")
    assert dropped.message == "Count abandoned; nothing was recorded."
    assert dropped.prompt == "Scan a count task or its bin"
    assert lines() == [] and db.session.get(CountTask, task.id).status == DocStatus.OPEN


def test_cancel_with_nothing_counted_or_a_broken_page_leaves_at_once(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")
    assert w(action="cancel").message == "Count abandoned; nothing was recorded."
    w("A0101A")
    w.state = {**w.state, "counts": "[[not json"}  # an edited or broken page
    assert w(action="cancel").message == "Count abandoned; nothing was recorded."


def test_done_before_the_lot_of_the_item_scanned_last_is_refused_and_records_nothing(site, task):
    # Done (from a page with the button) would drop the item waiting for its lot: the
    # supervisor would see it as missing from the bin.
    w = Worker(counting, site.worker)
    w("A0101A")
    w("5012345678900")
    w("4006381333931")
    for action in ("done", "empty"):
        refused = w(action=action)
        assert refused.ok is False
        assert refused.message == "Scan the lot of 2001 first: it is not counted yet."
        assert refused.prompt == "Scan the lot of 2001"
    assert lines() == []
    assert w("L1").message == "2001 lot L1: 1."
    assert w(action="done").ok is None  # sent to a supervisor: 1 of 13 and 1 of 5


def test_bin_empty_pressed_by_a_slip_asks_first_and_a_scan_carries_on_counting(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")
    assert w(action="empty").ok is None  # asked, nothing recorded
    assert w("5012345678900").message == "1042: 1."
    assert w(action="empty").message == "You counted items here: press Done instead."
    assert lines() == [] and db.session.get(CountTask, task.id).status == DocStatus.OPEN


def test_the_task_list_puts_bins_held_from_picking_first_and_names_whose_tasks_are_whose(site):
    db.session.add_all([
        CountTask(number="CT1", location_id=site.a1.id, source="cycle"),
        CountTask(number="CT2", location_id=site.a2.id, source="recount",
                  assigned_to_id=site.other.id),
        CountTask(number="CT3", location_id=site.b1.id, source="short_pick", holds_picking=True),
    ])
    db.session.commit()
    tasks = Worker(counting, site.worker)().data["tasks"]
    # B-01-01-A is last in the walk, but picking waits for its count; a task given to a
    # worker comes before the walk (the page then puts the worker's own first).
    assert [t.number for t in tasks] == ["CT3", "CT2", "CT1"]
    assert [t.assigned_to.name if t.assigned_to else "" for t in tasks] == ["", "Oscar Other", ""]


def test_the_wrong_bin_or_a_bin_without_a_task_is_refused(site, task):
    w = Worker(counting, site.worker)
    assert w("B0101A").message == "Bin B-01-01-A has no count task: choose one below."
    w("CT3001")
    assert w("B0101A").message == "Wrong bin: that is B-01-01-A. Count A-01-01-A."
    w("A0101A")
    assert w("B0101A").message == "Finish A-01-01-A first: press Done."


def test_done_sent_twice_records_one_count(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")
    w("5012345678900")
    before = dict(w.state)
    w(action="done")
    w.state = before
    assert w(action="done").message == "Already recorded: count CT3001 done."
    assert len(lines()) == 2


def test_a_task_for_another_worker_is_refused(site, task):
    task.assigned_to_id = site.other.id
    db.session.commit()
    step = Worker(counting, site.worker)("CT3001")
    assert step.ok is False and step.message == (
        "Count CT3001 is for Oscar Other; take one from the list, or ask a supervisor to give "
        "it to you."
    )


def test_scanning_a_bin_with_a_recount_for_someone_else_takes_the_task_this_worker_may_do(site):
    for number, assigned_to in (("RC000001", site.other.id), ("CT3001", None)):
        db.session.add(CountTask(number=number, location_id=site.a1.id, assigned_to_id=assigned_to))
        db.session.commit()
    step = Worker(counting, site.worker)("A0101A")
    assert step.ok and step.state["task"] == "CT3001"
    step = Worker(counting, site.other)("A0101A")
    assert step.ok and step.state["task"] == "RC000001"


def test_cycle_counts_raise_tasks_for_bins_not_counted_lately(site, task):
    receive(site, "B-01-01-A", 2)
    created = counting.schedule_cycle_counts(every_days=30)
    # A-01-01-A already has an open task; B-01-01-A gets one. The dock is not a bin.
    assert [t.location.code for t in created] == ["B-01-01-A"]
    assert counting.schedule_cycle_counts(every_days=30) == []


def test_a_variance_within_the_auto_approval_limits_is_adjusted_and_said_so(app, site, task):
    app.config.update(AUTO_APPROVE_UNITS=2, AUTO_APPROVE_VALUE=10)
    w = Worker(counting, site.worker)
    w("A0101A")
    w("5012345678900")
    w(action="qty", qty="12")  # one short of 13, worth 2.50
    w("]C1010400638133393110L1")
    w(action="qty", qty="5")
    step = w(action="done")
    assert step.ok and step.message == (
        "Counted A-01-01-A: 1 small difference adjusted automatically."
    )
    assert stock.on_hand("1042", "A-01-01-A") == 12


def test_the_cycle_count_command_raises_the_tasks_due(app, site, task):
    receive(site, "B-01-01-A", 2)
    result = app.test_cli_runner().invoke(args=["cycle-counts", "--days", "30"])
    assert result.exit_code == 0 and result.output == "Raised 1 cycle count task.\n"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(CountTask).where(CountTask.source == "cycle")
        )
        == 1
    )


def test_a_count_task_number_says_who_raised_it_and_never_repeats_another_document(site):
    """A document is found by its number alone when scanned, so a new count task's number
    steps past one that a receipt (or an earlier task for the bin that day) already has."""
    day = f"{utcnow():%y%m%d}"
    db.session.add(Receipt(number=f"CC{day}{site.b1.id:05d}", warehouse_id=site.warehouse.id))
    db.session.commit()
    receive(site, "B-01-01-A", 2)
    (task,) = counting.schedule_cycle_counts(every_days=30)
    db.session.commit()
    assert task.number == f"CC{day}{site.b1.id:05d}N2"
    assert count_tasks.new_number("CC", site.b1.id) == f"CC{day}{site.b1.id:05d}N3"
    assert count_tasks.new_number("CS", site.b1.id) == f"CS{day}{site.b1.id:05d}"


# --- a supervisor gives a task to another worker ----------------------------------------


def test_a_supervisor_gives_a_task_from_an_absent_worker_to_another(site, task):
    task.assigned_to_id = site.worker.id  # wendy is off shift
    db.session.commit()
    given = count_tasks.give(site.boss, "CT3001", to_id=site.other.id, reason="wendy is off")
    assert given.message == "CT3001 (A-01-01-A) is for Oscar Other now."
    assert Worker(counting, site.worker)("CT3001").ok is False  # hers no longer
    assert Worker(counting, site.other)("CT3001").ok
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "give"))
    assert (entry.entity, entry.entity_id, entry.user_id) == ("count_task", task.id, site.boss.id)
    assert (entry.before, entry.after, entry.reason) == (
        {"assigned_to": "wendy"}, {"assigned_to": "oscar"}, "wendy is off"
    )


def test_a_task_given_to_anyone_may_be_counted_by_any_worker(site, task):
    task.assigned_to_id = site.other.id
    db.session.commit()
    given = count_tasks.give(site.boss, "CT3001", to_id=None)
    assert given.message == "CT3001 (A-01-01-A) is for any worker now."
    assert Worker(counting, site.worker)("CT3001").ok


def test_a_recount_is_never_given_to_who_counted_the_bin_or_to_anyone(site, task):
    counting.record(site.worker, "CT3001", {("1042", ""): 11, ("2001", "L1"): 5})
    recount = CountTask(number="RC3002", location_id=site.a1.id, source="recount",
                        assigned_to_id=site.other.id)
    db.session.add(recount)
    db.session.commit()
    with pytest.raises(StockError, match=r"^Wendy Worker counted A-01-01-A last: a recount goes "
                       r"to another worker\.$"):
        count_tasks.give(site.boss, "RC3002", to_id=site.worker.id)
    with pytest.raises(StockError, match=r"^A recount goes to a named worker: choose one\.$"):
        count_tasks.give(site.boss, "RC3002", to_id=None)
    assert db.session.get(CountTask, recount.id).assigned_to_id == site.other.id
    given = count_tasks.give(site.boss, "RC3002", to_id=site.boss.id)  # a supervisor counts too
    assert given.message == "RC3002 (A-01-01-A) is for Sam Supervisor now."


def test_giving_is_refused_for_a_closed_task_or_a_switched_off_user(site, task):
    site.other.active = False
    db.session.commit()
    with pytest.raises(StockError, match=r"^Oscar Other is switched off: choose another\.$"):
        count_tasks.give(site.boss, "CT3001", to_id=site.other.id)
    with pytest.raises(StockError, match=r"^There is no open count task CT9\.$"):
        count_tasks.give(site.boss, "CT9", to_id=site.worker.id)
    counting.record(site.worker, "CT3001", {("1042", ""): 13, ("2001", "L1"): 5})
    with pytest.raises(StockError, match=r"^There is no open count task CT3001\.$"):
        count_tasks.give(site.boss, "CT3001", to_id=site.worker.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "give")) == 0


def test_a_count_cancelled_in_the_office_meanwhile_says_so_and_records_nothing(site, task):
    w = Worker(counting, site.worker)
    w("A0101A")
    w("5012345678900")
    masterdata.cancel_document(site.boss, masterdata.COUNT_TASKS, task.id)
    step = w(action="done")
    assert step.ok is False and step.message == (
        "Count CT3001 was cancelled in the office; nothing you counted was recorded. "
        "Scan another task or its bin."
    )
    assert lines() == []
    assert Worker(counting, site.worker)("CT3001").message == (  # the screen opened afresh
        "Count CT3001 was cancelled in the office. Scan another task or its bin."
    )


def test_a_count_another_worker_finished_first_names_them(site, task):
    mine, theirs = Worker(counting, site.worker), Worker(counting, site.other)
    for w in (mine, theirs):
        w("A0101A")
        w("5012345678900")
    theirs(action="done")
    assert mine(action="done").message == (
        "Count CT3001 was counted by Oscar Other; nothing you counted was recorded. "
        "Scan another task or its bin."
    )
    assert [line[3] for line in lines()] == [1, 0]  # theirs: 1 of 1042, none of 2001


def test_a_count_under_way_when_its_task_is_given_away_records_nothing(site, task):
    task.assigned_to_id = site.worker.id
    db.session.commit()
    w = Worker(counting, site.worker)
    w("CT3001")
    w("5012345678900")
    count_tasks.give(site.boss, "CT3001", to_id=site.other.id)
    step = w(action="done")
    assert step.ok is False and step.message == (
        "Count CT3001 is for Oscar Other; take one from the list, or ask a supervisor to give "
        "it to you."
    )
    assert lines() == [] and db.session.get(CountTask, task.id).status == DocStatus.OPEN
