"""Undo on the floor: the worker's last movement taken back by a reversing movement
(`stock.last_undoable` says which, and whether it still may be), with the document it was
posted against kept true, in one transaction:

- a pick that finished its list opens the list again, so the line is picked anew rather
  than the list standing closed with nothing picked and nothing recorded short;
- a receipt already closed refuses: its closing recorded what arrived line by line, so
  a supervisor corrects it.
"""

from dataclasses import dataclass

from . import pick_lists, receipts, stock
from .db import transactional
from .models import MovementKind, User
from .movements import already_posted, replay
from .stock import StockError
from .stock_checks import check_key


@dataclass(frozen=True)
class Undone:
    posted: stock.Posted
    reopened: str = ""  # the pick list the undo opened again

    @property
    def message(self) -> str:
        first = self.posted.movement
        if len(self.posted.movements) > 1:  # a whole bin, moved back
            said = (
                f"Undone: {len(self.posted.movements)} lines back from "
                f"{first.from_location.code} to {first.to_location.code}."
            )
        else:
            said = f"Undone: {stock.describe(first)}."
        return f"{said} Pick list {self.reopened} is open again." if self.reopened else said


@transactional
def undo_last(user: User, *, key: str, device: str = "", movement_id: int | None = None) -> Undone:
    """Take back the worker's last posting: one movement, or every line of a whole-bin move
    (its lines share a key: KEY, KEY:2 ...), all of them or none."""
    check_key(key)
    if prior := already_posted(key):  # the same undo sent again
        return Undone(replay(user, prior))
    last = stock.last_undoable(user, movement_id)
    reopened = ""
    if last.reference and last.kind == MovementKind.RECEIVE:
        receipts.refuse_undo_once_closed(last)
    elif last.reference and last.kind == MovementKind.PICK:
        reopened = pick_lists.reopen_for_undo(last)
    lines = already_posted(last.idempotency_key.partition(":")[0])[::-1]  # newest first
    posted = stock.reverse(
        user, movement_id=last.id, key=key, device=device, reason="undone by worker"
    )
    reversals = list(posted.movements)
    for n, line in enumerate(lines[1:], start=2):  # the batch's other lines, same transaction
        more = stock.reverse.__wrapped__(
            user, movement_id=line.id, key=f"{key}:{n}", device=device, reason="undone by worker"
        )
        reversals.extend(more.movements)
    return Undone(stock.Posted(reversals), reopened)


def still_offered(user: User, movement_id: int | None) -> tuple[int, str] | None:
    """The movement a screen offered to undo, with a line naming it, if the worker may
    still undo it (a screen opened again, showing it afresh); else None."""
    if movement_id is None:
        return None
    try:
        last = stock.last_undoable(user, movement_id)
    except StockError:
        return None
    lines = already_posted(last.idempotency_key.partition(":")[0])
    if len(lines) > 1:  # a whole bin, said as its move was
        return last.id, (f"everything in {last.from_location.code} ({len(lines)} lines) to "
                         f"{last.to_location.code}")
    return last.id, stock.describe(last)
