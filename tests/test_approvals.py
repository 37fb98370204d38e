"""Count variances decided through the approval use cases, on both databases."""

import threading
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.helpers import receive
from webapp import approvals, counting, stock, users
from webapp.db import db
from webapp.models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    MovementKind,
    Receipt,
    Role,
    StockMovement,
    User,
    utcnow,
)
from webapp.stock import Forbidden, StockError


def pick(site, qty, sku="1042", lot=None, from_bin="A-01-01-A"):
    stock.pick(
        site.worker, from_bin=from_bin, to_bin="SHIP-1", sku=sku, qty=qty, lot=lot, key=key()
    )


def key() -> str:
    return uuid.uuid4().hex


def count(site, bin_code, counted, by=None, number=None) -> CountTask:
    """Raise a count task for the bin and record `counted` ({(sku, lot): qty}) on it."""
    location = stock.find_location(bin_code)
    number = number or f"CT{uuid.uuid4().hex[:8].upper()}"
    db.session.add(CountTask(number=number, location_id=location.id))
    db.session.commit()
    return counting.record(by or site.worker, number, counted)


def line_of(task: CountTask, sku="1042") -> CountLine:
    return next(line for line in fresh(task).lines if line.item.sku == sku)


def fresh(obj):
    db.session.commit()
    return db.session.get(type(obj), obj.id, populate_existing=True)


def adjustments() -> list[StockMovement]:
    query = sa.select(StockMovement).where(StockMovement.kind == MovementKind.ADJUST)
    return list(db.session.scalars(query.order_by(StockMovement.id)))


def supervisor(username="sue") -> User:
    user = User(username=username, name=username.title(), role=Role.SUPERVISOR)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def stocked(site):
    receive(site, "A-01-01-A", 13)
    return site


# --- arithmetic --------------------------------------------------------------------


def test_approving_after_stock_moved_applies_the_counted_difference_not_an_overwrite(stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    pick(site, 5)  # after the count: 8 left
    decision = approvals.approve(site.boss, line_of(task).id)
    assert decision.message.startswith(
        "Stock moved since the count: applying the counted difference of -2."
    )
    assert stock.on_hand("1042", "A-01-01-A") == 13 - 5 - 2
    [adjustment] = adjustments()
    assert (adjustment.quantity, adjustment.from_location_id) == (2, site.a1.id)
    assert (adjustment.reference, adjustment.reason) == (task.number, "count variance")
    assert adjustment.user_id == site.boss.id
    line = line_of(task)
    assert line.status == CountStatus.APPROVED and line.movement_id == adjustment.id
    assert line.decided_by_id == site.boss.id and line.decided_at is not None


def test_approving_without_later_movements_sets_the_bin_to_what_was_counted(stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 15})
    decision = approvals.approve(site.boss, line_of(task).id, "found behind the pallet")
    assert decision.ok and "moved" not in decision.message
    assert stock.on_hand("1042", "A-01-01-A") == 15
    [adjustment] = adjustments()
    assert adjustment.to_location_id == site.a1.id and adjustment.quantity == 2
    assert adjustment.reason == "count variance: found behind the pallet"
    assert line_of(task).reason == "found behind the pallet"


def test_a_lot_variance_is_posted_against_its_lot(site):
    receive(site, "A-01-01-A", 5, sku="2001", lot="L1")
    task = count(site, "A-01-01-A", {("2001", "L1"): 3})
    approvals.approve(site.boss, line_of(task, "2001").id)
    assert stock.on_hand("2001", "A-01-01-A", lot="L1") == 3


def test_a_difference_that_would_take_the_bin_below_zero_is_refused_and_posts_nothing(stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 3})  # -10
    pick(site, 5)  # 8 left: -10 would leave -2
    with pytest.raises(StockError, match="would take A-01-01-A below zero") as refused:
        approvals.approve(site.boss, line_of(task).id)
    assert "counted difference of -10" in refused.value.message
    assert adjustments() == [] and stock.on_hand("1042", "A-01-01-A") == 8
    assert line_of(task).status == CountStatus.PENDING


# --- reject and recount ----------------------------------------------------------------


def test_rejecting_raises_a_recount_for_another_worker_and_its_count_replaces_the_line(stocked):
    site = stocked
    first = count(site, "A-01-01-A", {("1042", ""): 11})
    assert [v.line.id for v in approvals.queue()] == [line_of(first).id]
    decision = approvals.reject(site.boss, line_of(first).id, "looks miscounted")
    recount = db.session.scalar(sa.select(CountTask).where(CountTask.number == decision.recount))
    assert recount.source == "recount" and recount.status == DocStatus.OPEN
    assert recount.assigned_to_id == site.other.id and recount.location_id == site.a1.id
    assert decision.message == (
        f"Rejected A-01-01-A 1042: recount {recount.number} raised for Oscar Other."
    )
    line = line_of(first)
    assert (line.status, line.reason, line.decided_by_id) == (
        CountStatus.REJECTED,
        "looks miscounted",
        site.boss.id,
    )
    assert approvals.queue() == [] and adjustments() == []

    counting.record(site.other, recount.number, {("1042", ""): 12})
    [shown] = approvals.queue()
    assert shown.task.number == recount.number and shown.line.counted_qty == 12
    approvals.approve(site.boss, shown.line.id)
    assert stock.on_hand("1042", "A-01-01-A") == 12
    assert line_of(first).status == CountStatus.REJECTED  # history, never posted


def test_counting_a_bin_again_marks_its_waiting_variances_superseded(stocked):
    site = stocked
    first = count(site, "A-01-01-A", {("1042", ""): 11})
    decided = count(site, "A-01-02-A", {("1042", ""): 2})  # another bin: not replaced
    approvals.approve(site.boss, line_of(decided).id)
    second = count(site, "A-01-01-A", {("1042", ""): 12})
    old = line_of(first)
    assert (old.status, old.reason) == (CountStatus.SUPERSEDED, f"counted again in {second.number}")
    assert line_of(second).status == CountStatus.PENDING
    assert line_of(decided).status == CountStatus.APPROVED  # a decision stands
    assert [v.line.id for v in approvals.queue()] == [line_of(second).id]
    refusal = f"A-01-01-A was counted again in {second.number}: decide on the newer count."
    with pytest.raises(StockError, match=refusal):
        approvals.approve(site.boss, old.id)
    with pytest.raises(StockError, match=refusal):
        approvals.reject(site.boss, old.id, "no")
    assert len(adjustments()) == 1 and stock.on_hand("1042", "A-01-01-A") == 13


def test_a_recount_number_steps_past_one_another_document_has(stocked):
    site = stocked
    taken = f"RC{utcnow():%y%m%d}{site.a1.id:05d}"
    db.session.add(Receipt(number=taken, warehouse_id=site.warehouse.id))
    db.session.commit()
    first = count(site, "A-01-01-A", {("1042", ""): 11})
    decision = approvals.reject(site.boss, line_of(first).id, "looks miscounted")
    assert decision.recount == f"{taken}N2"


def test_the_counting_worker_may_not_take_the_recount(stocked):
    site = stocked
    first = count(site, "A-01-01-A", {("1042", ""): 11})
    recount = approvals.reject(site.boss, line_of(first).id).recount
    with pytest.raises(StockError, match="is for Oscar Other; take one from the list"):
        counting.record(site.worker, recount, {("1042", ""): 11})


def test_a_recount_is_left_unassigned_when_no_other_worker_is_active(stocked):
    site = stocked
    site.other.active = False
    db.session.commit()
    first = count(site, "A-01-01-A", {("1042", ""): 11})
    decision = approvals.reject(site.boss, line_of(first).id)
    assert decision.message.endswith("raised for any worker.")
    assert (
        db.session.scalar(
            sa.select(CountTask.assigned_to_id).where(CountTask.number == decision.recount)
        )
        is None
    )


def test_rejecting_two_lines_of_one_bin_raises_one_recount(stocked):
    site = stocked
    receive(site, "A-01-01-A", 5, sku="2001", lot="L1")
    task = count(site, "A-01-01-A", {("1042", ""): 11, ("2001", "L1"): 4})
    first = approvals.reject(site.boss, line_of(task).id)
    second = approvals.reject(site.boss, line_of(task, "2001").id)
    assert first.recount == second.recount
    recounts = sa.select(sa.func.count()).where(CountTask.source == "recount")
    assert db.session.scalar(recounts) == 1


def test_a_rejected_line_cannot_then_be_approved_and_rejecting_again_says_so(stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    approvals.reject(site.boss, line_of(task).id)
    assert approvals.reject(site.boss, line_of(task).id).replayed
    with pytest.raises(StockError, match="already rejected"):
        approvals.approve(site.boss, line_of(task).id)
    assert adjustments() == []


# --- automatic approval ------------------------------------------------------------------


@pytest.fixture
def thresholds(app):
    app.config.update(AUTO_APPROVE_UNITS=2, AUTO_APPROVE_VALUE=10)


def test_a_variance_within_both_thresholds_is_approved_as_it_is_counted(stocked, thresholds):
    site = stocked
    receive(site, "A-01-01-A", 5, sku="2001", lot="L1")
    task = count(site, "A-01-01-A", {("1042", ""): 12, ("2001", "L1"): 1})  # -1 (2.50), -4
    system = users.system_user()
    line = line_of(task)
    assert line.status == CountStatus.AUTO_APPROVED
    assert (line.decided_by_id, line.reason) == (system.id, approvals.AUTO_REASON)
    [adjustment] = adjustments()
    assert adjustment.user_id == system.id and system.role == Role.ADMIN
    assert adjustment.reason == f"count variance: {approvals.AUTO_REASON}"
    assert stock.on_hand("1042", "A-01-01-A") == 12
    # Four units is outside the unit threshold: it waits for a supervisor.
    assert line_of(task, "2001").status == CountStatus.PENDING
    assert [v.item.sku for v in approvals.queue()] == ["2001"]


def test_the_value_threshold_uses_the_unit_cost(stocked, thresholds):
    site = stocked
    site.widget.unit_cost = Decimal("12.00")  # one unit is worth more than 10
    db.session.commit()
    task = count(site, "A-01-01-A", {("1042", ""): 12})
    assert line_of(task).status == CountStatus.PENDING and adjustments() == []


def test_auto_approval_is_off_by_default(stocked):
    task = count(stocked, "A-01-01-A", {("1042", ""): 12})
    assert line_of(task).status == CountStatus.PENDING and adjustments() == []


def test_auto_approval_needs_both_thresholds_set(stocked, app):
    app.config.update(AUTO_APPROVE_UNITS=5, AUTO_APPROVE_VALUE=0)
    task = count(stocked, "A-01-01-A", {("1042", ""): 12})
    assert line_of(task).status == CountStatus.PENDING


# --- who may decide ----------------------------------------------------------------------


def test_a_supervisor_cannot_approve_a_count_they_made(stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11}, by=site.boss)
    with pytest.raises(Forbidden, match="You counted A-01-01-A yourself"):
        approvals.approve(site.boss, line_of(task).id)
    assert adjustments() == [] and line_of(task).status == CountStatus.PENDING
    approvals.approve(supervisor("sue"), line_of(task).id)
    assert stock.on_hand("1042", "A-01-01-A") == 11


def test_without_segregation_of_duties_a_supervisor_may_approve_their_own_count(stocked, app):
    app.config["SEGREGATE_DUTIES"] = False
    task = count(stocked, "A-01-01-A", {("1042", ""): 11}, by=stocked.boss)
    approvals.approve(stocked.boss, line_of(task).id)
    assert stock.on_hand("1042", "A-01-01-A") == 11


@pytest.mark.parametrize("decide", ["approve", "reject", "bulk_approve"])
def test_a_worker_can_never_decide_and_nothing_changes(stocked, decide):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    line_id = line_of(task).id
    arg = [line_id] if decide == "bulk_approve" else line_id
    with pytest.raises(Forbidden):
        getattr(approvals, decide)(site.other, arg, "why not")
    line = line_of(task)
    assert (line.status, line.decided_by_id, line.reason) == (CountStatus.PENDING, None, "")
    assert adjustments() == [] and stock.on_hand("1042", "A-01-01-A") == 13
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountTask)) == 1


def test_a_reason_is_required_above_the_value_threshold(stocked):
    site = stocked
    receive(site, "A-01-01-A", 50)  # 63 on hand
    task = count(site, "A-01-01-A", {("1042", ""): 13})  # -50 x 2.50 = 125.00 > 100.00
    with pytest.raises(StockError, match=r"worth 125\.00 needs a reason \(above 100\.00\)"):
        approvals.approve(site.boss, line_of(task).id, "  ")
    assert adjustments() == []
    approvals.approve(site.boss, line_of(task).id, "pallet damaged in aisle")
    line = line_of(task)
    assert line.reason == "pallet damaged in aisle" and line.status == CountStatus.APPROVED


# --- idempotency -------------------------------------------------------------------------


def test_approving_the_same_line_twice_posts_one_adjustment(stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    approvals.approve(site.boss, line_of(task).id)
    again = approvals.approve(site.boss, line_of(task).id)
    assert (
        again.replayed and again.message == "Already approved by Sam Supervisor: A-01-01-A 1042 -2."
    )
    assert len(adjustments()) == 1 and stock.on_hand("1042", "A-01-01-A") == 11


def test_an_adjustment_posted_before_the_decision_was_recorded_is_found_not_posted_again(
    stocked,
):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    line = line_of(task)
    # The process stopped after the adjustment committed and before the line was marked.
    stock.adjust(
        site.boss,
        bin="A-01-01-A",
        sku="1042",
        delta=-2,
        reason="count variance: short",
        reference=task.number,
        key=f"approve-{line.id}",
    )
    assert [v.line.id for v in approvals.queue()] == [line.id]
    approvals.approve(supervisor("sue"), line.id)
    line = line_of(task)
    assert (line.status, line.decided_by_id, line.reason) == (
        CountStatus.APPROVED,
        site.boss.id,
        "short",
    )
    assert len(adjustments()) == 1 and stock.on_hand("1042", "A-01-01-A") == 11


def test_two_supervisors_approving_at_once_post_once(app, stocked):
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    line_id = line_of(task).id
    deciders = [site.boss.id, supervisor("sue").id, supervisor("sid").id, supervisor("sal").id]
    db.session.commit()
    barrier, results = threading.Barrier(len(deciders)), [None] * len(deciders)

    def decide(i):
        with app.app_context():
            try:
                user = db.session.get(User, deciders[i])
                barrier.wait(timeout=30)
                results[i] = approvals.approve(user, line_id)
            except Exception as exc:  # noqa: BLE001 - judged below, not lost
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(len(deciders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(r, approvals.Decision) for r in results), results
    assert sum(not r.replayed for r in results) == 1
    assert len(adjustments()) == 1 and stock.on_hand("1042", "A-01-01-A") == 11
    line = line_of(task)
    assert line.status == CountStatus.APPROVED and line.movement_id == adjustments()[0].id


def test_a_rejection_landing_while_an_approval_posts_leaves_one_decision_whole(
    app, stocked, monkeypatch
):
    # Another supervisor rejects the line, on their own connection, after this approval
    # has read it and posted its adjustment but before it records the decision.
    site = stocked
    task = count(site, "A-01-01-A", {("1042", ""): 11})
    line_id = line_of(task).id
    other = supervisor("sue").id
    adjust, answers, rejecters = stock.adjust, [], []

    def reject_on_another_connection():
        with app.app_context():
            try:
                answers.append(approvals.reject(db.session.get(User, other), line_id))
            except StockError as refusal:
                answers.append(refusal)
            finally:
                db.session.remove()

    def adjust_while_another_supervisor_rejects(user, **kwargs):
        posted = adjust(user, **kwargs)
        rejecters.append(threading.Thread(target=reject_on_another_connection))
        rejecters[0].start()
        rejecters[0].join(timeout=1)  # SQLite: it waits for our write lock, so we go on
        return posted

    monkeypatch.setattr(stock, "adjust", adjust_while_another_supervisor_rejects)
    if db.engine.dialect.name == "postgresql":
        # The rejection got in: the approval's adjustment is rolled back with it.
        with pytest.raises(StockError, match="was rejected a moment ago; nothing was posted"):
            approvals.approve(site.boss, line_id)
        assert line_of(task).status == CountStatus.REJECTED
        assert adjustments() == [] and stock.on_hand("1042", "A-01-01-A") == 13
    else:
        # One writer at a time: the approval stands and the rejection is told so after.
        approvals.approve(site.boss, line_id)
        rejecters[0].join(timeout=30)
        told = "A-01-01-A 1042 was already approved by Sam Supervisor."
        assert [str(a) for a in answers] == [told]
        assert line_of(task).status == CountStatus.APPROVED
        assert len(adjustments()) == 1 and stock.on_hand("1042", "A-01-01-A") == 11


# --- bulk --------------------------------------------------------------------------------


def test_bulk_approve_reports_each_line_and_a_resend_posts_once(stocked):
    site = stocked
    receive(site, "A-01-02-A", 60)
    receive(site, "B-01-01-A", 4, sku="2001", lot="L1")
    small = count(site, "A-01-01-A", {("1042", ""): 12})
    large = count(site, "A-01-02-A", {("1042", ""): 10})  # -50 x 2.50: needs a reason
    lot = count(site, "B-01-01-A", {("2001", "L1"): 5})
    ids = [line_of(small).id, line_of(large).id, line_of(lot, "2001").id]
    results = approvals.bulk_approve(site.boss, ids)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].message.startswith("A-01-02-A 1042: a variance worth 125.00 needs a reason")
    assert len(adjustments()) == 2
    resent = approvals.bulk_approve(site.boss, ids + [999_999])
    assert [r.replayed for r in resent[:3]] == [True, False, True]
    assert resent[3].message == "There is no count line 999999." and not resent[3].ok
    assert len(adjustments()) == 2
    assert stock.on_hand("1042", "A-01-01-A") == 12
    assert stock.on_hand("2001", "B-01-01-A", lot="L1") == 5


# --- the queue ---------------------------------------------------------------------------


def test_the_queue_sorts_by_absolute_value_and_filters_by_zone(stocked):
    site = stocked
    site.b1.zone = "B"
    site.milk.unit_cost = Decimal("40.00")
    db.session.commit()
    receive(site, "A-01-02-A", 10)
    receive(site, "B-01-01-A", 4, sku="2001", lot="L1")
    count(site, "A-01-01-A", {("1042", ""): 11})  # -2 x 2.50 = -5.00
    count(site, "A-01-02-A", {("1042", ""): 16})  # +6 x 2.50 = +15.00
    count(site, "B-01-01-A", {("2001", "L1"): 3})  # -1 x 40.00 = -40.00
    shown = [(v.bin.code, v.units, v.value) for v in approvals.queue()]
    assert shown == [
        ("B-01-01-A", -1, Decimal("-40.00")),
        ("A-01-02-A", 6, Decimal("15.00")),
        ("A-01-01-A", -2, Decimal("-5.00")),
    ]
    assert [v.bin.code for v in approvals.queue("A")] == ["A-01-02-A", "A-01-01-A"]
    assert approvals.zones() == ["A", "B"]


def test_the_queue_shows_who_counted_and_the_bins_last_movements(stocked):
    site = stocked
    for _ in range(6):
        receive(site, "A-01-01-A", 1)
    task = count(site, "A-01-01-A", {("1042", ""): 18})
    pick(site, 1)
    [v] = approvals.queue()
    assert v.counted_by == "Wendy Worker" and v.task.counted_at is not None
    assert (v.line.system_qty, v.line.counted_qty, v.on_hand, v.moved) == (19, 18, 18, True)
    assert len(v.recent) == approvals.RECENT
    assert v.recent[0].kind == "pick" and v.recent[0].target == "SHIP-1"
    assert v.recent[0].id > v.recent[1].id > v.line.last_movement_id - 5
    assert task.number == v.task.number


def test_every_decision_is_in_the_audit_log_with_who_and_why(stocked):
    from webapp.models import AuditEntry

    site = stocked
    approved = count(site, "A-01-01-A", {("1042", ""): 15})
    approvals.approve(site.boss, line_of(approved).id, "found behind the pallet")
    rejected = count(site, "A-01-01-A", {("1042", ""): 9}, number="CT9")
    approvals.reject(site.boss, line_of(rejected).id, "looks miscounted")
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.entity, e.entity_id, e.user_id, e.reason) for e in entries] == [
        ("approve", "count_line", line_of(approved).id, site.boss.id, "found behind the pallet"),
        ("reject", "count_line", line_of(rejected).id, site.boss.id, "looks miscounted"),
    ]
