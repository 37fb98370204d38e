"""The count accuracy report: how many counted bins matched, and the variance, by zone,
by ISO week and overall."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from .clock import utc_midnight
from .db import db
from .models import CountLine, CountTask, Item, Location

# Accuracy is judged on a bin's first count; a recount (should one be raised with this
# source) would otherwise count the same bin twice, the second time matched.
RECOUNT_SOURCES = ("recount",)



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
