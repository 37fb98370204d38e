"""The stock ledger: the only way stock changes.

Each use case validates plain values (stock_checks), appends movements (movements) and
changes balances (balances), all in one transaction, or raises StockError with a message
a worker can act on and writes nothing. Decrements are conditional, so two workers taking
the last units of a bin can never drive it negative, on SQLite (one writer) or PostgreSQL
(READ COMMITTED re-checks the WHERE).

Every call carries the client's idempotency key: the same key again returns the first
result (`replayed=True`) and writes nothing, so a double press, a resent request or an
offline queue replayed hours later posts once. A use case that writes several movements
keys them `KEY`, `KEY:2`, `KEY:3` ...
"""

from datetime import date

import sqlalchemy as sa

from .balances import balance, check_can_take, on_hand, put, take, transfer
from .db import db
from .models import (
    Item,
    LocationKind,
    Lot,
    MovementKind,
    Role,
    User,
    Warehouse,
)
from .movements import (
    Posted,
    describe,
    posted_by_item,
    posting,
    record,
    replayed,
)
from .reversals import last_undoable, reverse
from .stock_checks import (
    BIN_BY_BARCODE,
    Forbidden,
    NotEnoughStock,
    StockError,
    active_item,
    active_location,
    active_pair,
    existing_lot,
    find_item,
    find_location,
    incoming_lot,
    lot_word,
    one_warehouse,
    pair_and_item,
    parse_quantity,
)

__all__ = [  # the ledger's public face, for the flows, the office and the tests
    "BIN_BY_BARCODE", "Forbidden", "NotEnoughStock", "Posted", "StockError", "adjust",
    "check_can_take", "describe", "find_item", "find_location", "last_undoable", "lot_word",
    "move",
    "move_bin", "on_hand", "parse_quantity", "pick", "posted_by_item", "receive", "replayed",
    "reverse",
]


@posting
def receive(
    user: User,
    *,
    to_bin: str,
    sku: str,
    qty,
    key: str,
    lot: str | None = None,
    expiry: date | None = None,
    device: str = "",
    reference: str = "",
    reason: str = "",
    warehouse_id: int | None = None,
) -> Posted:
    """Stock arrives into a bin (usually the receiving dock), in a lot where tracked; into
    `warehouse_id`'s bins only, where a document says where it arrives."""
    qty = parse_quantity(qty)
    target = active_location(to_bin)
    if target.kind == LocationKind.TRANSIT:
        raise StockError(f"{target.code} is a transit location; receive into a bin or the dock.")
    if warehouse_id is not None and target.warehouse_id != warehouse_id:
        site = db.session.get(Warehouse, warehouse_id).code
        raise StockError(
            f"{reference or 'This receipt'} arrives at warehouse {site}; {target.code} is in "
            f"{target.warehouse.code}. Scan a bin of {site}, or the dock."
        )
    item = active_item(sku)
    lot_row = incoming_lot(item, lot, expiry, qty)
    movement = record(
        user,
        key,
        MovementKind.RECEIVE,
        item,
        lot_row,
        None,
        target,
        qty,
        device=device,
        reference=reference,
        reason=reason,
    )
    put(item, target, lot_row, qty)
    return Posted([movement])


@posting
def move(
    user: User,
    *,
    from_bin: str,
    to_bin: str,
    sku: str,
    qty,
    key: str,
    lot: str | None = None,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Stock moves from one bin to another (putaway, replenishment, bin to bin)."""
    return _between_bins(MovementKind.MOVE, user, from_bin, to_bin, sku, qty, key, lot,
                         device=device, reference=reference, reason=reason)


def _between_bins(kind, user, from_bin, to_bin, sku, qty, key, lot, **recorded) -> Posted:
    qty = parse_quantity(qty)
    source, target, item = pair_and_item(from_bin, to_bin, sku)
    if source.id == target.id:
        raise StockError(f"That is bin {source.code} again; scan a different destination bin.")
    one_warehouse(source, target)
    if kind == MovementKind.PICK and target.kind != LocationKind.STAGING:
        raise StockError(f"Picked stock goes to a staging location; {target.code} is not one.")
    lot_row = existing_lot(item, lot)
    if kind == MovementKind.PICK and lot_row and lot_row.expiry and lot_row.expiry < date.today():
        raise StockError(
            f"Lot {lot_row.code} of {item.sku} expired on {lot_row.expiry}; expired stock is "
            "not picked. Move it to quarantine, or ask a supervisor."
        )
    movement = record(user, key, kind, item, lot_row, source, target, qty, **recorded)
    transfer(item, lot_row, source, target, qty)
    return Posted([movement])


@posting
def move_bin(
    user: User,
    *,
    from_bin: str,
    to_bin: str,
    key: str,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Everything in one bin moves to another: one movement per item and lot."""
    source, target = active_pair(from_bin, to_bin)
    if source.id == target.id:
        raise StockError(f"That is bin {source.code} again; scan a different destination bin.")
    one_warehouse(source, target)
    rows = db.session.execute(
        sa.select(balance.c.item_id, balance.c.lot_id, balance.c.quantity)
        .where(balance.c.location_id == source.id, balance.c.quantity > 0)
        .order_by(balance.c.item_id, balance.c.lot_id)
    ).all()
    if not rows:
        raise StockError(f"Bin {source.code} is empty; there is nothing to move.")
    movements = []
    for n, (item_id, lot_id, qty) in enumerate(rows, start=1):
        item = db.session.get(Item, item_id)
        lot_row = db.session.get(Lot, lot_id) if lot_id else None
        line_key = key if n == 1 else f"{key}:{n}"
        movements.append(record(user, line_key, MovementKind.MOVE, item, lot_row, source, target,
                                qty, device=device, reference=reference, reason=reason))
        transfer(item, lot_row, source, target, qty)
    return Posted(movements)


@posting
def pick(
    user: User,
    *,
    from_bin: str,
    to_bin: str,
    sku: str,
    qty,
    key: str,
    lot: str | None = None,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Stock is picked from a bin to a staging/shipping location for an order."""
    return _between_bins(MovementKind.PICK, user, from_bin, to_bin, sku, qty, key, lot,
                         device=device, reference=reference, reason=reason)


@posting
def adjust(
    user: User,
    *,
    bin: str,
    sku: str,
    delta,
    reason: str,
    key: str,
    lot: str | None = None,
    expiry: date | None = None,
    device: str = "",
    reference: str = "",
) -> Posted:
    """A supervisor corrects a bin's quantity by `delta` units (a count variance, damage)."""
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("Only a supervisor can adjust stock.")
    text = str(delta).strip()
    negative = text.startswith("-")
    qty = parse_quantity(text.lstrip("+-"))
    if not (reason or "").strip():
        raise StockError("Give a reason for the adjustment.")
    location = active_location(bin)
    item = find_item(sku)
    if negative:
        lot_row = existing_lot(item, lot)
        source, target = location, None
    else:
        lot_row = incoming_lot(item, lot, expiry, qty)
        source, target = None, location
    movement = record(
        user,
        key,
        MovementKind.ADJUST,
        item,
        lot_row,
        source,
        target,
        qty,
        device=device,
        reference=reference,
        reason=reason.strip(),
    )
    if negative:
        take(item, location, lot_row, qty)
    else:
        put(item, location, lot_row, qty)
    return Posted([movement])
