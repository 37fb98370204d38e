"""Three handhelds and the office at the same moment (a worker on two handhelds, another
on a third), over HTTP, on both databases: whatever they send and however their requests
interleave, the ledger and every document stay true.

Hypothesis writes each handheld a plan: whole errands done right (a move, a receipt, a
pick, a count) mixed with the floor fuzz's careless requests, now and then the same plan
on both of one worker's handhelds (so that they run in step and their postings collide);
and the office a few actions (bins out of use and back, the receipt closed, the pick list
cancelled, counts raised, variances approved or rejected). All start together. Every
answer is the step or a refusal in words (never a 500), and afterwards: every balance
equals the ledger; no pick list has more of an item picked than it asks for less what was
recorded short, and a closed one has every unit picked or recorded short; no receipt has
taken more of an item than it expects (over-receipt is blocked here); no count task was
recorded twice; no bin out of use holds stock. FUZZ_EXAMPLES sets the number of examples
(suite: 15).
"""

import os
import threading
from collections import Counter

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import sign_in
from tests.helpers import ledger_matches_balances
from tests.test_floor_fuzz import ERRANDS, REQUEST, Handheld, errand_requests, send, stocked_site
from tests.test_ledger_properties import reset_data
from webapp import approvals, masterdata, receipts, stock
from webapp.db import db
from webapp.models import (
    CountLine,
    CountStatus,
    DocStatus,
    Location,
    MovementKind,
    PickList,
    Receipt,
    StockBalance,
    User,
)
from webapp.stock import StockError

HANDHELDS = [("wendy", "wendy-1"), ("wendy", "wendy-2"), ("oscar", "oscar-1")]


def plan(device: str):
    errands = ERRANDS.map(lambda e: errand_requests(e, device))
    careless = REQUEST.map(lambda r: [dict(r, who=device)])
    return st.lists(st.one_of(errands, errands, careless), min_size=1, max_size=6).map(
        lambda batches: [r for batch in batches for r in batch]
    )


# The office at the same moment: bins out of use and back, the receipt closed, the pick
# list cancelled, counts raised, waiting variances approved or rejected.
OFFICE = st.lists(st.sampled_from([
    ("bin", "A-01-02-A", False), ("bin", "A-01-02-A", True), ("bin", "B-01-01-A", False),
    ("bin", "B-01-01-A", True), ("bin", "DOCK-1", False), ("bin", "DOCK-1", True),
    ("close", "PO1001"), ("cancel", "PL7"), ("count", "A-01-01-A"), ("count", "A-01-02-A"),
    ("approve",), ("reject",),
]), max_size=6)


def office_does(app, actions: list) -> None:
    with app.app_context():
        try:
            boss = db.session.scalar(sa.select(User).where(User.username == "sam"))
            for action in actions:
                try:
                    _office_action(boss, *action)
                except StockError:  # refused in words (a bin holding stock...): fine
                    db.session.rollback()
        finally:
            db.session.remove()


def _office_action(boss, what, *args):
    if what == "bin":
        code, active = args
        location = db.session.scalar(sa.select(Location).where(Location.code == code))
        masterdata.set_location_active(boss, location.id, active)
    elif what == "close":
        receipts.close_receipt(boss, args[0])
    elif what == "cancel":
        pick_list = db.session.scalar(sa.select(PickList).where(PickList.number == args[0]))
        masterdata.cancel_document(boss, masterdata.PICK_LISTS, pick_list.id)
    elif what == "count":
        masterdata.create_count_tasks(boss, "bin", args[0])
    else:
        waiting = db.session.scalars(
            sa.select(CountLine.id).where(CountLine.status == CountStatus.PENDING)
        ).all()
        for line_id in waiting:
            if what == "approve":
                approvals.approve(boss, line_id, "checked")
            else:
                approvals.reject(boss, line_id, "count again")


def bins_out_of_use_empty() -> list[str]:
    held = db.session.execute(
        sa.select(Location.code, StockBalance.quantity)
        .join(StockBalance, StockBalance.location_id == Location.id)
        .where(~Location.active, StockBalance.quantity > 0)
    ).all()
    return [f"{code} is out of use and holds {qty}" for code, qty in held]


def pick_lists_true() -> list[str]:
    wrong = []
    for pick_list in db.session.scalars(sa.select(PickList)):
        picked = stock.posted_by_item(pick_list.number, MovementKind.PICK)
        asked, short = Counter(), Counter()
        for line in pick_list.lines:
            asked[line.item_id] += line.ordered_qty
            short[line.item_id] += line.short_qty
        for item_id in asked | Counter(picked):
            got, most = picked.get(item_id, 0), asked[item_id] - short[item_id]
            if got > most or (pick_list.status == DocStatus.CLOSED and got != most):
                wrong.append(f"{pick_list.number} {pick_list.status.value}: item {item_id} "
                             f"picked {got}, asked {asked[item_id]}, short {short[item_id]}")
    return wrong


def receipts_true() -> list[str]:
    wrong = []
    for receipt in db.session.scalars(sa.select(Receipt)):
        received = stock.posted_by_item(receipt.number, MovementKind.RECEIVE)
        for line in receipt.lines:
            if line.expected_qty and received.get(line.item_id, 0) > line.expected_qty:
                wrong.append(f"{receipt.number}: item {line.item_id} received "
                             f"{received[line.item_id]} of {line.expected_qty}")
    return wrong


def counts_recorded_once() -> list[str]:
    lines = db.session.execute(sa.select(CountLine.task_id, CountLine.item_id, CountLine.lot_id))
    twice = [key for key, n in Counter(lines).items() if n > 1]
    return [f"count task {task} has item {item} lot {lot} twice" for task, item, lot in twice]


def test_handhelds_at_once_keep_the_ledger_and_every_document_true(app):
    app.config["OVER_RECEIPT"] = "block"
    examples = int(os.environ.get("FUZZ_EXAMPLES", "15"))

    # Now and then both of wendy's handhelds run one plan, request by request in step (a
    # barrier before each), so that their postings collide.
    twins = plan("wendy-1").map(lambda p: (p, [dict(r, who="wendy-2") for r in p]))
    wendys = st.one_of(st.tuples(plan("wendy-1"), plan("wendy-2")), twins)

    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],  # a race need not happen twice
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.tuples(wendys, plan("oscar-1")).map(lambda t: [*t[0], t[1]]), OFFICE)
    def at_once(plans, office):
        reset_data()
        stocked_site()
        guns = []
        for username, _ in HANDHELDS:
            guns.append(Handheld(app.test_client()))
            sign_in(guns[-1].client, username)
        start, failures = threading.Barrier(len(guns) + 1), []
        twinned = [[dict(r, who="") for r in p] for p in plans[:2]]
        in_step = threading.Barrier(2) if twinned[0] == twinned[1] else None

        def run(gun, requests):
            try:
                start.wait(timeout=30)
                for r in requests:
                    if in_step and r["who"] != "oscar-1":
                        in_step.wait(timeout=30)
                    send(gun, r)
            except Exception as exc:  # noqa: BLE001 - reported below, with the others
                failures.append(exc)

        def run_office():
            try:
                start.wait(timeout=30)
                office_does(app, office)
            except Exception as exc:  # noqa: BLE001 - reported below, with the others
                failures.append(exc)

        pairs = zip(guns, plans, strict=True)
        threads = [threading.Thread(target=run, args=pair) for pair in pairs]
        threads.append(threading.Thread(target=run_office))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a handheld hung"
        assert not failures, failures
        db.session.rollback()  # read what the handhelds wrote, not an old snapshot
        assert ledger_matches_balances()
        assert pick_lists_true() == []
        assert receipts_true() == []
        assert counts_recorded_once() == []
        assert bins_out_of_use_empty() == []

    at_once()
