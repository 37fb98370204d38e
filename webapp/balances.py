"""Balance rows: one per item, bin and lot, changed only inside a ledger use case.

Decrements are conditional (`quantity >= n` in the WHERE), so two workers taking the last
units of a bin can never drive it negative, and the table has CHECK (quantity >= 0)."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .db import db
from .models import Item, Location, Lot, StockBalance
from .stock_checks import NotEnoughStock, find_item, find_location

balance = StockBalance.__table__


def _balance_row(item_id: int, location_id: int, lot_id: int | None):
    lot_match = balance.c.lot_id.is_(None) if lot_id is None else balance.c.lot_id == lot_id
    return sa.and_(balance.c.item_id == item_id, balance.c.location_id == location_id, lot_match)


def _row_of(has_lot: bool):
    b = balance.c
    lot = b.lot_id == sa.bindparam("lot") if has_lot else b.lot_id.is_(None)
    return sa.and_(b.item_id == sa.bindparam("item"), b.location_id == sa.bindparam("bin"), lot)


# Built once, for a balance with and without a lot: these run on every scan that posts.
_TAKE = {
    has_lot: sa.update(balance)
    .where(_row_of(has_lot), balance.c.quantity >= sa.bindparam("qty"))
    .values(quantity=balance.c.quantity - sa.bindparam("qty"))
    for has_lot in (False, True)
}
_ADD = {
    has_lot: sa.update(balance)
    .where(_row_of(has_lot))
    .values(quantity=balance.c.quantity + sa.bindparam("qty"))
    for has_lot in (False, True)
}


def _params(item: Item, location: Location, lot: Lot | None, qty: int) -> dict:
    return {"item": item.id, "bin": location.id, "lot": lot and lot.id, "qty": qty}


def take(item: Item, location: Location, lot: Lot | None, qty: int) -> None:
    taken = db.session.execute(_TAKE[lot is not None], _params(item, location, lot, qty))
    if taken.rowcount != 1:
        where = _balance_row(item.id, location.id, lot and lot.id)
        held = db.session.scalar(sa.select(balance.c.quantity).where(where)) or 0
        raise _not_enough(location.code, item.sku, lot and lot.code, held, qty)


def check_can_take(sku: str, bin: str, lot: str | None, qty: int) -> None:
    """Refuse, before any scan posts, a quantity larger than the bin holds now. (The ledger
    checks again as it posts: stock may go meanwhile.)"""
    held = on_hand(sku, bin, lot)
    if qty > held:
        raise _not_enough(bin, sku, lot, held, qty)


def _not_enough(bin: str, sku: str, lot: str | None, held: int, qty: int) -> NotEnoughStock:
    lot_text = f" lot {lot}" if lot else ""
    return NotEnoughStock(f"Bin {bin} holds {held} of {sku}{lot_text}; you tried to take {qty}.")


def put(item: Item, location: Location, lot: Lot | None, qty: int) -> None:
    add, params = _ADD[lot is not None], _params(item, location, lot, qty)
    if db.session.execute(add, params).rowcount:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    row = dict(item_id=item.id, location_id=location.id, lot_id=lot and lot.id, quantity=qty)
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT whether or not it wrote.
    insert = dialect.insert(balance).values(row).on_conflict_do_nothing()
    if db.session.execute(insert.returning(balance.c.id)).first() is None:
        db.session.execute(add, params)  # another transaction created the row a moment ago


def transfer(item: Item, lot: Lot | None, source: Location, target: Location, qty: int):
    # Touch the two balance rows in one fixed order (by bin id) so that opposite moves
    # running at once cannot deadlock on PostgreSQL.
    steps = [(source.id, take, source), (target.id, put, target)]
    for _, step, location in sorted(steps, key=lambda s: s[0]):
        step(item, location, lot, qty)



def on_hand(sku: str, bin: str, lot: str | None = None) -> int:
    """Units of an item (and lot) in a bin now."""
    item, location = find_item(sku), find_location(bin)
    lot_id = None
    if lot:
        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.item_id == item.id, Lot.code == lot))
    return (
        db.session.scalar(
            sa.select(balance.c.quantity).where(_balance_row(item.id, location.id, lot_id))
        )
        or 0
    )
