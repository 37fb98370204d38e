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
    """Start page with the open work on the floor, of the warehouse the user works in."""
    return render_template("home/index.html", summary=summary(current_user))


def summary(user) -> dict:
    """The open work of each flow, counted as its screen lists it: of the user's warehouse
    if they have one set, else of every warehouse. The office's figures are all of it."""
    here = user.warehouse_id

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    def of_here(warehouse_id):
        return sa.true() if here is None else warehouse_id == here

    docks = sa.select(Location.id).where(Location.kind == LocationKind.DOCK,
                                         of_here(Location.warehouse_id))
    said = {
        "receipts": count(Receipt, Receipt.status.in_(OPEN), of_here(Receipt.warehouse_id)),
        "pick_lists": picking.waiting(here),  # the lists to take, as the pick screen counts
        "count_tasks": count(
            CountTask,
            CountTask.status.in_(OPEN),
            CountTask.location_id.in_(sa.select(Location.id).where(of_here(Location.warehouse_id))),
        ),
        "on_dock": count(StockBalance, StockBalance.quantity > 0,
                         StockBalance.location_id.in_(docks)),
        "bins": count(Location, Location.active, of_here(Location.warehouse_id)),
        "items": count(Item, Item.active),
        "warehouse": user.warehouse,
    }
    # What is the worker's own, wherever it is: a count given to them, the list they hold.
    said["my_counts"] = count(
        CountTask, CountTask.status == DocStatus.OPEN, CountTask.assigned_to_id == user.id
    )
    said["my_list"] = picking.held_by(user)
    if has_role(user, Role.SUPERVISOR):
        said["variances"] = len(approvals.queue())  # the queue's own rule: newest counts
        said["picking"] = count(PickList, PickList.status == DocStatus.IN_PROGRESS)
        said["all_count_tasks"] = count(CountTask, CountTask.status.in_(OPEN))
    return said
