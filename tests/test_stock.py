"""The ledger's use cases on both databases: each happy path, each refusal writes nothing."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp import stock
from webapp.db import db
from webapp.models import Lot, MovementKind, StockBalance, StockMovement
from webapp.stock import Forbidden, NotEnoughStock, StockError


def key() -> str:
    return uuid.uuid4().hex


def movements() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


def balances() -> dict:
    rows = db.session.execute(
        sa.select(
            StockBalance.item_id,
            StockBalance.location_id,
            StockBalance.lot_id,
            StockBalance.quantity,
        )
    )
    return {(i, loc, lot): q for i, loc, lot, q in rows if q}


def receive(site, qty=10, sku="1042", to="DOCK-1", **kw):
    return stock.receive(site.worker, to_bin=to, sku=sku, qty=qty, key=key(), **kw)


# --- receive -------------------------------------------------------------------------


def test_receiving_puts_stock_on_the_dock_and_writes_one_movement(site):
    posted = receive(site, 10, reference="PO1001", device="TC52-07")
    m = posted.movement
    assert (m.kind, m.quantity, m.to_location_id, m.from_location_id) == (
        MovementKind.RECEIVE,
        10,
        site.dock.id,
        None,
    )
    assert (m.user_id, m.reference, m.device_id) == (site.worker.id, "PO1001", "TC52-07")
    assert stock.on_hand("1042", "DOCK-1") == 10
    assert movements() == 1


def test_receiving_twice_into_one_bin_adds_up_in_one_balance_row(site):
    receive(site, 4)
    receive(site, 6)
    assert stock.on_hand("1042", "DOCK-1") == 10
    assert len(balances()) == 1


def test_a_bin_is_found_by_printed_code_or_by_barcode(site):
    receive(site, 3, to="A0101A")
    receive(site, 2, to="a-01-01-a")
    assert stock.on_hand("1042", "A-01-01-A") == 5


def test_lot_tracked_receipt_creates_the_lot_with_its_expiry(site):
    receive(site, 5, sku="2001", lot="L42", expiry=site.expiry)
    lot = db.session.scalar(sa.select(Lot).where(Lot.code == "L42"))
    assert lot.expiry == site.expiry
    assert stock.on_hand("2001", "DOCK-1", lot="L42") == 5


@pytest.mark.parametrize(
    "qty, message",
    [
        (0, "at least 1"),
        (-3, "at least 1"),
        ("-3", "at least 1"),
        ("2.5", "not a quantity"),
        ("ten", "not a quantity"),
        ("", "not a quantity"),
        (None, "Enter a quantity"),
        (True, "Enter a quantity"),
        (100_000, "more than 99,999"),
        ("5012345678900", "more than 99,999"),
        ("9" * 5000, "far too long for a quantity"),  # int() alone raises ValueError
        ("1.000", "not a quantity"),  # a thousand, or one?
        ("12.0", "not a quantity"),
    ],
)
def test_a_bad_quantity_is_refused_and_writes_nothing(site, qty, message):
    with pytest.raises(StockError, match=message):
        receive(site, qty)
    assert movements() == 0 and balances() == {}


def test_a_whole_number_typed_as_text_is_accepted(site):
    receive(site, " 7 ")
    assert stock.on_hand("1042", "DOCK-1") == 7


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"to": "NOPE-1"}, "There is no bin “NOPE-1”"),
        ({"to": "Z-99-99-Z"}, "Bin Z-99-99-Z is not in use"),
        ({"sku": "9999"}, "There is no item “9999”"),
        ({"sku": "2001"}, "tracked by lot"),
        ({"sku": "1042", "lot": "L1"}, "not tracked by lot"),
        ({"sku": "3001", "lot": "SN1", "qty": 2}, "one unit per serial"),
    ],
)
def test_a_bad_receipt_is_refused_with_a_clear_message_and_writes_nothing(site, kwargs, message):
    kwargs = {"qty": 1, **kwargs}
    with pytest.raises(StockError, match=message):
        receive(site, **kwargs)
    assert movements() == 0 and balances() == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot)) == 0


def test_a_serial_number_already_in_stock_cannot_be_received_again(site):
    receive(site, 1, sku="3001", lot="SN1")
    with pytest.raises(StockError, match="Serial SN1 of 3001 is already in stock"):
        receive(site, 1, sku="3001", lot="SN1", to="A-01-01-A")
    assert movements() == 1


def test_a_lot_arriving_with_a_different_expiry_is_refused(site):
    receive(site, 5, sku="2001", lot="L42", expiry=site.expiry)
    other = site.expiry + timedelta(days=90)
    with pytest.raises(StockError, match=f"expires {site.expiry}, not {other}"):
        receive(site, 5, sku="2001", lot="L42", expiry=other)
    assert stock.on_hand("2001", "DOCK-1", lot="L42") == 5


# --- idempotency -----------------------------------------------------------------------


def test_the_same_key_twice_returns_the_first_result_and_writes_nothing_new(site):
    k = key()
    first = stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=5, key=k)
    again = stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=5, key=k)
    assert not first.replayed and again.replayed
    assert again.movement.id == first.movement.id
    assert movements() == 1 and stock.on_hand("1042", "DOCK-1") == 5


def test_a_replayed_key_from_another_user_is_refused(site):
    k = key()
    stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=5, key=k)
    with pytest.raises(StockError, match="another user"):
        stock.receive(site.other, to_bin="DOCK-1", sku="1042", qty=5, key=k)
    assert movements() == 1


def test_a_resend_refused_only_because_stock_moved_on_still_answers_what_it_posted(site):
    # An offline queue may replay hours later: the bin it emptied is empty now, and the
    # same call made fresh would be refused. The key says it was posted: answer that.
    receive(site, 4, to="A-01-01-A")
    k = key()
    first = stock.move_bin(site.worker, from_bin="A-01-01-A", to_bin="B-01-01-A", key=k)
    again = stock.move_bin(site.worker, from_bin="A-01-01-A", to_bin="B-01-01-A", key=k)
    assert again.replayed and again.movement.id == first.movement.id
    serial = key()
    stock.receive(site.worker, to_bin="DOCK-1", sku="3001", lot="SN1", qty=1, key=serial)
    again = stock.receive(site.worker, to_bin="DOCK-1", sku="3001", lot="SN1", qty=1, key=serial)
    assert again.replayed
    assert movements() == 3 and stock.on_hand("1042", "B-01-01-A") == 4


@pytest.mark.parametrize("bad", ["", "short", "has space in it", "x" * 65, None, 12345678])
def test_a_missing_or_malformed_key_is_refused(site, bad):
    with pytest.raises(StockError, match="request id"):
        stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=1, key=bad)
    assert movements() == 0


def test_an_inactive_user_cannot_post(site):
    site.worker.active = False
    db.session.commit()
    with pytest.raises(Forbidden):
        receive(site, 1)
    assert movements() == 0


# --- move, move_bin, pick ----------------------------------------------------------


def test_moving_stock_takes_from_one_bin_and_puts_into_another(site):
    receive(site, 10)
    posted = stock.move(
        site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="1042", qty=4, key=key()
    )
    assert posted.movement.kind == MovementKind.MOVE
    assert stock.on_hand("1042", "DOCK-1") == 6
    assert stock.on_hand("1042", "A-01-01-A") == 4


def test_moving_more_than_the_bin_holds_is_refused_and_writes_nothing(site):
    receive(site, 4, to="A-01-02-A")
    before = (movements(), balances())
    with pytest.raises(NotEnoughStock, match="Bin A-01-02-A holds 4 of 1042; you tried to take 6"):
        stock.move(
            site.worker, from_bin="A-01-02-A", to_bin="A-01-01-A", sku="1042", qty=6, key=key()
        )
    assert (movements(), balances()) == before


def test_moving_an_item_the_bin_never_held_says_it_holds_none(site):
    with pytest.raises(NotEnoughStock, match="holds 0 of 1042"):
        stock.move(
            site.worker, from_bin="A-01-02-A", to_bin="A-01-01-A", sku="1042", qty=1, key=key()
        )
    assert movements() == 0 and balances() == {}


def test_moving_to_the_same_bin_is_refused(site):
    receive(site, 4)
    with pytest.raises(StockError, match="scan a different destination"):
        stock.move(site.worker, from_bin="DOCK-1", to_bin="DOCK1", sku="1042", qty=1, key=key())
    assert movements() == 1


def test_moving_a_lot_needs_the_lot_and_moves_only_that_lot(site):
    receive(site, 5, sku="2001", lot="L1", expiry=site.expiry)
    receive(site, 7, sku="2001", lot="L2", expiry=site.expiry)
    with pytest.raises(StockError, match="tracked by lot"):
        stock.move(site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="2001", qty=1, key=key())
    with pytest.raises(StockError, match="Lot L9 of 2001 is not known"):
        stock.move(
            site.worker,
            from_bin="DOCK-1",
            to_bin="A-01-01-A",
            sku="2001",
            qty=1,
            key=key(),
            lot="L9",
        )
    stock.move(
        site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="2001", qty=5, key=key(), lot="L1"
    )
    assert stock.on_hand("2001", "A-01-01-A", lot="L1") == 5
    assert stock.on_hand("2001", "DOCK-1", lot="L2") == 7
    with pytest.raises(NotEnoughStock, match="holds 0 of 2001 lot L1"):
        stock.move(
            site.worker,
            from_bin="DOCK-1",
            to_bin="A-01-01-A",
            sku="2001",
            qty=1,
            key=key(),
            lot="L1",
        )


def test_moving_a_whole_bin_moves_every_item_and_lot(site):
    receive(site, 10)
    receive(site, 5, sku="2001", lot="L1", expiry=site.expiry)
    posted = stock.move_bin(site.worker, from_bin="DOCK-1", to_bin="B-01-01-A", key=key())
    assert len(posted.movements) == 2
    assert stock.on_hand("1042", "B-01-01-A") == 10
    assert stock.on_hand("2001", "B-01-01-A", lot="L1") == 5
    assert stock.on_hand("1042", "DOCK-1") == 0


def test_moving_a_whole_bin_again_with_the_same_key_replays_all_its_movements(site):
    receive(site, 10)
    receive(site, 5, sku="2001", lot="L1", expiry=site.expiry)
    k = key()
    first = stock.move_bin(site.worker, from_bin="DOCK-1", to_bin="B-01-01-A", key=k)
    again = stock.move_bin(site.worker, from_bin="DOCK-1", to_bin="B-01-01-A", key=k)
    assert again.replayed
    assert [m.id for m in again.movements] == [m.id for m in first.movements]
    assert movements() == 4


def test_moving_an_empty_bin_is_refused(site):
    with pytest.raises(StockError, match="Bin A-01-01-A is empty"):
        stock.move_bin(site.worker, from_bin="A-01-01-A", to_bin="B-01-01-A", key=key())


def test_picking_moves_stock_to_staging(site):
    receive(site, 10, to="A-01-01-A")
    stock.pick(
        site.worker,
        from_bin="A-01-01-A",
        to_bin="SHIP-1",
        sku="1042",
        qty=3,
        key=key(),
        reference="PL2001",
    )
    assert stock.on_hand("1042", "A-01-01-A") == 7
    assert stock.on_hand("1042", "SHIP-1") == 3


@pytest.mark.parametrize("post", [
    lambda user: stock.move(user, from_bin="A-01-01-A", to_bin="N-01-01-A", sku="1042", qty=1,
                            key=key()),
    lambda user: stock.move_bin(user, from_bin="A-01-01-A", to_bin="N-01-01-A", key=key()),
    lambda user: stock.pick(user, from_bin="A-01-01-A", to_bin="SHIP-N", sku="1042", qty=1,
                            key=key()),
], ids=["move", "whole bin", "pick"])
def test_stock_never_crosses_to_another_warehouse_by_a_move_or_a_pick(far, post):
    receive(far, 5, to="A-01-01-A")
    before = (movements(), balances())
    with pytest.raises(StockError) as refused:
        post(far.worker)
    assert refused.value.message.endswith(
        "is in warehouse WH2, A-01-01-A in WH1: stock moves within one warehouse."
    )
    assert (movements(), balances()) == before


def test_picking_to_a_bin_that_is_not_staging_is_refused(site):
    receive(site, 10, to="A-01-01-A")
    with pytest.raises(StockError, match="B-01-01-A is not one"):
        stock.pick(
            site.worker, from_bin="A-01-01-A", to_bin="B-01-01-A", sku="1042", qty=3, key=key()
        )
    assert movements() == 1


def test_picking_more_than_the_bin_holds_is_refused_and_writes_nothing(site):
    receive(site, 4, to="A-01-01-A")
    with pytest.raises(NotEnoughStock, match="holds 4 of 1042; you tried to take 6"):
        stock.pick(site.worker, from_bin="A-01-01-A", to_bin="SHIP-1", sku="1042", qty=6, key=key())
    assert stock.on_hand("1042", "A-01-01-A") == 4 and movements() == 1


# --- adjust and reverse ------------------------------------------------------------------


def test_a_supervisor_adjusts_down_and_up_with_a_reason(site):
    receive(site, 10, to="A-01-01-A")
    stock.adjust(site.boss, bin="A-01-01-A", sku="1042", delta=-3, reason="damaged", key=key())
    stock.adjust(site.boss, bin="A-01-01-A", sku="1042", delta="+1", reason="found", key=key())
    assert stock.on_hand("1042", "A-01-01-A") == 8


def test_a_worker_cannot_adjust_stock(site):
    receive(site, 10, to="A-01-01-A")
    with pytest.raises(Forbidden, match="Only a supervisor"):
        stock.adjust(site.worker, bin="A-01-01-A", sku="1042", delta=-3, reason="x", key=key())
    assert stock.on_hand("1042", "A-01-01-A") == 10


def test_an_adjustment_needs_a_reason_and_a_nonzero_delta(site):
    with pytest.raises(StockError, match="reason"):
        stock.adjust(site.boss, bin="A-01-01-A", sku="1042", delta=2, reason=" ", key=key())
    with pytest.raises(StockError, match="at least 1"):
        stock.adjust(site.boss, bin="A-01-01-A", sku="1042", delta=0, reason="x", key=key())
    assert movements() == 0


def test_adjusting_below_zero_is_refused(site):
    receive(site, 2, to="A-01-01-A")
    with pytest.raises(NotEnoughStock, match="holds 2 of 1042; you tried to take 5"):
        stock.adjust(site.boss, bin="A-01-01-A", sku="1042", delta=-5, reason="x", key=key())
    assert stock.on_hand("1042", "A-01-01-A") == 2


def test_reversing_a_move_puts_the_stock_back_with_a_linked_movement(site):
    receive(site, 10)
    moved = stock.move(
        site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="1042", qty=4, key=key()
    ).movement
    back = stock.reverse(site.worker, movement_id=moved.id, key=key()).movement
    assert back.reverses_id == moved.id and back.kind == MovementKind.REVERSE
    assert (back.from_location_id, back.to_location_id) == (site.a1.id, site.dock.id)
    assert stock.on_hand("1042", "DOCK-1") == 10 and stock.on_hand("1042", "A-01-01-A") == 0


def test_a_movement_is_reversed_at_most_once_and_a_reversal_never(site):
    moved = receive(site, 10).movement
    back = stock.reverse(site.worker, movement_id=moved.id, key=key()).movement
    with pytest.raises(StockError, match="already reversed"):
        stock.reverse(site.worker, movement_id=moved.id, key=key())
    with pytest.raises(StockError, match="cannot be reversed"):
        stock.reverse(site.worker, movement_id=back.id, key=key())
    assert stock.on_hand("1042", "DOCK-1") == 0 and movements() == 2


def test_reversing_a_receipt_whose_stock_moved_on_is_refused(site):
    received = receive(site, 10).movement
    stock.move(site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="1042", qty=8, key=key())
    with pytest.raises(NotEnoughStock, match="holds 2 of 1042; you tried to take 10"):
        stock.reverse(site.worker, movement_id=received.id, key=key())
    assert movements() == 2


def test_the_database_itself_refuses_a_negative_balance(site):
    receive(site, 1)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(StockBalance).values(quantity=-1))
        db.session.flush()
    db.session.rollback()


def test_the_database_keeps_one_balance_row_per_item_bin_and_no_lot(site):
    row = dict(item_id=site.widget.id, location_id=site.a1.id, lot_id=None, quantity=1)
    db.session.execute(sa.insert(StockBalance.__table__).values(row))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(StockBalance.__table__).values(row))
    db.session.rollback()


def test_posted_by_item_counts_a_documents_movements_of_one_kind_less_their_reversals(site):
    first = stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=5, key=key(),
                          reference="PO7")
    stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=3, key=key(), reference="PO7")
    stock.receive(site.worker, to_bin="DOCK-1", sku="2001", qty=2, lot="L1",
                  expiry=site.expiry, key=key(), reference="PO7")
    stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=9, key=key(), reference="PO8")
    stock.move(site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="1042", qty=1,
               key=key(), reference="PO7")
    stock.reverse(site.worker, movement_id=first.movement.id, key=key())
    assert stock.posted_by_item("PO7", MovementKind.RECEIVE) == {
        site.widget.id: 3, site.milk.id: 2}
    assert stock.posted_by_item("PO7", MovementKind.MOVE) == {site.widget.id: 1}
    assert stock.posted_by_item("PO9", MovementKind.RECEIVE) == {}
