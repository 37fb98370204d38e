"""Taking a movement back: a reversal of any movement, and a worker's undo of their own last.

A reversal is a new movement the other way, linked to the one it reverses. Callers reach
these through `stock`, the ledger's public face, which re-exports them.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .balances import put, take, transfer
from .db import db
from .models import MovementKind, StockMovement, Tracking, User, utcnow
from .movements import Posted, already_posted, posting, record, replay
from .stock_checks import StockError, check_key, serial_not_in_stock


@posting
def reverse(
    user: User, *, movement_id: int, key: str, reason: str = "", device: str = ""
) -> Posted:
    """Undo a movement with a new, linked movement the other way."""
    original = db.session.get(StockMovement, movement_id)
    if original is None:
        raise StockError(f"There is no movement {movement_id}.")
    if original.kind == MovementKind.REVERSE:
        raise StockError("A reversal cannot be reversed; record a new movement instead.")
    already = db.session.scalar(
        sa.select(StockMovement.id).where(StockMovement.reverses_id == original.id)
    )
    if already:
        raise StockError(f"Movement {original.id} was already reversed.")
    item, lot_row = original.item, original.lot
    source, target = original.to_location, original.from_location
    movement = record(
        user,
        key,
        MovementKind.REVERSE,
        item,
        lot_row,
        source,
        target,
        original.quantity,
        device=device,
        reference=original.reference,
        reason=reason or f"reverses movement {original.id}",
        reverses=original,
    )
    if source and target:
        transfer(item, lot_row, source, target, original.quantity)
    elif source:
        take(item, source, lot_row, original.quantity)
    else:
        if item.tracking == Tracking.SERIAL:  # putting back a written-off serial
            serial_not_in_stock(item, lot_row)
        put(item, target, lot_row, original.quantity)
    return Posted([movement])


def undo_last(user: User, *, key: str, device: str = "") -> Posted:
    """Reverse the worker's own most recent movement, within UNDO_MINUTES of making it."""
    check_key(key)
    if prior := already_posted(key):  # the same undo sent again
        return replay(user, prior)
    last = db.session.scalar(
        sa.select(StockMovement)
        .where(StockMovement.user_id == user.id, StockMovement.kind != MovementKind.REVERSE)
        .order_by(StockMovement.id.desc())
        .limit(1)
    )
    if last is None:
        raise StockError("You have no movement to undo.")
    if db.session.scalar(sa.select(StockMovement.id).where(StockMovement.reverses_id == last.id)):
        raise StockError("Your last movement is already undone.")
    window = timedelta(minutes=current_app.config["UNDO_MINUTES"])
    if utcnow() - last.created_at > window:
        raise StockError(
            f"Your last movement ({last.quantity} × {last.item.sku}) is more than "
            f"{current_app.config['UNDO_MINUTES']} minutes old; ask a supervisor to correct it."
        )
    return reverse(user, movement_id=last.id, key=key, device=device, reason="undone by worker")
