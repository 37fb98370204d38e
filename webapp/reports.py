"""Reports for supervisors: the floor now, the ledger, count accuracy, and stock to act on.

Read-only queries that aggregate in SQL and return rows (named tuples) for the templates.
This module holds the floor now and re-exports the others, so callers import them all from
here: the ledger (webapp/reports_ledger.py), count accuracy (webapp/reports_accuracy.py)
and stock to act on (webapp/reports_to_act_on.py).
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from .db import db
from .models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    PickLine,
    PickList,
    Receipt,
    StockMovement,
    User,
    utcnow,
)
from .reports_accuracy import AccuracyRow, accuracy
from .reports_ledger import (
    CSV_HEADER,
    MovementFilter,
    MovementPage,
    movement_rows,
    movements_csv,
    movements_page,
)
from .reports_to_act_on import excess, expiring, low_stock

__all__ = [
    "CSV_HEADER",
    "AccuracyRow",
    "MovementFilter",
    "MovementPage",
    "accuracy",
    "excess",
    "expiring",
    "floor_overview",
    "last_movement_per_user",
    "low_stock",
    "movements_csv",
    "movements_page",
]
# Not re-exported: the ledger's PAGE and CSV_BATCH are read in reports_ledger, so a test
# that changes them must set them there.

OPEN = (DocStatus.OPEN, DocStatus.IN_PROGRESS)



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
    return movement_rows(StockMovement.id.in_(list(latest.values()))).all()
