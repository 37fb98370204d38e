"""Recording a bin's count, then auto-approving the small variances.

The count records what the system held at that moment beside what was counted. No
variance closes the task; a variance waits for a supervisor and posts nothing until
approved.
"""

import sqlalchemy as sa

from . import approvals, stock
from .count_tasks import no_longer_open, task_for
from .db import db, transactional
from .models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    Item,
    Location,
    Lot,
    StockBalance,
    StockMovement,
    Tracking,
    User,
    utcnow,
)
from .stock import StockError


def record(user: User, number: str, counted: dict[tuple[str, str], int]) -> CountTask:
    """Record a bin's count, then approve the variances within the auto-approval thresholds."""
    task = _record(user, number, counted)
    approvals.auto_approve(task)  # issue 4: after the count's own transaction has committed
    return task


@transactional
def _record(user: User, number: str, counted: dict[tuple[str, str], int]) -> CountTask:
    """Record a bin's count: one line per item and lot counted or held by the system."""
    task = task_for(user, number, lock=True)
    if task.status != DocStatus.OPEN:
        raise StockError(no_longer_open(task, counted=True))
    # The bin locked FOR UPDATE: a posting in flight into or out of it (which holds it FOR
    # KEY SHARE) commits first, so the system quantity and the last movement are read
    # after it, never between its movement and its balance; the next waits a moment.
    db.session.execute(
        sa.select(Location.id).where(Location.id == task.location_id).with_for_update()
    )
    held = {
        (item_id, lot_id): qty
        for item_id, lot_id, qty in db.session.execute(
            sa.select(StockBalance.item_id, StockBalance.lot_id, StockBalance.quantity).where(
                StockBalance.location_id == task.location_id, StockBalance.quantity > 0
            )
        )
    }
    last_movement = db.session.scalar(sa.select(sa.func.max(StockMovement.id)))
    found = {}
    for (sku, lot_code), qty in counted.items():
        item = stock.find_item(sku)
        found[(item.id, _lot_id(item, lot_code))] = qty
    for item_id, lot_id in sorted(held.keys() | found.keys(), key=lambda k: (k[0], k[1] or 0)):
        system, count = held.get((item_id, lot_id), 0), found.get((item_id, lot_id), 0)
        task.lines.append(
            CountLine(
                item_id=item_id,
                lot_id=lot_id,
                system_qty=system,
                counted_qty=count,
                status=CountStatus.MATCHED if system == count else CountStatus.PENDING,
                last_movement_id=last_movement,
            )
        )
    task.status, task.counted_by_id, task.counted_at = DocStatus.CLOSED, user.id, utcnow()
    _supersede(task, held.keys() | found.keys())
    return task


def _supersede(task: CountTask, counted: set[tuple[int, int | None]]) -> None:
    """Variances of this bin still waiting, for an item and lot counted again now: the newer
    count is the one to decide on. Only lines still pending change, so a supervisor's
    decision made a moment before stands."""
    waiting = db.session.execute(
        sa.select(CountLine.id, CountLine.item_id, CountLine.lot_id)
        .join(CountTask, CountLine.task_id == CountTask.id)
        .where(
            CountTask.location_id == task.location_id,
            CountTask.id != task.id,
            CountLine.status == CountStatus.PENDING,
        )
    )
    replaced = [line_id for line_id, item_id, lot_id in waiting if (item_id, lot_id) in counted]
    if replaced:
        db.session.execute(
            sa.update(CountLine)
            .where(CountLine.id.in_(replaced), CountLine.status == CountStatus.PENDING)
            .values(status=CountStatus.SUPERSEDED, reason=f"counted again in {task.number}"),
            execution_options={"synchronize_session": False},
        )


def _lot_id(item: Item, lot_code: str) -> int | None:
    if item.tracking == Tracking.NONE:
        return None
    lot = db.session.scalar(sa.select(Lot).where(Lot.item_id == item.id, Lot.code == lot_code))
    if lot is None:  # a lot the system has never seen: counted all the same
        lot = Lot(item_id=item.id, code=lot_code)
        db.session.add(lot)
        db.session.flush()
    return lot.id
