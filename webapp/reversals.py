"""Taking a movement back: a reversal of any movement, and which movement a worker may undo
(their own last; the floor's undo, in `undo`, keeps its document true as well).

A reversal is a new movement the other way, linked to the one it reverses. Callers reach
these through `stock`, the ledger's public face, which re-exports them.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .balances import put, take, transfer
from .db import db
from .models import MovementKind, StockMovement, Tracking, User, utcnow
from .movements import Posted, describe, posting, record
from .stock_checks import StockError, posting_location, serial_not_in_stock


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
    if target is not None and not (target := posting_location(target.code)).active:
        raise StockError(
            f"Bin {target.code} is no longer in use, so nothing can go back into it; "
            "ask a supervisor to correct this."
        )
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


def last_undoable(user: User, movement_id: int | None = None) -> StockMovement:
    """The worker's own most recent movement, if they may still undo it: made within
    UNDO_MINUTES and not undone yet. `movement_id` is the one their screen offers to undo:
    a screen left open while they recorded another (on another handheld, say) is refused
    rather than taking back a movement the worker is not looking at."""
    last = db.session.scalar(
        sa.select(StockMovement)
        .where(StockMovement.user_id == user.id, StockMovement.kind != MovementKind.REVERSE)
        .order_by(StockMovement.id.desc())
        .limit(1)
    )
    if last is None:
        raise StockError("You have no movement to undo.")
    if movement_id is not None and movement_id != last.id:
        raise StockError(
            f"You have recorded another movement since ({describe(last)}), and Undo takes "
            "back only your last one; ask a supervisor to correct the earlier one."
        )
    if db.session.scalar(sa.select(StockMovement.id).where(StockMovement.reverses_id == last.id)):
        raise StockError("Your last movement is already undone.")
    window = timedelta(minutes=current_app.config["UNDO_MINUTES"])
    if utcnow() - last.created_at > window:
        raise StockError(
            f"Your last movement ({last.quantity} × {last.item.sku}) is more than "
            f"{current_app.config['UNDO_MINUTES']} minutes old; ask a supervisor to correct it."
        )
    return last
