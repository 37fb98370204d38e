"""The ledger's invariants under any sequence of operations, on both databases.

A hypothesis state machine runs random receipts, moves, whole-bin moves, picks, adjustments,
reversals, replayed keys and bad inputs against the use cases, and keeps its own model of
what every bin should hold. After every step: each balance equals the ledger's in minus out
for its item, bin and lot, and is never negative; the database agrees with the model; the
total on hand changed only by receipts, adjustments and reversals of those; a serial number
is never on hand twice. A refused operation and a replayed key write nothing.
"""

import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import build_site
from webapp import stock
from webapp.db import db
from webapp.models import Item, Location, Lot, MovementKind, StockBalance, StockMovement
from webapp.stock import Forbidden, NotEnoughStock, StockError

BINS = ["DOCK-1", "SHIP-1", "A-01-01-A", "A-01-02-A", "B-01-01-A"]
# (sku, lot): a plain item, two lots of a lot-tracked item, two serials of a serialised one.
STOCK_UNITS = [("1042", None), ("2001", "L1"), ("2001", "L2"), ("3001", "SN1"), ("3001", "SN2")]
SERIAL, LOTTED = "3001", "2001"
# Ahead of whatever day the tests run: an expired lot is not picked (tested on its own).
EXPIRIES = [None, date.today() + timedelta(days=120), date.today() + timedelta(days=300)]
MOVED_ON_THE_FLOOR = {MovementKind.MOVE, MovementKind.PICK}


def key() -> str:
    return uuid.uuid4().hex


def reset_data() -> None:
    """Empty every table, so each example starts from the same small warehouse."""
    db.session.rollback()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:  # DELETE: on tables this small, faster than TRUNCATE
        for table in tables:
            conn.execute(table.delete())
    db.session.expunge_all()


def lot_word(sku: str) -> str:
    return "serial number" if sku == SERIAL else "lot"


class Ledger(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        reset_data()
        self.site = build_site()
        self.skus = {i.id: i.sku for i in db.session.scalars(sa.select(Item))}
        self.bins = {loc.id: loc.code for loc in db.session.scalars(sa.select(Location))}
        self.expected: Counter = Counter()  # (sku, bin, lot) -> units, as the model says
        self.lots: dict = {}  # (sku, lot) -> expiry, for lots the ledger has created
        self.total = 0  # changed only by receipts, adjustments and their reversals
        self.movements: list[dict] = []  # the model's ledger, with the database's ids
        self.posted: list = []  # (use case, arguments, user, movement ids) to replay

    # --- reading the database ------------------------------------------------------

    def lot_codes(self) -> dict:
        return {lot.id: lot.code for lot in db.session.scalars(sa.select(Lot))}

    def snapshot(self):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
        rows = db.session.execute(sa.select(StockBalance.__table__)).all()
        lots = db.session.scalar(sa.select(sa.func.count()).select_from(Lot))
        return count, sorted(tuple(r) for r in rows), lots

    def on_hand(self) -> Counter:
        lots = self.lot_codes()
        rows = db.session.execute(sa.select(StockBalance.__table__)).all()
        return Counter(
            {
                (self.skus[r.item_id], self.bins[r.location_id], lots.get(r.lot_id)): r.quantity
                for r in rows
                if r.quantity
            }
        )

    def as_model(self, m: StockMovement) -> dict:
        lots = self.lot_codes()
        return dict(
            id=m.id,
            kind=m.kind,
            sku=self.skus[m.item_id],
            lot=lots.get(m.lot_id),
            src=self.bins.get(m.from_location_id),
            dst=self.bins.get(m.to_location_id),
            qty=m.quantity,
            reversed=False,
        )

    # --- running an operation ----------------------------------------------------------

    def post(self, use_case, user, refusal=None, **kwargs):
        """Run a use case; it must be refused exactly when the model says, writing nothing."""
        kwargs.setdefault("key", key())
        before = self.snapshot()
        if refusal is not None:
            kind, message = refusal
            with pytest.raises(StockError) as caught:
                use_case(user, **kwargs)
            assert type(caught.value) is kind
            assert message in caught.value.message
            assert self.snapshot() == before
            return None
        posted = use_case(user, **kwargs)
        assert not posted.replayed
        assert self.snapshot()[0] == before[0] + len(posted.movements)
        self.posted.append((use_case, kwargs, user, [m.id for m in posted.movements]))
        return posted

    def record(self, posted, **expected) -> None:
        got = self.as_model(posted.movement)
        assert {k: got[k] for k in expected} == expected
        self.movements.append(got)

    def short(self, sku, lot, bin_code, qty):
        """The model's refusal for taking qty from a bin, or None if the bin holds enough."""
        held = self.expected[(sku, bin_code, lot)]
        if held >= qty:
            return None
        lot_text = f" lot {lot}" if lot else ""
        return (
            NotEnoughStock,
            f"Bin {bin_code} holds {held} of {sku}{lot_text}; you tried to take {qty}.",
        )

    def unknown_lot(self, sku, lot):
        if lot is not None and (sku, lot) not in self.lots:
            return StockError, f"{lot_word(sku).capitalize()} {lot} of {sku} is not known."
        return None

    def incoming(self, sku, lot, expiry):
        """The model's refusal for stock arriving in a lot, as receive and adjust check it."""
        known = self.lots.get((sku, lot))
        if expiry and known and expiry != known:
            return StockError, f"expires {known:%Y-%m-%d}, not {expiry:%Y-%m-%d}"
        if sku == SERIAL and self.serial_on_hand(lot):
            return StockError, f"Serial {lot} of {sku} is already in stock."
        return None

    def serial_on_hand(self, lot) -> int:
        return sum(q for (s, _, lt), q in self.expected.items() if s == SERIAL and lt == lot)

    def arrived(self, sku, lot, expiry) -> None:
        if lot is not None:
            self.lots.setdefault((sku, lot), expiry)

    # --- rules -------------------------------------------------------------------------

    @rule(
        to=st.sampled_from(BINS),
        unit=st.sampled_from(STOCK_UNITS),
        qty=st.integers(1, 20),
        expiry=st.sampled_from(EXPIRIES),
    )
    def receive(self, to, unit, qty, expiry):
        sku, lot = unit
        qty = 1 if sku == SERIAL else qty
        expiry = expiry if sku == LOTTED else None
        refusal = self.incoming(sku, lot, expiry)
        posted = self.post(
            stock.receive,
            self.site.worker,
            refusal,
            to_bin=to,
            sku=sku,
            qty=qty,
            lot=lot,
            expiry=expiry,
        )
        if posted:
            self.record(posted, kind=MovementKind.RECEIVE, sku=sku, lot=lot, src=None, dst=to)
            self.expected[(sku, to, lot)] += qty
            self.total += qty
            self.arrived(sku, lot, expiry)

    @rule(
        src=st.sampled_from(BINS),
        dst=st.sampled_from(BINS),
        unit=st.sampled_from(STOCK_UNITS),
        qty=st.integers(1, 15),
        as_pick=st.booleans(),
    )
    def move_or_pick(self, src, dst, unit, qty, as_pick):
        sku, lot = unit
        use_case, kind = (
            (stock.pick, MovementKind.PICK) if as_pick else (stock.move, MovementKind.MOVE)
        )
        if as_pick:
            dst = "SHIP-1"
        if src == dst:
            refusal = StockError, f"That is bin {src} again"
        else:
            refusal = self.unknown_lot(sku, lot) or self.short(sku, lot, src, qty)
        posted = self.post(
            use_case, self.site.worker, refusal, from_bin=src, to_bin=dst, sku=sku, qty=qty, lot=lot
        )
        if posted:
            self.record(posted, kind=kind, sku=sku, lot=lot, src=src, dst=dst, qty=qty)
            self.expected[(sku, src, lot)] -= qty
            self.expected[(sku, dst, lot)] += qty

    @rule(src=st.sampled_from(BINS), dst=st.sampled_from(BINS))
    def move_whole_bin(self, src, dst):
        held = {(s, lot): q for (s, b, lot), q in self.expected.items() if b == src and q > 0}
        if src == dst:
            refusal = StockError, f"That is bin {src} again"
        elif not held:
            refusal = StockError, f"Bin {src} is empty"
        else:
            refusal = None
        posted = self.post(stock.move_bin, self.site.worker, refusal, from_bin=src, to_bin=dst)
        if posted:
            moved = [self.as_model(m) for m in posted.movements]
            assert {(m["sku"], m["lot"]): m["qty"] for m in moved} == held
            assert {(m["kind"], m["src"], m["dst"]) for m in moved} == {
                (MovementKind.MOVE, src, dst)
            }
            self.movements.extend(moved)
            for (sku, lot), qty in held.items():
                self.expected[(sku, src, lot)] -= qty
                self.expected[(sku, dst, lot)] += qty

    @rule(
        at=st.sampled_from(BINS),
        unit=st.sampled_from(STOCK_UNITS),
        qty=st.integers(1, 10),
        up=st.booleans(),
        expiry=st.sampled_from(EXPIRIES),
    )
    def adjust(self, at, unit, qty, up, expiry):
        sku, lot = unit
        qty = 1 if sku == SERIAL else qty
        expiry = expiry if sku == LOTTED and up else None
        if up:
            refusal = self.incoming(sku, lot, expiry)
        else:
            refusal = self.unknown_lot(sku, lot) or self.short(sku, lot, at, qty)
        delta = f"+{qty}" if up else -qty
        posted = self.post(
            stock.adjust,
            self.site.boss,
            refusal,
            bin=at,
            sku=sku,
            delta=delta,
            reason="count variance",
            lot=lot,
            expiry=expiry,
        )
        if posted:
            src, dst = (None, at) if up else (at, None)
            self.record(posted, kind=MovementKind.ADJUST, sku=sku, lot=lot, src=src, dst=dst)
            self.expected[(sku, at, lot)] += qty if up else -qty
            self.total += qty if up else -qty
            self.arrived(sku, lot, expiry)

    @precondition(lambda self: self.movements)
    @rule(data=st.data())
    def reverse(self, data):
        original = data.draw(st.sampled_from(self.movements))
        sku, lot, qty = original["sku"], original["lot"], original["qty"]
        src, dst = original["dst"], original["src"]  # the other way
        if original["kind"] == MovementKind.REVERSE:
            refusal = StockError, "A reversal cannot be reversed"
        elif original["reversed"]:
            refusal = StockError, f"Movement {original['id']} was already reversed."
        elif src:
            refusal = self.short(sku, lot, src, qty)
        elif sku == SERIAL and self.serial_on_hand(lot):
            refusal = StockError, f"Serial {lot} of {sku} is already in stock."
        else:
            refusal = None
        posted = self.post(stock.reverse, self.site.worker, refusal, movement_id=original["id"])
        if posted:
            self.record(posted, kind=MovementKind.REVERSE, sku=sku, lot=lot, src=src, dst=dst)
            original["reversed"] = True
            if src:
                self.expected[(sku, src, lot)] -= qty
            if dst:
                self.expected[(sku, dst, lot)] += qty
            if original["kind"] not in MOVED_ON_THE_FLOOR:
                self.total += qty if src is None else -qty

    @precondition(lambda self: self.posted)
    @rule(data=st.data(), same_user=st.booleans())
    def replay_a_key(self, data, same_user):
        use_case, kwargs, user, ids = data.draw(st.sampled_from(self.posted))
        before = self.snapshot()
        if same_user:
            again = use_case(user, **kwargs)
            assert again.replayed
            assert [m.id for m in again.movements] == ids
        else:
            other = self.site.other if user is not self.site.other else self.site.worker
            with pytest.raises(StockError, match="already recorded for another user"):
                use_case(other, **kwargs)
        assert self.snapshot() == before

    @rule(case=st.sampled_from(range(16)))
    def bad_input(self, case):
        worker, boss = self.site.worker, self.site.boss
        receive = dict(to_bin="A-01-01-A", sku="1042", qty=1)
        move = dict(from_bin="A-01-01-A", to_bin="B-01-01-A", sku="1042", qty=1)
        adjust = dict(bin="A-01-01-A", sku="1042", delta="+1", reason="found")
        cases = [
            (stock.receive, worker, {**receive, "qty": 0}, "at least 1"),
            (stock.receive, worker, {**receive, "qty": "2.5"}, "is not a quantity"),
            (stock.receive, worker, {**receive, "qty": 100_000}, "more than 99,999 units"),
            (stock.receive, worker, {**receive, "to_bin": "NOPE-1"}, "There is no bin"),
            (stock.receive, worker, {**receive, "to_bin": "Z-99-99-Z"}, "is not in use"),
            (stock.receive, worker, {**receive, "sku": "9999"}, "There is no item"),
            (stock.receive, worker, {**receive, "sku": LOTTED}, "tracked by lot"),
            (stock.receive, worker, {**receive, "lot": "L1"}, "not tracked by lot"),
            (stock.receive, worker, {**receive, "sku": SERIAL, "lot": "SN9", "qty": 2}, "one unit"),
            (stock.receive, worker, {**receive, "key": "short"}, "no valid request id"),
            (stock.move, worker, {**move, "to_bin": "A0101A"}, "again"),
            (stock.move, worker, {**move, "from_bin": "Z-99-99-Z"}, "is not in use"),
            (stock.pick, worker, {**move, "to_bin": "B-01-01-A"}, "is not one"),
            (stock.adjust, worker, adjust, "Only a supervisor"),
            (stock.adjust, boss, {**adjust, "reason": "  "}, "Give a reason"),
            (stock.reverse, worker, {"movement_id": 10**6}, "There is no movement"),
        ]
        use_case, user, kwargs, message = cases[case]
        kind = Forbidden if message == "Only a supervisor" else StockError
        self.post(use_case, user, (kind, message), **kwargs)

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def balances_equal_the_ledger_and_are_never_negative(self):
        ledger: Counter = Counter()
        rows = db.session.execute(sa.select(StockMovement.__table__)).all()
        for m in rows:
            if m.to_location_id:
                ledger[(m.item_id, m.to_location_id, m.lot_id)] += m.quantity
            if m.from_location_id:
                ledger[(m.item_id, m.from_location_id, m.lot_id)] -= m.quantity
        balances = db.session.execute(sa.select(StockBalance.__table__)).all()
        held = {(b.item_id, b.location_id, b.lot_id): b.quantity for b in balances}
        assert all(q >= 0 for q in held.values())
        assert {k: q for k, q in held.items() if q} == {k: q for k, q in ledger.items() if q}
        assert len(rows) == len(self.movements)

    @invariant()
    def the_database_holds_what_the_model_expects(self):
        assert self.on_hand() == Counter({k: q for k, q in self.expected.items() if q})

    @invariant()
    def the_total_changes_only_by_receipts_adjustments_and_their_reversals(self):
        total = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(StockBalance.quantity), 0))
        )
        assert total == self.total

    @invariant()
    def a_serial_number_is_never_on_hand_twice(self):
        on_hand = self.on_hand()
        for _, lot in STOCK_UNITS[3:]:
            assert sum(q for (s, _, lt), q in on_hand.items() if s == SERIAL and lt == lot) <= 1


def test_any_sequence_of_operations_keeps_the_ledger_and_balances_consistent(app):
    run_state_machine_as_test(
        Ledger, settings=settings(max_examples=60, stateful_step_count=30, deadline=None)
    )


# --- refusals the state machine found, kept as plain examples --------------------------------


def test_picking_from_a_staging_bin_into_itself_is_refused_and_writes_nothing(site):
    stock.receive(site.worker, to_bin="SHIP-1", sku="1042", qty=3, key=key())
    with pytest.raises(StockError, match="That is bin SHIP-1 again"):
        stock.pick(site.worker, from_bin="SHIP-1", to_bin="SHIP-1", sku="1042", qty=1, key=key())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == 1


def test_reversing_a_write_off_of_a_serial_received_again_since_is_refused(site):
    stock.receive(site.worker, to_bin="A-01-01-A", sku=SERIAL, qty=1, lot="SN1", key=key())
    written_off = stock.adjust(
        site.boss, bin="A-01-01-A", sku=SERIAL, delta=-1, reason="lost", lot="SN1", key=key()
    ).movement
    stock.receive(site.worker, to_bin="DOCK-1", sku=SERIAL, qty=1, lot="SN1", key=key())
    with pytest.raises(StockError, match="Serial SN1 of 3001 is already in stock"):
        stock.reverse(site.boss, movement_id=written_off.id, key=key())
    assert stock.on_hand(SERIAL, "A-01-01-A", lot="SN1") == 0
    assert stock.on_hand(SERIAL, "DOCK-1", lot="SN1") == 1
