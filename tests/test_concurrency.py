"""The ledger under workers posting at the same moment, on PostgreSQL and on a SQLite file.

Each worker is a thread with its own app context (so its own session and connection),
and a barrier releases them together. A worker returns its result or the exception it
got, and the test judges them: nothing escapes a thread unseen.
"""

import sqlite3
import threading
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import build_site, sign_in
from tests.helpers import ledger_matches_balances
from webapp import (
    approvals,
    count_recording,
    count_tasks,
    masterdata,
    picking,
    receipts,
    steps,
    stock,
)
from webapp.db import db
from webapp.models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    Item,
    Location,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    Role,
    StockBalance,
    StockMovement,
    User,
)
from webapp.steps import Entry
from webapp.stock import NotEnoughStock, StockError

WORKERS = 8


def key() -> str:
    return uuid.uuid4().hex


def at_once(app, work, workers=WORKERS):
    """Run work(i, user) in `workers` threads released together; each result or exception."""
    barrier = threading.Barrier(workers)
    user_id = db.session.scalar(sa.select(User.id).where(User.username == "wendy"))
    db.session.commit()  # the test's own session holds no transaction while they run
    results: list = [None] * workers

    def run(i):
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait(timeout=30)
                results[i] = work(i, user)
            except Exception as exc:  # noqa: BLE001 - judged by the test, not lost
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results


def movement_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


def receive(site, bin_code, qty):
    return stock.receive(site.worker, to_bin=bin_code, sku="1042", qty=qty, key=key())


# --- PostgreSQL ------------------------------------------------------------------------


def total_on_hand() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockBalance.quantity), 0)))


@pytest.mark.parametrize("qty, winners", [(1, 5), (2, 2)])
def test_workers_racing_for_the_last_units_of_a_bin_take_exactly_what_it_holds(
    pg_app, qty, winners
):
    site = build_site()
    for _ in range(4):  # rounds
        receive(site, "A-01-01-A", 5)
        before, total = movement_count(), total_on_hand()

        def take(i, user):
            # Half pick to staging, half move to another bin: all take from A-01-01-A.
            use_case, to = (stock.pick, "SHIP-1") if i % 2 else (stock.move, "B-01-01-A")
            return use_case(user, from_bin="A-01-01-A", to_bin=to, sku="1042", qty=qty, key=key())

        results = at_once(pg_app, take)
        db.session.rollback()
        won = [r for r in results if isinstance(r, stock.Posted)]
        lost = [r for r in results if not isinstance(r, stock.Posted)]
        left = 5 - winners * qty
        assert len(won) == winners
        assert all(type(r) is NotEnoughStock for r in lost), lost
        assert {r.message for r in lost} == {
            f"Bin A-01-01-A holds {left} of 1042; you tried to take {qty}."
        }
        assert stock.on_hand("1042", "A-01-01-A") == left
        assert total_on_hand() == total  # picks and moves neither make nor lose stock
        assert movement_count() == before + winners
        assert ledger_matches_balances()
        if left:  # empty the bin for the next round
            stock.adjust(
                site.boss, bin="A-01-01-A", sku="1042", delta=-left, reason="reset", key=key()
            )


def test_one_key_sent_by_eight_workers_at_once_posts_one_movement(pg_app):
    site = build_site()
    for round_ in range(3):
        shared = key()

        def send(i, user, shared=shared):
            return stock.receive(user, to_bin="DOCK-1", sku="1042", qty=7, key=shared)

        results = at_once(pg_app, send)
        db.session.rollback()
        assert all(isinstance(r, stock.Posted) for r in results), results
        assert len({r.movement.id for r in results}) == 1
        assert sorted(r.replayed for r in results) == [False] + [True] * (WORKERS - 1)
        assert movement_count() == round_ + 1
        assert stock.on_hand("1042", "DOCK-1") == 7 * (round_ + 1)
    assert site.dock.code == "DOCK-1"


def test_opposite_moves_at_once_never_deadlock_and_keep_the_totals(pg_app):
    site = build_site()
    receive(site, "A-01-01-A", 100)
    receive(site, "B-01-01-A", 100)
    moves_each = 10

    def shuffle(i, user):
        source, target = ("A-01-01-A", "B-01-01-A") if i % 2 else ("B-01-01-A", "A-01-01-A")
        for _ in range(moves_each):
            stock.move(user, from_bin=source, to_bin=target, sku="1042", qty=3, key=key())
        return moves_each

    for round_ in range(1, 6):
        results = at_once(pg_app, shuffle)
        db.session.rollback()
        assert results == [moves_each] * WORKERS  # no deadlock or other error escaped
        # Equal numbers each way: both bins are back where they started.
        assert stock.on_hand("1042", "A-01-01-A") == 100
        assert stock.on_hand("1042", "B-01-01-A") == 100
        assert movement_count() == 2 + round_ * WORKERS * moves_each
        assert ledger_matches_balances()


def test_four_workers_reversing_one_movement_at_once_get_one_reversal_and_a_clear_refusal(
    pg_app,
):
    site = build_site()
    receive(site, "DOCK-1", 10)
    for _ in range(3):
        moved = stock.move(
            site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="1042", qty=1, key=key()
        )
        movement_id = moved.movement.id

        def undo(i, user, movement_id=movement_id):
            return stock.reverse(user, movement_id=movement_id, key=key())

        results = at_once(pg_app, undo, workers=4)
        db.session.rollback()
        won = [r for r in results if isinstance(r, stock.Posted)]
        lost = [r for r in results if not isinstance(r, stock.Posted)]
        assert len(won) == 1
        assert [type(r) for r in lost] == [StockError] * 3, lost
        assert {r.message for r in lost} == {f"Movement {movement_id} was already reversed."}
        assert ledger_matches_balances()


# --- SQLite ------------------------------------------------------------------------------


def test_eight_sqlite_writers_at_once_all_land_and_none_finds_the_database_locked(sqlite_app):
    site = build_site()
    ops_each = 26  # 13 receipts of 2 and 13 moves of 1 per worker

    def post(i, user):
        for n in range(ops_each):
            if n % 2 == 0:
                stock.receive(user, to_bin="DOCK-1", sku="1042", qty=2, key=key())
            else:  # a worker's own receipts keep the dock from running short
                bin_code = ("A-01-01-A", "A-01-02-A", "B-01-01-A")[i % 3]
                stock.move(user, from_bin="DOCK-1", to_bin=bin_code, sku="1042", qty=1, key=key())
        return ops_each

    results = at_once(sqlite_app, post)
    db.session.rollback()
    assert results == [ops_each] * WORKERS  # no "database is locked", nothing lost
    assert movement_count() == WORKERS * ops_each
    assert total_on_hand() == WORKERS * 13 * 2
    assert stock.on_hand("1042", "DOCK-1") == WORKERS * 13
    assert ledger_matches_balances()
    assert site.dock.code == "DOCK-1"


def test_a_deferred_read_then_write_transaction_fails_at_once_when_another_wrote_first(
    sqlite_app,
):
    """Why every write here begins IMMEDIATE: waiting (busy_timeout) cannot save this one."""
    build_site()
    receive_site = db.session.scalar(sa.select(User).where(User.username == "wendy"))
    stock.receive(receive_site, to_bin="DOCK-1", sku="1042", qty=5, key=key())
    db.session.commit()
    path = db.engine.url.database
    first = sqlite3.connect(path, isolation_level=None, timeout=5)
    second = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        read = "SELECT quantity FROM stock_balance"
        write = "UPDATE stock_balance SET quantity = quantity - 1"
        second.execute("BEGIN")  # deferred: a read transaction until it writes
        assert second.execute(read).fetchone() == (5,)
        first.execute("BEGIN IMMEDIATE")
        first.execute(write)
        first.execute("COMMIT")
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            second.execute(write)
        second.execute("ROLLBACK")
        # Begun IMMEDIATE, the same read-then-write takes the lock first and succeeds.
        second.execute("BEGIN IMMEDIATE")
        assert second.execute(read).fetchone() == (4,)
        second.execute(write)
        second.execute("COMMIT")
    finally:
        first.close()
        second.close()
    db.session.rollback()
    assert stock.on_hand("1042", "DOCK-1") == 3


def test_workers_receiving_one_new_lot_at_once_all_land_in_that_one_lot(pg_app):
    site = build_site()

    def send(i, user):
        return stock.receive(
            user, to_bin="DOCK-1", sku="2001", qty=3, lot=f"NEW{round_}", key=key()
        )

    for round_ in range(3):
        results = at_once(pg_app, send)
        db.session.rollback()
        assert all(isinstance(r, stock.Posted) for r in results), results
        assert stock.on_hand("2001", "DOCK-1", lot=f"NEW{round_}") == 3 * WORKERS
        assert ledger_matches_balances()
    assert site.milk.sku == "2001"


def test_short_picks_in_one_bin_at_once_raise_one_count_task_for_it(pg_app):
    site = build_site()
    bin_id = site.a1.id

    def short(i, user):
        location = db.session.get(Location, bin_id)
        return count_tasks.raise_short_pick_count(user, location).number

    for _ in range(3):
        results = at_once(pg_app, short)
        db.session.rollback()
        assert all(isinstance(r, str) for r in results), results
        (task,) = db.session.scalars(sa.select(CountTask).where(CountTask.status == DocStatus.OPEN))
        assert set(results) == {task.number} and task.location_id == bin_id
        task.status = DocStatus.CLOSED  # counted: the next short pick in the bin raises a new one
        db.session.commit()


def test_workers_receiving_one_receipt_at_once_never_pass_an_over_receipt_block(pg_app):
    site = build_site()
    receipt = Receipt(number="PO77", warehouse_id=site.warehouse.id, supplier="Acme")
    receipt.lines = [ReceiptLine(item_id=site.widget.id, expected_qty=10)]
    db.session.add(receipt)
    db.session.commit()
    pg_app.config["OVER_RECEIPT"] = "block"

    def send(i, user):
        return receipts.receive_on_receipt(
            user, "PO77", to_bin="DOCK-1", sku="1042", qty=3, key=key()
        )

    results = at_once(pg_app, send)
    db.session.rollback()
    posted = [r for r in results if isinstance(r, stock.Posted)]
    refused = [r for r in results if isinstance(r, receipts.OverReceipt)]
    assert len(posted) == 3 and len(refused) == WORKERS - 3, results  # 9 of 10, then no more
    assert stock.on_hand("1042", "DOCK-1") == 9 and ledger_matches_balances()


def test_workers_finishing_one_count_task_at_once_record_it_once(pg_app):
    site = build_site()
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=10, key=key())
    db.session.add(CountTask(number="CT1", location_id=site.a1.id))  # for anyone
    db.session.commit()

    def count(i, user):
        return count_recording.record(user, "CT1", {("1042", ""): 8})

    results = at_once(pg_app, count)
    db.session.rollback()
    done = [r for r in results if isinstance(r, CountTask)]
    refused = [r for r in results if isinstance(r, StockError)]
    assert len(done) == 1 and len(refused) == WORKERS - 1, results
    winner = db.session.get(User, done[0].counted_by_id).name
    assert {r.message for r in refused} == {
        f"Count CT1 was counted by {winner}; nothing you counted was recorded. "
        "Scan another task or its bin."
    }
    lines = db.session.scalars(sa.select(CountLine)).all()
    assert [(line.system_qty, line.counted_qty) for line in lines] == [(10, 8)]  # one variance


def test_a_count_cancelled_as_it_is_recorded_is_one_or_the_other(pg_app):
    site = build_site()
    office = site.boss

    for round_ in range(6):
        task = CountTask(number=f"CT{round_}", location_id=site.a1.id)
        db.session.add(task)
        db.session.commit()
        task_id, number = task.id, task.number

        def either(i, user, task_id=task_id, number=number):
            if i == 0:
                return masterdata.cancel_document(
                    db.session.get(User, office.id), masterdata.COUNT_TASKS, task_id
                )
            return count_recording.record(user, number, {("1042", ""): 1})

        results = at_once(pg_app, either, workers=2)
        db.session.rollback()
        task = db.session.get(CountTask, task_id, populate_existing=True)
        lines = db.session.scalars(sa.select(CountLine).where(CountLine.task_id == task_id)).all()
        if task.status == DocStatus.CANCELLED:
            assert not lines and isinstance(results[1], StockError), results
        else:
            assert task.status == DocStatus.CLOSED and lines, results
            assert isinstance(results[0], masterdata.Invalid), results


def test_supervisors_rejecting_two_lines_of_one_bin_at_once_raise_one_recount(pg_app):
    site = build_site()
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=10, key=key())
    stock.receive(site.worker, to_bin="A-01-01-A", sku="3001", qty=1, lot="SN1", key=key())
    db.session.add(CountTask(number="CT1", location_id=site.a1.id))
    db.session.commit()
    count_recording.record(site.worker, "CT1", {("1042", ""): 2, ("3001", "SN1"): 0})
    line_ids = db.session.scalars(sa.select(CountLine.id).order_by(CountLine.id)).all()
    boss_id = site.boss.id

    def reject(i, _user):
        return approvals.reject(db.session.get(User, boss_id), line_ids[i], "count again")

    results = at_once(pg_app, reject, workers=2)
    db.session.rollback()
    assert not [r for r in results if isinstance(r, Exception)], results
    recounts = db.session.scalars(sa.select(CountTask).where(CountTask.source == "recount"))
    assert len(recounts.all()) == 1


def test_supervisors_raising_counts_of_one_bin_at_once_raise_one_task(pg_app):
    site = build_site()
    boss_id = site.boss.id

    def raise_count(i, _user):
        return masterdata.create_count_tasks(db.session.get(User, boss_id), "bin", "A-01-01-A")

    for _ in range(3):
        results = at_once(pg_app, raise_count, workers=4)
        db.session.rollback()
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(len(r.created) for r in results) == [0, 0, 0, 1]
        task = db.session.scalars(sa.select(CountTask).where(CountTask.status == DocStatus.OPEN))
        (task,) = task.all()
        task.status = DocStatus.CANCELLED  # the next round raises a new one
        db.session.commit()


def test_one_workers_two_handhelds_picking_one_line_at_once_pick_it_once(app):
    # A worker signed in on two handhelds (or a page left open on one) has the same line
    # in front of them twice; what the line asks for is checked as the pick is written.
    site = build_site()
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=20, key=key())
    pick_list = PickList(number="PL9", warehouse_id=site.warehouse.id,
                         status=DocStatus.IN_PROGRESS, assigned_to_id=site.worker.id)
    pick_list.lines = [PickLine(item_id=site.widget.id, ordered_qty=4)]
    db.session.add(pick_list)
    db.session.commit()
    state = {"list": "PL9", "bin": "A-01-01-A"}

    def pick_all_four(i, user):
        with app.test_request_context("/pick", method="POST"):
            entry = Entry(state=state, action="qty", typed_qty="4", key=key())
            return steps.run(picking, user, entry)

    results = at_once(app, pick_all_four, workers=4)
    db.session.rollback()
    assert sum(step.ok is True for step in results) == 1, [(s.ok, s.message) for s in results]
    assert all("left to pick" in step.message for step in results if step.ok is False), results
    assert stock.on_hand("1042", "SHIP-1") == 4 and stock.on_hand("1042", "A-01-01-A") == 16
    assert ledger_matches_balances()



def test_one_worker_pressing_take_next_on_two_handhelds_at_once_holds_one_list(app):
    site = build_site()
    for n in range(4):
        db.session.add(PickList(number=f"PL{n}", warehouse_id=site.warehouse.id,
                                lines=[PickLine(item_id=site.widget.id, ordered_qty=1)]))
    db.session.commit()
    results = at_once(app, lambda i, user: picking.take_next(user).number, workers=4)
    db.session.rollback()
    assert len(set(results)) == 1, results  # the same list, on every handheld
    held = db.session.scalars(
        sa.select(PickList.number).where(PickList.status == DocStatus.IN_PROGRESS)
    ).all()
    assert held == results[:1]


def _held_open(*statements):
    """Another transaction, left open: run `statements`, hand back its connection."""
    conn = db.engine.connect()  # outside a request, its first statement sends BEGIN
    for sql in statements:
        conn.execute(sa.text(sql))
    return conn


def once_released(app, held, work):
    """Run work(user) in a thread of its own, show that it waits for the `held`
    transaction, commit that, and return what work returned (or raised)."""
    done: list = []

    def run():
        with app.app_context():
            try:
                user = db.session.scalar(sa.select(User).where(User.username == "wendy"))
                done.append(work(user))
            except Exception as exc:  # noqa: BLE001 - judged by the test
                done.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    try:
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "it should wait for the held transaction"
        held.commit()
    finally:
        held.close()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the thread hung"
    return done[0]


def test_a_pick_as_its_list_is_handed_back_is_refused_and_writes_nothing(pg_app):
    site = build_site()
    receive(site, "A-01-01-A", 5)
    pick_list = PickList(number="PL9", warehouse_id=site.warehouse.id,
                         status=DocStatus.IN_PROGRESS, assigned_to_id=site.worker.id)
    pick_list.lines = [PickLine(item_id=site.widget.id, ordered_qty=4)]
    db.session.add(pick_list)
    db.session.commit()
    before = movement_count()
    # A supervisor's hand-back, committing while the pick waits for the list's row.
    held = _held_open("UPDATE pick_list SET status = 'open', assigned_to_id = NULL"
                      " WHERE number = 'PL9'")
    result = once_released(pg_app, held, lambda user: picking.pick_on_list(
        user, "PL9", from_bin="A-01-01-A", sku="1042", qty=4, key=key()))
    assert isinstance(result, StockError), result
    assert result.message == "Pick list PL9 is not yours to pick; take a list first."
    db.session.rollback()
    assert movement_count() == before and stock.on_hand("1042", "A-01-01-A") == 5



def test_a_count_as_its_task_is_given_to_another_worker_is_refused_and_records_nothing(pg_app):
    site = build_site()
    receive(site, "A-01-01-A", 5)
    db.session.add(CountTask(number="CT9", location_id=site.a1.id,
                             assigned_to_id=site.worker.id))
    db.session.commit()
    # A supervisor's Give, committing while the worker's Done waits for the task's row.
    held = _held_open(f"UPDATE count_task SET assigned_to_id = {site.other.id}"
                      " WHERE number = 'CT9'")
    result = once_released(pg_app, held, lambda user: count_recording.record(
        user, "CT9", {("1042", ""): 4}))
    assert isinstance(result, StockError), result
    assert result.message == ("Count CT9 is for Oscar Other; take one from the list, or ask a "
                              "supervisor to give it to you.")
    db.session.rollback()
    task = db.session.scalar(sa.select(CountTask).where(CountTask.number == "CT9"))
    assert (task.status, task.lines, task.assigned_to_id) == (DocStatus.OPEN, [], site.other.id)

def test_a_move_into_a_bin_as_it_is_deactivated_is_refused(pg_app):
    site = build_site()
    receive(site, "A-01-01-A", 5)
    target = site.a2.id
    db.session.commit()
    # The office deactivating the empty bin, its transaction not yet committed.
    office = _held_open(
        f"SELECT id FROM location WHERE id = {target} FOR UPDATE",
        f"UPDATE location SET active = false WHERE id = {target}",
    )
    result = once_released(pg_app, office, lambda user: stock.move(
        user, from_bin="A-01-01-A", to_bin="A-01-02-A", sku="1042", qty=2, key=key()))
    assert isinstance(result, StockError), result
    assert result.message == "Bin A-01-02-A is not in use; choose another bin."
    assert stock.on_hand("1042", "A-01-02-A") == 0 and ledger_matches_balances()


def test_deactivating_a_bin_as_a_move_into_it_commits_is_refused(pg_app):
    site = build_site()
    target = site.a2.id
    db.session.commit()
    # A move into the empty bin, written but not yet committed (what its posting holds).
    move = _held_open(
        f"SELECT id FROM location WHERE id = {target} FOR KEY SHARE",
        "INSERT INTO stock_balance (item_id, location_id, lot_id, quantity)"
        f" VALUES ({site.widget.id}, {target}, NULL, 3)",
    )
    boss_id = site.boss.id
    result = once_released(pg_app, move, lambda user: masterdata.set_location_active(
        db.session.get(User, boss_id), target, False))
    assert isinstance(result, masterdata.Invalid), result
    assert result.errors == {"active": "Bin A-01-02-A holds stock; move it out first."}
    assert db.session.scalar(sa.select(Location.active).where(Location.id == target))


def test_the_cycle_schedule_run_twice_at_once_raises_one_task_per_bin(pg_app):
    # Two hosts' cron jobs, or a cron job and a supervisor's second thought.
    site = build_site()
    for bin_code in ("A-01-01-A", "A-01-02-A", "B-01-01-A"):
        receive(site, bin_code, 3)
    db.session.commit()

    results = at_once(pg_app, lambda i, user: count_tasks.schedule_cycle_counts(), workers=4)
    db.session.rollback()
    assert not [r for r in results if isinstance(r, Exception)], results
    bins = db.session.scalars(
        sa.select(CountTask.location_id).where(CountTask.status == DocStatus.OPEN)
    ).all()
    assert sorted(bins) == sorted([site.a1.id, site.a2.id, site.b1.id])


@pytest.mark.parametrize("save", ["item", "bin", "user", "receipt"])
def test_one_new_record_saved_twice_at_once_is_made_once_and_the_second_told_why(pg_app, save):
    # A double click on Create, or two people typing the same new SKU.
    site = build_site()
    boss_id = site.boss.id
    db.session.commit()
    admin = db.session.get(User, boss_id)
    admin.role = Role.ADMIN
    db.session.commit()
    saves = {
        "item": lambda who: masterdata.save_item(who, {"sku": "9001", "description": "New"}),
        "bin": lambda who: masterdata.save_location(who, {"code": "C-01-01-A", "kind": "storage",
                                                          "warehouse": "WH1"}),
        "user": lambda who: masterdata.create_user(who, {"username": "nina", "name": "Nina",
                                                         "role": "worker", "pin": "4455"}),
        "receipt": lambda who: masterdata.save_document(who, masterdata.RECEIPTS, {
            "number": "PO9001", "warehouse": "WH1", "lines": "1042,5"}),
    }
    results = at_once(pg_app, lambda i, user: saves[save](db.session.get(User, boss_id)),
                      workers=4)
    db.session.rollback()
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 3 and all(isinstance(r, masterdata.Invalid) for r in refused), refused


def test_an_import_confirmed_twice_at_once_is_written_once_and_neither_fails(pg_app):
    # A double click on "Import": the second finds the items made and changes nothing.
    site = build_site()
    site.boss.role = Role.ADMIN
    db.session.commit()
    text = "sku,description,uom,barcodes\n9001,New one,each,\n9002,New two,each,\n"
    offices = []
    for _ in range(2):
        office = pg_app.test_client()
        sign_in(office, "sam")
        offices.append(office)

    def confirm(i, user):
        return offices[i].post("/admin/import/items/confirm", data={"text": text}).status_code

    results = at_once(pg_app, confirm, workers=2)
    db.session.rollback()
    assert results == [302, 302], results
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 5


def test_a_count_recorded_as_a_move_into_its_bin_commits_includes_the_move(pg_app):
    # The count keeps the system quantity "at the moment of counting": with a move into the
    # bin in flight, that moment is after it, not between its movement and its balance.
    site = build_site()
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=10, key=key())
    db.session.add(CountTask(number="CT2", location_id=site.a1.id))
    db.session.commit()
    bin_id, item_id, user_id = site.a1.id, site.widget.id, site.worker.id
    move = _held_open(  # what a move of 3 into the bin holds until it commits
        f"SELECT id FROM location WHERE id = {bin_id} FOR KEY SHARE",
        "INSERT INTO stock_movement (kind, item_id, to_location_id, quantity, user_id,"
        " device_id, created_at, reference, reason, idempotency_key)"
        f" VALUES ('receive', {item_id}, {bin_id}, 3, {user_id}, '', now(), '', '', 'k-in')",
        f"UPDATE stock_balance SET quantity = quantity + 3 WHERE location_id = {bin_id}",
    )
    task = once_released(pg_app, move, lambda user: count_recording.record(
        user, "CT2", {("1042", ""): 13}))
    assert not isinstance(task, Exception), task
    db.session.expire_all()
    (line,) = db.session.get(CountTask, task.id).lines
    assert (line.system_qty, line.counted_qty, line.status) == (13, 13, CountStatus.MATCHED)
