"""The count accuracy report: how many counted bins matched, and the variance, by zone,
by ISO week and overall."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from .clock import in_local_zone, utc_midnight
from .db import db
from .models import CountLine, CountTask, Item, Location

# Accuracy is judged on a bin's first count; a recount (should one be raised with this
# source) would otherwise count the same bin twice, the second time matched.
RECOUNT_SOURCES = ("recount",)


def accuracy(since: date, until: date | None = None) -> dict:
    """Count accuracy of tasks counted from `since` (to `until`, inclusive): a counted bin
    is accurate when every line matched on its count. Variance in units (absolute) and in
    value (net and absolute), by zone, by ISO week, and overall."""
    where = [
        CountTask.counted_at.is_not(None),
        CountTask.counted_at >= utc_midnight(since),
        CountTask.source.not_in(RECOUNT_SOURCES),
    ]
    if until is not None:
        where.append(CountTask.counted_at < utc_midnight(until + timedelta(days=1)))
    diff = CountLine.counted_qty - CountLine.system_qty
    mismatched = sa.case((diff != 0, 1), else_=0)
    # One row per counted bin (task); a bin found empty and counted empty has no lines.
    per_task = (
        sa.select(
            CountTask.id,
            Location.zone,
            CountTask.counted_at,
            sa.func.coalesce(sa.func.max(mismatched), 0).label("off"),
            sa.func.coalesce(sa.func.sum(sa.func.abs(diff)), 0).label("units"),
            sa.func.coalesce(sa.func.sum(diff * Item.unit_cost), 0).label("net"),
            sa.func.coalesce(sa.func.sum(sa.func.abs(diff) * Item.unit_cost), 0).label("abs"),
        )
        .join(Location, Location.id == CountTask.location_id)
        .outerjoin(CountLine, CountLine.task_id == CountTask.id)
        .outerjoin(Item, Item.id == CountLine.item_id)
        .where(*where)
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
        "weeks": _by_local_week(db.session.execute(sa.select(per_task)).all()),
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


def _by_local_week(tasks) -> list[AccuracyRow]:
    """The counted bins summed by the ISO week of the day they were counted on in the
    warehouse's zone (a count at 00:30 on Monday in Berlin is 23:30 on Sunday in UTC). Done
    here, not in SQL: the offset to UTC changes with summer time."""
    weeks: dict[tuple[int, int], AccuracyRow] = {}
    cent = Decimal("0.01")
    for t in tasks:
        year, week, _ = in_local_zone(t.counted_at).isocalendar()
        row = weeks.setdefault((year, week), AccuracyRow(f"{year}-W{week:02d}", 0, 0, 0,
                                                          Decimal(0), Decimal(0)))
        row.bins += 1
        row.accurate += 1 - t.off
        row.units += t.units
        row.net_value += Decimal(str(t.net)).quantize(cent)
        row.abs_value += Decimal(str(t.abs)).quantize(cent)
    return [weeks[k] for k in sorted(weeks)]
