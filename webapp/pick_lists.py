"""Pick lists: taking one (the next waiting, or one by its barcode, never one another took),
what is left on it and which bin to pick each line from, picking against it, and settling
it: recording short what no bin holds and closing it when nothing is left. The
scan-by-scan flow is picking's.

Picking against a list and settling it both lock the list's row first (PostgreSQL; a
SQLite write transaction holds the whole database), so what is left on it is read where
it is written: a worker with the list open on two handhelds cannot pick a line twice, and
a list settling reads what was picked and what the bins hold after a pick in flight,
never between its movement and its balances (which would record short what was picked).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from . import audit, stock
from .db import db, transactional
from .models import (
    CountTask,
    DocStatus,
    Location,
    LocationKind,
    Lot,
    MovementKind,
    PickLine,
    PickList,
    StockBalance,
    StockMovement,
    User,
    utcnow,
)
from .movements import posting
from .stock import StockError

PICKABLE = (LocationKind.PICK, LocationKind.STORAGE)


@dataclass(frozen=True)
class Task:
    """Go to this bin and pick this many of the line's item (from this lot)."""

    line: PickLine
    location: Location
    lot: Lot | None
    qty: int
    # Lots of the item in that bin, expired ones too: the worker may reach for any of them,
    # so with more than one the lot taken is checked, not assumed.
    lots_here: int = 1


@dataclass(frozen=True)
class Progress:
    """Where a pick list stands: the next bin for each open line (walking order), the lines
    no bin can fill, and the units picked per item. Read once per scan and passed along."""

    pick_list: PickList
    found: list[Task]
    unfillable: list[tuple[PickLine, int]]
    picked: dict[int, int]


def progress(pick_list: PickList) -> Progress:
    picked = stock.posted_by_item(pick_list.number, MovementKind.PICK)
    return Progress(pick_list, *tasks(pick_list, picked), picked)


def _outstanding(pick_list: PickList, picked: dict[int, int]) -> list[tuple[PickLine, int]]:
    """Each line with what is still to pick: ordered, less picked, less recorded short."""
    picked = dict(picked)  # spent line by line below
    rows = []
    for line in pick_list.lines:
        done = min(picked.get(line.item_id, 0), line.ordered_qty - line.short_qty)
        picked[line.item_id] = picked.get(line.item_id, 0) - done
        rows.append((line, line.ordered_qty - line.short_qty - done))
    return rows


# Built once (every pick scan asks it): where the items are, first expiry first out, then in
# walking order; never in bins waiting for a count after a short pick. Lots past their
# expiry date come too (first): never picked, but counted among the lots in their bin.
_PICKABLE_STOCK = (
    sa.select(StockBalance.item_id, Location, Lot, StockBalance.quantity)
    .join(Location, Location.id == StockBalance.location_id)
    .outerjoin(Lot, Lot.id == StockBalance.lot_id)
    .where(
        StockBalance.item_id.in_(sa.bindparam("items", expanding=True)),
        StockBalance.quantity > 0,
        Location.kind.in_(PICKABLE),
        Location.active,
        Location.warehouse_id == sa.bindparam("warehouse"),
        Location.id.not_in(
            sa.select(CountTask.location_id).where(
                CountTask.holds_picking, CountTask.status == DocStatus.OPEN
            )
        ),
    )
    .order_by(Lot.expiry.is_(None), Lot.expiry, Location.sequence)
)


def tasks(pick_list: PickList, picked: dict[int, int]) -> tuple[list[Task], list]:
    """The next bin for every open line (walking order), and the lines no bin can fill."""
    open_lines = [(line, left) for line, left in _outstanding(pick_list, picked) if left > 0]
    if not open_lines:
        return [], []
    params = {"items": list({line.item_id for line, _ in open_lines}),
              "warehouse": pick_list.warehouse_id}
    today = date.today()
    first, lots_in = {}, Counter()  # the item's first pickable row; lots per (item, bin)
    for row in db.session.execute(_PICKABLE_STOCK, params):
        item_id, location, lot, _ = row
        lots_in[item_id, location.id] += 1
        if item_id not in first and not (lot and lot.expiry and lot.expiry < today):
            first[item_id] = row
    found, unfillable = [], []
    for line, left in open_lines:
        if line.item_id not in first:
            unfillable.append((line, left))
            continue
        _, location, lot, qty = first[line.item_id]
        found.append(Task(line, location, lot, min(left, qty), lots_in[line.item_id, location.id]))
    found.sort(key=lambda t: (t.location.sequence, t.location.code))
    return found, unfillable


@transactional
def take_next(user: User) -> PickList:
    """The worker's list in progress, else the oldest open list: never one another took."""
    _one_take_at_a_time(user)
    mine = db.session.scalar(
        sa.select(PickList).where(
            PickList.assigned_to_id == user.id, PickList.status == DocStatus.IN_PROGRESS
        )
    )
    if mine:
        return mine
    for _ in range(5):
        oldest = (
            _waiting(user.warehouse_id)
            .order_by(PickList.created_at, PickList.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL: skip a list being taken
        )
        list_id = db.session.scalar(oldest)
        if list_id is None:
            where = f" in {user.warehouse.code}" if user.warehouse_id else ""
            raise StockError(f"No pick lists are waiting{where}.")
        if _claim(user, list_id):
            return db.session.get(PickList, list_id)
    raise StockError("Others are taking lists at the same moment: press Take next again.")


def _waiting(warehouse_id: int | None):
    """The open lists nobody holds, of one warehouse if given."""
    query = sa.select(PickList.id).where(PickList.status == DocStatus.OPEN)
    if warehouse_id is not None:
        query = query.where(PickList.warehouse_id == warehouse_id)
    return query


def waiting(warehouse_id: int | None = None) -> int:
    """How many lists there are to take (those held are not), of one warehouse if given."""
    lists = _waiting(warehouse_id).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(lists))


def held_by(user: User) -> str | None:
    """The number of the list the worker holds (the first taken, should they hold two)."""
    return db.session.scalar(
        sa.select(PickList.number)
        .where(PickList.assigned_to_id == user.id, PickList.status == DocStatus.IN_PROGRESS)
        .order_by(PickList.assigned_at, PickList.id)
        .limit(1)
    )


@transactional
def take(user: User, number: str) -> PickList:
    """A list chosen by scanning its barcode: open, or already this worker's."""
    pick_list = db.session.scalar(sa.select(PickList).where(PickList.number == number))
    if pick_list is None:
        raise StockError(f"There is no pick list {number}.")
    if pick_list.status == DocStatus.IN_PROGRESS and pick_list.assigned_to_id == user.id:
        return pick_list
    if pick_list.status in (DocStatus.CLOSED, DocStatus.CANCELLED):
        ended = "is closed" if pick_list.status == DocStatus.CLOSED else "was cancelled"
        raise StockError(f"Pick list {number} {ended}: press Take next for another.")
    _one_take_at_a_time(user)
    held = held_by(user)
    if held is not None:  # one list at a time: a second would sit held and unpicked
        raise StockError(f"You hold {held}: pick it, or hand it back, before taking {number}.")
    if not _claim(user, pick_list.id):
        db.session.refresh(pick_list)
        who = pick_list.assigned_to.name if pick_list.assigned_to else "someone else"
        raise StockError(
            f"Pick list {number} is being picked by {who}; a supervisor can hand it back."
        )
    db.session.refresh(pick_list)
    return pick_list


def _one_take_at_a_time(user: User) -> None:
    """Lock the worker's row, so that two of their handhelds taking a list at once take one
    after the other, the second finding the list the first took. (NO KEY UPDATE: their
    movements, which only reference the row, go on. SQLite's writes already queue.)"""
    db.session.execute(
        sa.select(User.id).where(User.id == user.id).with_for_update(key_share=True)
    )


def _claim(user: User, list_id: int) -> bool:
    claimed = db.session.execute(
        sa.update(PickList)
        .where(PickList.id == list_id, PickList.status == DocStatus.OPEN)
        .values(status=DocStatus.IN_PROGRESS, assigned_to_id=user.id, assigned_at=utcnow())
    )
    return claimed.rowcount == 1


@dataclass(frozen=True)
class UnderWay:
    """A list a worker holds: who, since when, and how far they got."""

    number: str
    picker: User
    since: datetime
    picked: int
    ordered: int
    last_pick: datetime | None


def under_way() -> list[UnderWay]:
    """The lists workers hold, oldest taken first: one left by someone who went home or
    whose handheld broke waits here for a supervisor to hand it back."""
    lists = db.session.scalars(
        sa.select(PickList)
        .where(PickList.status == DocStatus.IN_PROGRESS)
        .options(sa.orm.selectinload(PickList.lines), sa.orm.joinedload(PickList.assigned_to))
        .order_by(PickList.assigned_at, PickList.id)
    ).all()
    picks = {
        reference: (units, last)
        for reference, units, last in db.session.execute(
            sa.select(StockMovement.reference, sa.func.sum(StockMovement.quantity),
                      sa.func.max(StockMovement.created_at))
            .where(StockMovement.kind == MovementKind.PICK,
                   StockMovement.reference.in_([p.number for p in lists]))
            .group_by(StockMovement.reference)
        )
    } if lists else {}
    return [
        UnderWay(
            p.number,
            p.assigned_to,
            p.assigned_at,
            picks.get(p.number, (0, None))[0] or 0,
            sum(line.ordered_qty for line in p.lines),
            picks.get(p.number, (0, None))[1],
        )
        for p in lists
    ]


@transactional
def hand_back(user: User, number: str, *, picker_id: int, reason: str = "") -> PickList:
    """Take a list from the worker holding it and put it back in the queue: what they picked
    stays picked, the next worker to take it is led to the rest. `picker_id` is who the
    supervisor saw holding it, so a list taken over meanwhile is never taken from its new
    picker."""
    pick_list = db.session.scalar(
        sa.select(PickList)
        .where(PickList.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)  # as it is now, not as first read
    )
    if pick_list is None or pick_list.status != DocStatus.IN_PROGRESS:
        raise StockError(f"{number} is not a pick list under way.")
    if pick_list.assigned_to_id != picker_id:
        seen = db.session.get(User, picker_id)
        raise StockError(
            f"{number} is being picked by {pick_list.assigned_to.name} now, not by "
            f"{seen.name if seen else 'the worker shown'}: nothing was changed."
        )
    audit.record(
        user,
        "hand_back",
        "pick_list",
        pick_list.id,
        {"status": pick_list.status, "assigned_to": pick_list.assigned_to.username},
        {"status": DocStatus.OPEN, "assigned_to": None},
        reason,
    )
    pick_list.status, pick_list.assigned_to_id, pick_list.assigned_at = DocStatus.OPEN, None, None
    return pick_list


def _locked(number: str) -> PickList | None:
    """The list, its row locked FOR NO KEY UPDATE until commit, with its lines read afresh."""
    return db.session.scalar(
        sa.select(PickList)
        .where(PickList.number == number)
        .with_for_update(key_share=True)
        .options(sa.orm.selectinload(PickList.lines))
        .execution_options(populate_existing=True)
    )


@posting
def pick_on_list(
    user: User, number: str, *, from_bin: str, sku: str, qty, key: str, lot=None, **recorded
) -> stock.Posted:
    """Pick toward a list in progress: never more of an item than the list still asks for."""
    qty = stock.parse_quantity(qty)
    pick_list = _locked(number)
    if pick_list is None:
        raise StockError(f"There is no pick list {number}.")
    if pick_list.assigned_to_id != user.id:
        raise StockError(f"Pick list {number} is not yours to pick; take a list first.")
    if pick_list.status != DocStatus.IN_PROGRESS:
        raise StockError(f"Pick list {number} is closed: nothing is left to pick on it.")
    item = stock.find_item(sku)
    picked = stock.posted_by_item(number, MovementKind.PICK)
    left = sum(n for line, n in _outstanding(pick_list, picked) if line.item_id == item.id)
    if qty > left:
        raise StockError(
            f"{number} has {left} of {item.sku} left to pick, not {qty}: "
            "it was picked meanwhile, maybe on another handheld."
        )
    pick_here = stock.pick.__wrapped__  # the ledger's pick, in this posting's transaction
    return pick_here(
        user,
        from_bin=from_bin,
        to_bin=staging_for(pick_list).code,
        sku=sku,
        qty=qty,
        lot=lot,
        key=key,
        reference=number,
        **recorded,
    )


def reopen_for_undo(movement) -> str:
    """Undoing a pick that finished its list opens the list again for its worker. The list's
    number if it was reopened, else ""."""
    pick_list = _locked(movement.reference)
    if pick_list is None or pick_list.status != DocStatus.CLOSED:
        return ""
    pick_list.status, pick_list.closed_at = DocStatus.IN_PROGRESS, None
    return pick_list.number


@transactional
def settle(pick_list: PickList) -> Progress:
    """Record as short what no bin can fill, and close the list when nothing is left."""
    pick_list = _locked(pick_list.number)
    now = progress(pick_list)
    for line, left in now.unfillable:
        line.short_qty += left
    if not now.found and pick_list.status != DocStatus.CLOSED:
        pick_list.status, pick_list.closed_at = DocStatus.CLOSED, utcnow()
    return now


def staging_for(pick_list: PickList) -> Location:
    staging = db.session.scalar(
        sa.select(Location)
        .where(
            Location.warehouse_id == pick_list.warehouse_id,
            Location.kind == LocationKind.STAGING,
            Location.active,
        )
        .order_by(Location.sequence, Location.code)
        .limit(1)
    )
    if staging is None:
        raise StockError("This warehouse has no staging location to pick into; tell a supervisor.")
    return staging


def summary(now: Progress) -> list[dict]:
    return [
        {
            "item": line.item,
            "ordered": line.ordered_qty,
            "picked": now.picked.get(line.item_id, 0),
            "short": line.short_qty,
        }
        for line in now.pick_list.lines
    ]
