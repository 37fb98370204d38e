"""Reports for supervisors: the floor now, the ledger, count accuracy, and stock to act on.

Read-only queries that aggregate in SQL and return rows (named tuples) for the templates.
The ledger may hold millions of movements, so its pages use keyset pagination on the id
(never OFFSET) and its CSV export reads in keyset batches as it streams.
"""

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .db import db
from .inventory import stock_value
from .models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    Item,
    Location,
    LocationKind,
    Lot,
    MovementKind,
    PickLine,
    PickList,
    Receipt,
    StockBalance,
    StockMovement,
    User,
    utcnow,
)
from .movements import movement_ids

OPEN = (DocStatus.OPEN, DocStatus.IN_PROGRESS)
PAGE = 50
CSV_BATCH = 1000
# Picked stock waits in staging to leave; it no longer covers demand.
NOT_AVAILABLE = (LocationKind.STAGING, LocationKind.TRANSIT)
# Accuracy is judged on a bin's first count; a recount (should one be raised with this
# source) would otherwise count the same bin twice, the second time matched.
RECOUNT_SOURCES = ("recount",)


# --- the floor now ---------------------------------------------------------------------


def floor_overview(now: datetime | None = None) -> dict:
    """Open work with counts, pick lists in progress, and who moved stock in the last hour."""
    now = now or utcnow()

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    lines = (
        sa.select(sa.func.count())
        .where(PickLine.pick_list_id == PickList.id)
        .correlate(PickList)
        .scalar_subquery()
    )
    picking = db.session.execute(
        sa.select(PickList.number, PickList.assigned_at, User.name, lines.label("lines"))
        .outerjoin(User, User.id == PickList.assigned_to_id)
        .where(PickList.status == DocStatus.IN_PROGRESS)
        .order_by(PickList.assigned_at, PickList.number)
    ).all()
    return {
        "receipts": count(Receipt, Receipt.status.in_(OPEN)),
        "pick_lists": count(PickList, PickList.status.in_(OPEN)),
        "count_tasks": count(CountTask, CountTask.status.in_(OPEN)),
        "variances": count(CountLine, CountLine.status == CountStatus.PENDING),
        "picking": picking,
        "active": last_movement_per_user(now - timedelta(hours=1)),
    }


def last_movement_per_user(since: datetime) -> list:
    """Each user's latest movement since `since`, newest first, with its device."""
    # The window's movements in time order through the created_at index, grouped here.
    # Grouped in SQL, SQLite scanned the whole ledger through the user index (309 ms on a
    # million movements, bench/big_ledger.py); a max() per user had PostgreSQL scan it
    # backwards for a user with no movements (316 ms).
    recent = db.session.execute(
        sa.select(StockMovement.user_id, StockMovement.id)
        .where(StockMovement.created_at >= since)
        .order_by(StockMovement.created_at, StockMovement.id)
    )
    latest = {user_id: movement_id for user_id, movement_id in recent}
    if not latest:
        return []
    return _movement_rows(StockMovement.id.in_(list(latest.values()))).all()


# --- the ledger ------------------------------------------------------------------------


@dataclass
class MovementFilter:
    sku: str = ""
    bin: str = ""
    user: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None  # inclusive

    @classmethod
    def from_args(cls, args: Mapping) -> "MovementFilter":
        kind = args.get("kind", "").strip().lower()
        return cls(
            sku=args.get("sku", "").strip(),
            bin=args.get("bin", "").strip().upper(),
            user=args.get("user", "").strip().lower(),
            kind=kind if kind in {k.value for k in MovementKind} else "",
            since=_date(args.get("since", "")),
            until=_date(args.get("until", "")),
        )

    def args(self) -> dict:
        """The filter as query arguments, for links and the CSV export."""
        values = {
            "sku": self.sku,
            "bin": self.bin,
            "user": self.user,
            "kind": self.kind,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}


@dataclass
class MovementPage:
    rows: list
    older: int | None = None  # `before` for the next older page
    newer: int | None = None  # `after` for the next newer page
    problem: str = ""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _conditions(f: MovementFilter) -> tuple[list, int | None, str]:
    """The filter as WHERE conditions and a bin id, or a problem naming what is unknown."""
    where = []
    if f.sku:
        item_id = db.session.scalar(sa.select(Item.id).where(Item.sku == f.sku))
        if item_id is None:
            return [], None, f"There is no item {f.sku}."
        where.append(StockMovement.item_id == item_id)
    bin_id = None
    if f.bin:
        bin_id = db.session.scalar(sa.select(Location.id).where(Location.code == f.bin))
        if bin_id is None:
            return [], None, f"There is no bin {f.bin}."
    if f.user:
        user_id = db.session.scalar(sa.select(User.id).where(User.username == f.user))
        if user_id is None:
            return [], None, f"There is no user {f.user}."
        where.append(StockMovement.user_id == user_id)
    if f.kind:
        where.append(StockMovement.kind == MovementKind(f.kind))
    if f.since:
        where.append(StockMovement.created_at >= _midnight(f.since))
    if f.until:
        end = _midnight(f.until + timedelta(days=1))
        where.append(StockMovement.created_at < end)
    return where, bin_id, ""


def _movement_rows(*where, order=None):
    source, target = aliased(Location), aliased(Location)
    return db.session.execute(
        sa.select(
            StockMovement.id,
            StockMovement.created_at,
            StockMovement.kind,
            Item.sku,
            Lot.code.label("lot"),
            source.code.label("from_bin"),
            target.code.label("to_bin"),
            StockMovement.quantity,
            User.username,
            User.name,
            StockMovement.device_id,
            StockMovement.reference,
            StockMovement.reason,
        )
        .join(Item, Item.id == StockMovement.item_id)
        .join(User, User.id == StockMovement.user_id)
        .outerjoin(Lot, Lot.id == StockMovement.lot_id)
        .outerjoin(source, source.id == StockMovement.from_location_id)
        .outerjoin(target, target.id == StockMovement.to_location_id)
        .where(*where)
        .order_by(order if order is not None else StockMovement.id.desc())
    )


def movements_page(
    f: MovementFilter,
    before: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> MovementPage:
    """One page of the ledger, newest first: older than `before`, or newer than `after`."""
    limit = limit or PAGE
    where, bin_id, problem = _conditions(f)
    if problem:
        return MovementPage([], problem=problem)
    backwards = after is not None  # walking towards newer movements
    if backwards:
        keyset = [StockMovement.id > after]
    else:
        keyset = [StockMovement.id < before] if before is not None else []
    # One row more than shown says whether there is a further page that way.
    ids = movement_ids(where + keyset, bin_id, newest_first=not backwards, limit=limit + 1)
    order = StockMovement.id.asc() if backwards else StockMovement.id.desc()
    rows = _movement_rows(StockMovement.id.in_(ids), order=order).fetchmany(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return MovementPage([])
    newest, oldest = rows[0].id, rows[-1].id
    if backwards:
        older = _any(where + [StockMovement.id < oldest], bin_id)
        newer = more
    else:
        older = more
        newer = before is not None and _any(where + [StockMovement.id > newest], bin_id)
    return MovementPage(rows, older=oldest if older else None, newer=newest if newer else None)


def _any(where: list, bin_id: int | None) -> bool:
    ids = movement_ids(where, bin_id, newest_first=True, limit=1)
    return db.session.scalar(sa.select(sa.exists(ids))) or False


CSV_HEADER = [
    "id",
    "time_utc",
    "kind",
    "sku",
    "lot",
    "from_bin",
    "to_bin",
    "quantity",
    "user",
    "device",
    "reference",
    "reason",
]


def movements_csv(f: MovementFilter) -> Iterator[str]:
    """The filtered ledger as CSV text, newest first, read in keyset batches."""
    yield _csv_line(CSV_HEADER)
    where, bin_id, problem = _conditions(f)
    if problem:
        return
    before = None
    while True:
        page = where + ([StockMovement.id < before] if before is not None else [])
        ids = movement_ids(page, bin_id, newest_first=True, limit=CSV_BATCH)
        rows = _movement_rows(StockMovement.id.in_(ids)).fetchmany(CSV_BATCH)
        # The batch's reads end here: a slow download holds no transaction open.
        db.session.rollback()
        for r in rows:
            yield _csv_line(
                [
                    r.id,
                    r.created_at.isoformat(sep=" ", timespec="seconds"),
                    r.kind.value,
                    r.sku,
                    r.lot or "",
                    r.from_bin or "",
                    r.to_bin or "",
                    r.quantity,
                    r.username,
                    r.device_id,
                    r.reference,
                    r.reason,
                ]
            )
        if len(rows) < CSV_BATCH:
            return
        before = rows[-1].id


def _csv_line(values: list) -> str:
    out = io.StringIO()
    # A cell starting with = + - @ is a formula to a spreadsheet: keep typed text as text.
    csv.writer(out).writerow(
        "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values
    )
    return out.getvalue()


# --- count accuracy --------------------------------------------------------------------


def _week_start(column):
    """The Monday of a timestamp's ISO week, as a date or 'YYYY-MM-DD' text."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.date(sa.func.date_trunc("week", column))
    # SQLite 3.40 lacks %V: 'weekday 0' moves to the next Sunday (or stays), -6 days is Monday.
    return sa.func.date(column, "weekday 0", "-6 days")


def accuracy(since: date, until: date | None = None) -> dict:
    """Count accuracy of tasks counted from `since` (to `until`, inclusive): a counted bin
    is accurate when every line matched on its count. Variance in units (absolute) and in
    value (net and absolute), by zone, by ISO week, and overall."""
    where = [
        CountTask.counted_at.is_not(None),
        CountTask.counted_at >= _midnight(since),
        CountTask.source.not_in(RECOUNT_SOURCES),
    ]
    if until is not None:
        where.append(CountTask.counted_at < _midnight(until + timedelta(days=1)))
    diff = CountLine.counted_qty - CountLine.system_qty
    mismatched = sa.case((diff != 0, 1), else_=0)
    # One row per counted bin (task); a bin found empty and counted empty has no lines.
    per_task = (
        sa.select(
            CountTask.id,
            Location.zone,
            _week_start(CountTask.counted_at).label("week"),
            sa.func.coalesce(sa.func.max(mismatched), 0).label("off"),
            sa.func.coalesce(sa.func.sum(sa.func.abs(diff)), 0).label("units"),
            sa.func.coalesce(sa.func.sum(diff * Item.unit_cost), 0).label("net"),
            sa.func.coalesce(sa.func.sum(sa.func.abs(diff) * Item.unit_cost), 0).label("abs"),
        )
        .join(Location, Location.id == CountTask.location_id)
        .outerjoin(CountLine, CountLine.task_id == CountTask.id)
        .outerjoin(Item, Item.id == CountLine.item_id)
        .where(*where)
        # Grouped by the timestamp itself: PostgreSQL would see two date_trunc() calls,
        # each with its own bound 'week', as different expressions.
        .group_by(CountTask.id, Location.zone, CountTask.counted_at)
        .subquery()
    )

    def summed(*group):
        money = sa.Numeric(16, 2)
        return db.session.execute(
            sa.select(
                *group,
                sa.func.count().label("bins"),
                sa.cast(sa.func.sum(1 - per_task.c.off), sa.Integer).label("accurate"),
                sa.cast(sa.func.sum(per_task.c.units), sa.Integer).label("units"),
                sa.cast(sa.func.sum(per_task.c.net), money).label("net_value"),
                sa.cast(sa.func.sum(per_task.c.abs), money).label("abs_value"),
            )
            .group_by(*group)
            .order_by(*group)
        ).all()

    def rows(found, key):
        return [
            AccuracyRow(key(r), r.bins, r.accurate, r.units, r.net_value, r.abs_value)
            for r in found
        ]

    total = summed()
    return {
        "zones": rows(summed(per_task.c.zone), lambda r: r.zone or "(none)"),
        "weeks": rows(summed(per_task.c.week), lambda r: _iso_week(r.week)),
        "total": rows(total, lambda r: "All")[0] if total and total[0].bins else None,
    }


@dataclass
class AccuracyRow:
    label: str
    bins: int
    accurate: int
    units: int
    net_value: object
    abs_value: object

    @property
    def share(self) -> float:
        return self.accurate / self.bins if self.bins else 0.0


def _iso_week(monday) -> str:
    day = monday if isinstance(monday, date) else date.fromisoformat(str(monday)[:10])
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- stock to act on -------------------------------------------------------------------


def _available():
    """Units per item outside staging and transit, as a subquery (item_id, qty)."""
    return (
        sa.select(StockBalance.item_id, sa.func.sum(StockBalance.quantity).label("qty"))
        .join(Location, Location.id == StockBalance.location_id)
        .where(Location.kind.not_in(NOT_AVAILABLE))
        .group_by(StockBalance.item_id)
        .subquery()
    )


def low_stock() -> list:
    """Active items whose stock (outside staging) is below the reorder point or safety
    stock, lowest cover first."""
    held = _available()
    qty = sa.func.coalesce(held.c.qty, 0)
    return db.session.execute(
        sa.select(
            Item.sku,
            Item.description,
            Item.reorder_point,
            Item.safety_stock,
            qty.label("on_hand"),
            (qty < Item.safety_stock).label("below_safety"),
        )
        .outerjoin(held, held.c.item_id == Item.id)
        .where(Item.active, sa.or_(qty < Item.reorder_point, qty < Item.safety_stock))
        .order_by(qty - Item.reorder_point, Item.sku)
    ).all()


def expiring(days: int, today: date | None = None) -> list:
    """Lots on hand expiring within `days` (or already expired), per bin, soonest first."""
    today = today or utcnow().date()
    return db.session.execute(
        sa.select(
            Item.sku,
            Item.description,
            Lot.code.label("lot"),
            Lot.expiry,
            Location.code.label("bin"),
            StockBalance.quantity,
        )
        .join(Lot, Lot.id == StockBalance.lot_id)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(StockBalance.quantity > 0, Lot.expiry <= today + timedelta(days=days))
        .order_by(Lot.expiry, Item.sku, Lot.code, Location.sequence, Location.code)
    ).all()


def excess(days: int, now: datetime | None = None) -> list:
    """Items on hand that have not moved in `days` days, most value first."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    # The latest movement per item through the (item, id) index, not a scan of the ledger.
    last_id = (
        sa.select(sa.func.max(StockMovement.id))
        .where(StockMovement.item_id == Item.id)
        .correlate(Item)
        .scalar_subquery()
    )
    stocked = (
        sa.select(
            Item.id,
            Item.sku,
            Item.description,
            sa.func.sum(StockBalance.quantity).label("units"),
            stock_value().label("value"),
            last_id.label("last_id"),
        )
        .join(StockBalance, StockBalance.item_id == Item.id)
        .where(StockBalance.quantity > 0)
        .group_by(Item.id, Item.sku, Item.description)
        .subquery()
    )
    last = aliased(StockMovement)
    return db.session.execute(
        sa.select(stocked, last.created_at.label("last_moved"))
        .outerjoin(last, last.id == stocked.c.last_id)
        .where(sa.or_(last.created_at.is_(None), last.created_at < cutoff))
        .order_by(stocked.c.value.desc(), stocked.c.sku)
    ).all()
