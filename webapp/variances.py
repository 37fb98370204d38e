"""The variance queue: count lines waiting for a supervisor's decision, each with what the
supervisor needs to decide on it (what the bin holds now, whether stock moved or the bin
was counted again since the count, the bin's last ledger rows), and the zones to filter it
by. Reading only: deciding is in approvals.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from .db import db
from .models import (
    CountLine,
    CountStatus,
    CountTask,
    Item,
    Location,
    Lot,
    MovementKind,
    StockBalance,
    StockMovement,
    User,
)
from .stock import StockError

RECENT = 5  # ledger rows shown per bin for context


@dataclass(frozen=True)
class Recent:
    id: int
    kind: str
    quantity: int
    sku: str
    lot: str
    source: str
    target: str
    user: str
    at: datetime


@dataclass
class Variance:
    """A count line with what a supervisor needs to decide on it."""

    line: CountLine
    task: CountTask
    bin: Location
    item: Item
    lot: Lot | None
    counted_by: str
    on_hand: int  # now, not at count time
    moved: bool  # the item (lot) moved in or out of the bin after the count
    superseded: bool  # the bin was counted again since
    recent: list[Recent] = field(default_factory=list)

    @property
    def units(self) -> int:
        return self.line.variance

    @property
    def value(self) -> Decimal:
        return (self.line.variance * self.item.unit_cost).quantize(Decimal("0.01"))

    @property
    def needs_reason(self) -> bool:
        return abs(self.value) > money("REASON_REQUIRED_VALUE")

    @property
    def label(self) -> str:
        lot = f" lot {self.lot.code}" if self.lot else ""
        return f"{self.bin.code} {self.item.sku}{lot}"


# --- the queue ---------------------------------------------------------------------


def _same_lot(a, b):
    return sa.func.coalesce(a, 0) == sa.func.coalesce(b, 0)


def _facts() -> sa.Select:
    line, task, m = CountLine, CountTask, StockMovement
    counter, newer, newer_task = aliased(User), aliased(CountLine), aliased(CountTask)
    in_bin = sa.or_(m.from_location_id == task.location_id, m.to_location_id == task.location_id)
    on_hand = sa.select(StockBalance.quantity).where(
        StockBalance.location_id == task.location_id,
        StockBalance.item_id == line.item_id,
        _same_lot(StockBalance.lot_id, line.lot_id),
    )
    moved = sa.select(m.id).where(
        m.id > sa.func.coalesce(line.last_movement_id, 0),
        m.item_id == line.item_id,
        _same_lot(m.lot_id, line.lot_id),
        in_bin,
        # This count's own approval is not a movement since the count.
        sa.not_(sa.and_(m.kind == MovementKind.ADJUST, m.reference == task.number)),
    )
    superseded = (
        sa.select(newer.id)
        .join(newer_task, newer.task_id == newer_task.id)
        .where(
            newer.id > line.id,
            newer_task.location_id == task.location_id,
            newer.item_id == line.item_id,
            _same_lot(newer.lot_id, line.lot_id),
        )
    )
    return (
        sa.select(
            line,
            task,
            Location,
            Item,
            Lot,
            sa.func.coalesce(counter.name, ""),
            sa.func.coalesce(on_hand.scalar_subquery(), 0),
            moved.exists(),
            superseded.exists(),
        )
        .join(task, line.task_id == task.id)
        .join(Location, task.location_id == Location.id)
        .join(Item, line.item_id == Item.id)
        .outerjoin(Lot, line.lot_id == Lot.id)
        .outerjoin(counter, task.counted_by_id == counter.id)
        .execution_options(populate_existing=True)
    )


def queue(zone: str | None = None) -> list[Variance]:
    """Variances waiting for a decision, the newest count of each bin, item and lot only,
    largest value first, each with its bin's last few ledger rows."""
    query = _facts().where(CountLine.status == CountStatus.PENDING)
    if zone:
        query = query.where(Location.zone == zone)
    rows = [Variance(*row) for row in db.session.execute(query) if not row[-1]]
    rows.sort(key=lambda v: (-abs(v.value), -abs(v.units), v.line.id))
    recent = _recent({v.bin.id for v in rows})
    for v in rows:
        v.recent = recent.get(v.bin.id, [])
    return rows


def zones() -> list[str]:
    """The zones there are bins in, for the filter."""
    query = sa.select(Location.zone).where(Location.zone != "").distinct().order_by(Location.zone)
    return list(db.session.scalars(query))


def _recent(bin_ids: set[int]) -> dict[int, list[Recent]]:
    """The last RECENT ledger rows in or out of each bin, in one query."""
    if not bin_ids:
        return {}
    m = StockMovement
    ends = sa.union_all(
        sa.select(m.id.label("mid"), m.from_location_id.label("loc")).where(
            m.from_location_id.in_(bin_ids)
        ),
        sa.select(m.id, m.to_location_id).where(m.to_location_id.in_(bin_ids)),
    ).subquery()
    n = sa.func.row_number().over(partition_by=ends.c.loc, order_by=ends.c.mid.desc())
    ranked = sa.select(ends.c.mid, ends.c.loc, n.label("n")).subquery()
    source, target = aliased(Location), aliased(Location)
    query = (
        sa.select(ranked.c.loc, m.id, m.kind, m.quantity, Item.sku, Lot.code, source.code)
        .add_columns(target.code, User.name, m.created_at)
        .select_from(ranked)
        .join(m, m.id == ranked.c.mid)
        .join(Item, m.item_id == Item.id)
        .outerjoin(Lot, m.lot_id == Lot.id)
        .outerjoin(source, m.from_location_id == source.id)
        .outerjoin(target, m.to_location_id == target.id)
        .join(User, m.user_id == User.id)
        .where(ranked.c.n <= RECENT)
        .order_by(ranked.c.loc, m.id.desc())
    )
    found: dict[int, list[Recent]] = {}
    for loc, id_, kind, qty, sku, lot, src, dst, user, at in db.session.execute(query):
        row = Recent(id_, kind.value, qty, sku, lot or "", src or "", dst or "", user, at)
        found.setdefault(loc, []).append(row)
    return found


def variance(line_id: int) -> Variance:
    """One count line, whatever its status, with its facts (no recent rows)."""
    row = db.session.execute(_facts().where(CountLine.id == line_id)).first()
    if row is None:
        raise StockError(f"There is no count line {line_id}.")
    return Variance(*row)


def money(setting: str) -> Decimal:
    """A money setting (a threshold in the currency) as an exact Decimal."""
    return Decimal(str(current_app.config[setting]))
