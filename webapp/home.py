"""The start page: what there is to work on."""

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from . import approvals, picking
from .auth import has_role
from .db import db
from .models import (
    CountTask,
    DocStatus,
    Item,
    Location,
    LocationKind,
    PickList,
    Receipt,
    Role,
    StockBalance,
)

bp = Blueprint("home", __name__)

OPEN = (DocStatus.OPEN, DocStatus.IN_PROGRESS)


@bp.get("/")
def index():
    """Start page with the open work on the floor."""

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    summary = {
        "receipts": count(Receipt, Receipt.status.in_(OPEN)),
        # The lists there are to take, as the pick screen counts them (not those held).
        "pick_lists": count(PickList, PickList.status == DocStatus.OPEN),
        "count_tasks": count(CountTask, CountTask.status.in_(OPEN)),
        "on_dock": count(
            StockBalance,
            StockBalance.quantity > 0,
            StockBalance.location_id.in_(
                sa.select(Location.id).where(Location.kind == LocationKind.DOCK)
            ),
        ),
        "bins": count(Location, Location.active),
        "items": count(Item, Item.active),
    }
    # What is the worker's own: a count given to them, the pick list they hold.
    summary["my_counts"] = count(
        CountTask, CountTask.status == DocStatus.OPEN, CountTask.assigned_to_id == current_user.id
    )
    summary["my_list"] = picking.held_by(current_user)
    if has_role(current_user, Role.SUPERVISOR):
        summary["variances"] = len(approvals.queue())  # the queue's own rule: newest counts
        summary["picking"] = count(PickList, PickList.status == DocStatus.IN_PROGRESS)
    return render_template("home/index.html", summary=summary)
