"""Count tasks: the open ones in walking order, the one a worker may count, raising one
for a bin a short pick left in doubt, and raising cycle counts for bins with stock not
counted lately."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from . import audit
from .db import db, transactional
from .masterdata_documents import number_taken
from .models import (
    CountTask,
    DocStatus,
    Item,
    Location,
    LocationKind,
    Role,
    StockBalance,
    User,
    utcnow,
)
from .stock import StockError

COUNTABLE = (LocationKind.PICK, LocationKind.STORAGE)


def new_number(raised_by: str, location_id: int) -> str:
    """A new count task's number, which is also its barcode (0-9 and A-Z): who raised it
    ("CT" the office, "CS" a short pick, "CC" the cycle schedule, "RC" a supervisor's
    recount), the day and the bin.
    A scan finds a document by its number alone, so a number any document already has
    (a second task for the bin that day, a receipt typed with such a number) gets N2, N3..."""
    number = base = f"{raised_by}{utcnow():%y%m%d}{location_id:05d}"
    n = 1
    while number_taken(number):
        n += 1
        number = f"{base}N{n}"
    return number


def lock_bins(location_ids: list[int]) -> None:
    """Lock the bins' rows before looking for their open count tasks, so that two raising
    a task for one bin at once raise one: the second waits, then finds the first one's.
    (NO KEY UPDATE: movements into and out of the bins, which only reference the rows, go
    on meanwhile. SQLite's write transactions already run one at a time.)"""
    db.session.execute(
        sa.select(Location.id)
        .where(Location.id.in_(location_ids))
        .order_by(Location.id)  # one order for every locker: no deadlock between two
        .with_for_update(key_share=True)
    )


@transactional
def raise_short_pick_count(user: User, location: Location) -> CountTask:
    """The bin's open count task (whoever raised it, a recount staying a recount), or a new
    one, now holding the bin from picking until it is counted. Two short picks in one bin
    at once raise one task (the bin is locked first)."""
    lock_bins([location.id])
    task = db.session.scalar(
        sa.select(CountTask)
        .where(CountTask.location_id == location.id, CountTask.status == DocStatus.OPEN)
        .order_by(CountTask.id)
        .limit(1)
    )
    if task is None:
        task = CountTask(
            number=new_number("CS", location.id),
            location_id=location.id,
            source="short_pick",
            created_by_id=user.id,
        )
        db.session.add(task)
    task.holds_picking = True
    return task


def open_tasks(
    limit: int = 50, zone: str | None = None, warehouse_id: int | None = None
) -> list[CountTask]:
    """Open count tasks (the first fifty; in `zone` or one warehouse only, if given): first
    the bins picking waits for (a short pick's), then those given to a worker (never cut
    off by the limit, however many cycle counts are open), then in walking order; each
    with its bin and whom it is for, if anyone."""
    where = [CountTask.status == DocStatus.OPEN]
    if zone:
        where.append(Location.zone == zone)
    if warehouse_id is not None:
        where.append(Location.warehouse_id == warehouse_id)
    return list(
        db.session.scalars(
            sa.select(CountTask)
            .join(Location)
            .where(*where)
            .options(sa.orm.contains_eager(CountTask.location),
                     sa.orm.joinedload(CountTask.assigned_to))
            .order_by(CountTask.holds_picking.desc(), CountTask.assigned_to_id.is_(None),
                      Location.sequence, Location.code, CountTask.id)
            .limit(limit)
        )
    )


def task_for(user: User, number: str, lock: bool = False) -> CountTask:
    """The count task `number`, refused if there is none or it is another worker's. With
    `lock`, its row is locked and read afresh: two workers finishing it at once then
    record it once, the second told it is done (PostgreSQL; SQLite's write transaction
    holds the whole database)."""
    query = sa.select(CountTask).where(CountTask.number == number)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    task = db.session.scalar(query)
    if task is None:
        raise StockError(f"There is no count task {number}.")
    if task.assigned_to_id not in (None, user.id):
        holder = db.session.get(User, task.assigned_to_id)  # by the id just read afresh
        raise StockError(
            f"Count {number} is for {holder.name}; take one from the list, or ask a "
            "supervisor to give it to you."
        )
    return task


def no_longer_open(task: CountTask, counted: bool = False) -> str:
    """Why a count task cannot be counted now, for the worker who scanned it or was
    counting it (`counted`), and what to do instead."""
    if task.status == DocStatus.CANCELLED:
        why = "was cancelled in the office"
    else:  # closed: recording a count is the only way a task closes
        why = f"was counted by {db.session.get(User, task.counted_by_id).name}"
    lost = "; nothing you counted was recorded" if counted else ""
    return f"Count {task.number} {why}{lost}. Scan another task or its bin."


@dataclass
class Given:
    task: CountTask
    to: User | None  # None: any worker
    message: str


@transactional
def give(user: User, number: str, *, to_id: int | None, reason: str = "") -> Given:
    """A supervisor gives an open count task to another worker (`to_id`), or to any worker
    (None): the one it was for is off shift, or a bin picking waits for needs counting now.
    A recount goes to a named worker, never to who counted the bin last."""
    task = db.session.scalar(
        sa.select(CountTask)
        .where(CountTask.number == number, CountTask.status == DocStatus.OPEN)
        .with_for_update()
        .execution_options(populate_existing=True)  # as it is now, not as first read
    )
    if task is None:
        raise StockError(f"There is no open count task {number[:40]}.")
    to = db.session.get(User, to_id) if to_id is not None else None
    if to_id is not None and to is None:
        raise StockError("Choose a worker from the list.")
    if to is not None and not to.active:
        raise StockError(f"{to.name} is switched off: choose another.")
    if task.source == "recount":
        if to is None:
            raise StockError("A recount goes to a named worker: choose one.")
        last = last_counter(task.location_id)
        if last is not None and last.id == to.id:
            raise StockError(
                f"{to.name} counted {task.location.code} last: a recount goes to another worker."
            )
    before = task.assigned_to.username if task.assigned_to else None
    audit.record(user, "give", "count_task", task.id, {"assigned_to": before},
                 {"assigned_to": to.username if to else None}, reason)
    task.assigned_to_id = to_id
    whom = to.name if to else "any worker"
    return Given(task, to, f"{task.number} ({task.location.code}) is for {whom} now.")


def counters() -> list[User]:
    """Who a task can be given to: the active users of the floor, by name."""
    return list(db.session.scalars(
        sa.select(User)
        .where(User.active, User.role.in_([Role.WORKER, Role.SUPERVISOR]))
        .order_by(User.name)
    ))


def last_counter(location_id: int) -> User | None:
    """Who counted the bin last, if anyone has."""
    return db.session.scalar(
        sa.select(User)
        .join(CountTask, CountTask.counted_by_id == User.id)
        .where(CountTask.location_id == location_id, CountTask.counted_at.is_not(None))
        .order_by(CountTask.counted_at.desc(), CountTask.id.desc())
        .limit(1)
    )


@transactional
def schedule_cycle_counts(every_days: int | None = None) -> list[CountTask]:
    """Raise a count task for every bin with stock not counted within its interval: the
    fifth of bins holding the most value every quarter interval, the rest every interval."""
    every = every_days or current_app.config["CYCLE_COUNT_DAYS"]
    value = sa.func.sum(StockBalance.quantity * Item.unit_cost)
    bins = db.session.execute(
        sa.select(Location.id, value.label("value"))
        .join(StockBalance, StockBalance.location_id == Location.id)
        .join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.quantity > 0, Location.kind.in_(COUNTABLE), Location.active)
        .group_by(Location.id)
        .order_by(value.desc())
    ).all()
    last_counted = dict(
        db.session.execute(
            sa.select(CountTask.location_id, sa.func.max(CountTask.counted_at)).group_by(
                CountTask.location_id
            )
        ).all()
    )
    now, top = utcnow(), max(1, len(bins) // 5)
    due = []
    for rank, (location_id, _) in enumerate(bins):
        interval = timedelta(days=every / 4 if rank < top else every)
        last = last_counted.get(location_id)
        if not (last and now - last < interval):
            due.append(location_id)
    # Locked before asking which have a task open: a second run at the same moment (two
    # hosts' cron jobs) waits, then finds this one's tasks rather than numbering its own
    # the same.
    lock_bins(due)
    busy = set(
        db.session.scalars(
            sa.select(CountTask.location_id).where(CountTask.status == DocStatus.OPEN)
        )
    )
    created = []
    for location_id in due:
        if location_id in busy:
            continue
        task = CountTask(
            number=new_number("CC", location_id), location_id=location_id, source="cycle"
        )
        db.session.add(task)
        created.append(task)
    return created
