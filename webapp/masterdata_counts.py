"""Count tasks raised from the office: one per bin, for the bins named, a zone's bins or
every bin holding some items. Cancelling one is masterdata_documents'."""

import re
from dataclasses import dataclass

import sqlalchemy as sa

from . import audit
from .count_tasks import lock_bins, new_number
from .db import db, write_transaction
from .masterdata_documents import DocKind, cancel_document
from .masterdata_forms import Invalid
from .models import CountTask, DocStatus, Item, Location, StockBalance, User

COUNT_TASKS = DocKind("count_task", CountTask, type(None), "")


def _bins_for(by: str, value: str, errors: dict) -> list[Location]:
    words = [w for w in re.split(r"[\s,;]+", (value or "").strip()) if w]
    if not words:
        errors["value"] = "Name the bins, the zone or the items to count."
        return []
    query = sa.select(Location).where(Location.active).order_by(Location.sequence)
    if by == "bin":
        codes = [w.upper() for w in words]
        found = list(db.session.scalars(query.where(Location.code.in_(codes))))
        missing = set(codes) - {loc.code for loc in found}
        if missing:
            errors["value"] = f"No active bin {', '.join(sorted(missing))}."
        return found
    if by == "zone":
        found = list(db.session.scalars(query.where(Location.zone.in_(words))))
        if not found:
            errors["value"] = f"No active bins in zone {', '.join(words)}."
        return found
    if by == "items":
        item_ids = dict(
            db.session.execute(sa.select(Item.sku, Item.id).where(Item.sku.in_(words))).all()
        )
        missing = set(words) - set(item_ids)
        if missing:
            errors["value"] = f"No item {', '.join(sorted(missing))}."
            return []
        holding = sa.select(StockBalance.location_id).where(
            StockBalance.item_id.in_(item_ids.values()), StockBalance.quantity > 0
        )
        found = list(db.session.scalars(query.where(Location.id.in_(holding))))
        if not found:
            errors["value"] = "No bin holds any of these items."
        return found
    errors["by"] = "Count by bin, zone or items."
    return []


@dataclass
class CountsMade:
    created: list[CountTask]
    skipped: list[str]  # bins that already have an open count


def create_count_tasks(user: User, by: str, value: str) -> CountsMade:
    """One count task per bin: the bins named, a zone's bins, or every bin holding any of
    the items. A bin with an open count already gets no second one."""
    errors: dict[str, str] = {}
    with write_transaction() as session:
        bins = _bins_for(by, value, errors)
        if errors:
            raise Invalid(errors)
        lock_bins([location.id for location in bins])  # two supervisors at once: one task
        busy = set(
            session.scalars(
                sa.select(CountTask.location_id).where(CountTask.status == DocStatus.OPEN)
            )
        )
        made = CountsMade([], [])
        for location in bins:
            if location.id in busy:
                made.skipped.append(location.code)
                continue
            task = CountTask(
                number=new_number("CT", location.id),
                location_id=location.id,
                source="manual",
                created_by_id=user.id,
            )
            session.add(task)
            made.created.append(task)
        session.flush()
        for task in made.created:
            audit.record(
                user,
                "create",
                "count_task",
                task.id,
                None,
                {"number": task.number, "bin": task.location.code, "by": by},
            )
    return made


def cancel_count_task(user: User, number: str, reason: str = "") -> CountTask:
    """Cancel the open count task `number` (a count already recorded stands)."""
    task_id = db.session.scalar(sa.select(CountTask.id).where(CountTask.number == number))
    if task_id is None:
        raise Invalid({"form": f"There is no count task {number[:40]}."})
    return cancel_document(user, COUNT_TASKS, task_id, reason)
