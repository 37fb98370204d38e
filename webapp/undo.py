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
from .stock_checks import check_key


@dataclass(frozen=True)
class Undone:
    posted: stock.Posted
    reopened: str = ""  # the pick list the undo opened again

    @property
    def message(self) -> str:
        said = f"Undone: {stock.describe(self.posted.movement)}."
        return f"{said} Pick list {self.reopened} is open again." if self.reopened else said


@transactional
def undo_last(user: User, *, key: str, device: str = "", movement_id: int | None = None) -> Undone:
    check_key(key)
    if prior := already_posted(key):  # the same undo sent again
        return Undone(replay(user, prior))
    last = stock.last_undoable(user, movement_id)
    reopened = ""
    if last.reference and last.kind == MovementKind.RECEIVE:
        receipts.refuse_undo_once_closed(last)
    elif last.reference and last.kind == MovementKind.PICK:
        reopened = pick_lists.reopen_for_undo(last)
    posted = stock.reverse(
        user, movement_id=last.id, key=key, device=device, reason="undone by worker"
    )
    return Undone(posted, reopened)
