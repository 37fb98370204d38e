"""Recounts: the count task a rejected variance raises for its bin, one open recount per
bin, given to another worker than the one who counted.
"""

import sqlalchemy as sa

from .count_tasks import lock_bins, new_number
from .db import db
from .models import CountTask, DocStatus, Role, User
from .stock import StockError
from .variances import Variance


def open_recount(v: Variance, user: User, assign_to_id: int | None) -> CountTask:
    """The bin's open recount, or a new one (one per bin, whichever of its lines is rejected,
    by however many supervisors at once: the bin is locked first)."""
    lock_bins([v.bin.id])
    task = db.session.scalar(
        sa.select(CountTask).where(
            CountTask.location_id == v.bin.id,
            CountTask.status == DocStatus.OPEN,
            CountTask.source == "recount",
        )
    )
    if task is not None:
        return task
    if assign_to_id is not None:
        assignee = db.session.get(User, assign_to_id)
        if assignee is None or not assignee.active:
            raise StockError("Choose an active worker for the recount.")
    task = CountTask(
        number=new_number("RC", v.bin.id),
        location_id=v.bin.id,
        source="recount",
        assigned_to_id=assign_to_id or other_worker(v.task.counted_by_id),
        created_by_id=user.id,
    )
    db.session.add(task)
    db.session.flush()
    return task


def other_worker(counted_by_id: int | None) -> int | None:
    """The active worker, other than the one who counted, with the fewest open counts."""
    open_counts = (
        sa.select(sa.func.count(CountTask.id))
        .where(CountTask.assigned_to_id == User.id, CountTask.status == DocStatus.OPEN)
        .scalar_subquery()
    )
    query = sa.select(User.id).where(User.active, User.role == Role.WORKER)
    if counted_by_id is not None:
        query = query.where(User.id != counted_by_id)
    return db.session.scalar(query.order_by(open_counts, User.id).limit(1))
