"""Counting: scan the bin, then each item in it (a scan counts one pack; a typed quantity
sets the count of the item last scanned), lots where tracked; then Done, or Bin empty.

The count records what the system held at that moment beside what was counted. No
variance closes the task; a variance waits for a supervisor and posts nothing until
approved. Counts are blind by default: the worker never sees the system quantity.
"""

import json
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from . import approvals, stock
from .db import db, transactional
from .models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    Item,
    Location,
    LocationKind,
    Lot,
    StockBalance,
    StockMovement,
    Tracking,
    User,
    utcnow,
)
from .scan import ScanKind
from .steps import Entry, Step, wrong_kind
from .stock import StockError

COUNTABLE = (LocationKind.PICK, LocationKind.STORAGE)


def open_tasks() -> list[CountTask]:
    """Open count tasks in walking order (the first fifty)."""
    return list(
        db.session.scalars(
            sa.select(CountTask)
            .join(Location)
            .where(CountTask.status == DocStatus.OPEN)
            .order_by(Location.sequence, Location.code)
            .limit(50)
        )
    )


def record(user: User, number: str, counted: dict[tuple[str, str], int]) -> CountTask:
    """Record a bin's count, then approve the variances within the auto-approval thresholds."""
    task = _record(user, number, counted)
    approvals.auto_approve(task)  # issue 4: after the count's own transaction has committed
    return task


@transactional
def _record(user: User, number: str, counted: dict[tuple[str, str], int]) -> CountTask:
    """Record a bin's count: one line per item and lot counted or held by the system."""
    task = _task(user, number)
    if task.status != DocStatus.OPEN:
        raise StockError(f"Count {number} is already done.")
    held = {
        (item_id, lot_id): qty
        for item_id, lot_id, qty in db.session.execute(
            sa.select(StockBalance.item_id, StockBalance.lot_id, StockBalance.quantity).where(
                StockBalance.location_id == task.location_id, StockBalance.quantity > 0
            )
        )
    }
    last_movement = db.session.scalar(sa.select(sa.func.max(StockMovement.id)))
    found = {}
    for (sku, lot_code), qty in counted.items():
        item = stock.find_item(sku)
        found[(item.id, _lot_id(item, lot_code))] = qty
    for item_id, lot_id in sorted(held.keys() | found.keys(), key=lambda k: (k[0], k[1] or 0)):
        system, count = held.get((item_id, lot_id), 0), found.get((item_id, lot_id), 0)
        task.lines.append(
            CountLine(
                item_id=item_id,
                lot_id=lot_id,
                system_qty=system,
                counted_qty=count,
                status=CountStatus.MATCHED if system == count else CountStatus.PENDING,
                last_movement_id=last_movement,
            )
        )
    task.status, task.counted_by_id, task.counted_at = DocStatus.CLOSED, user.id, utcnow()
    _supersede(task, held.keys() | found.keys())
    return task


def _supersede(task: CountTask, counted: set[tuple[int, int | None]]) -> None:
    """Variances of this bin still waiting, for an item and lot counted again now: the newer
    count is the one to decide on. Only lines still pending change, so a supervisor's
    decision made a moment before stands."""
    waiting = db.session.execute(
        sa.select(CountLine.id, CountLine.item_id, CountLine.lot_id)
        .join(CountTask, CountLine.task_id == CountTask.id)
        .where(
            CountTask.location_id == task.location_id,
            CountTask.id != task.id,
            CountLine.status == CountStatus.PENDING,
        )
    )
    replaced = [line_id for line_id, item_id, lot_id in waiting if (item_id, lot_id) in counted]
    if replaced:
        db.session.execute(
            sa.update(CountLine)
            .where(CountLine.id.in_(replaced), CountLine.status == CountStatus.PENDING)
            .values(status=CountStatus.SUPERSEDED, reason=f"counted again in {task.number}"),
            execution_options={"synchronize_session": False},
        )


def _waiting(task: CountTask) -> int:
    return sum(line.status == CountStatus.PENDING for line in task.lines)


def _outcome(task: CountTask) -> str:
    """What the worker hears once the bin is counted."""
    waiting = _waiting(task)
    adjusted = sum(line.status == CountStatus.AUTO_APPROVED for line in task.lines)
    said = [f"Counted {task.location.code}:"]
    if waiting:
        said.append(f"{waiting} difference{'s' * (waiting != 1)} sent to a supervisor.")
    if adjusted:
        said.append(f"{adjusted} small difference{'s' * (adjusted != 1)} adjusted automatically.")
    if not waiting and not adjusted:
        said.append("it matches.")
    return " ".join(said)


def _lot_id(item: Item, lot_code: str) -> int | None:
    if item.tracking == Tracking.NONE:
        return None
    lot = db.session.scalar(sa.select(Lot).where(Lot.item_id == item.id, Lot.code == lot_code))
    if lot is None:  # a lot the system has never seen: counted all the same
        lot = Lot(item_id=item.id, code=lot_code)
        db.session.add(lot)
        db.session.flush()
    return lot.id


def _task(user: User, number: str) -> CountTask:
    task = db.session.scalar(sa.select(CountTask).where(CountTask.number == number))
    if task is None:
        raise StockError(f"There is no count task {number}.")
    if task.assigned_to_id not in (None, user.id):
        raise StockError(f"Count {number} is for another worker; take one from the list.")
    return task


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
    busy = set(
        db.session.scalars(
            sa.select(CountTask.location_id).where(CountTask.status == DocStatus.OPEN)
        )
    )
    now, top = utcnow(), max(1, len(bins) // 5)
    created = []
    for rank, (location_id, _) in enumerate(bins):
        interval = timedelta(days=every / 4 if rank < top else every)
        last = last_counted.get(location_id)
        if location_id in busy or (last and now - last < interval):
            continue
        task = CountTask(
            number=f"CC{now:%y%m%d}{location_id:05d}", location_id=location_id, source="cycle"
        )
        db.session.add(task)
        created.append(task)
    return created


# --- the flow --------------------------------------------------------------------------


def advance(user: User, entry: Entry) -> Step:
    """One scan or button press on the count screen."""
    s = dict(entry.state)
    if entry.action == "cancel":
        return view({}, "Count abandoned; nothing was recorded.", ok=True)
    if not s.get("task"):
        return _choose(user, entry, s)
    task = _task(user, s["task"])
    if task.status != DocStatus.OPEN:
        if task.counted_by_id == user.id:  # Done sent twice: the first one counted
            return view({}).success(f"Already recorded: count {task.number} done.")
        raise StockError(f"Count {task.number} is already done.")
    if not s.get("bin"):
        if not entry.scan.strip():
            return view(s)
        scan = entry.resolved("bin")
        if scan.kind == ScanKind.LOCATION and scan.location.id == task.location_id:
            s["bin"] = task.location.code
            return view(s, f"Counting {task.location.code}.", ok=True)
        if scan.kind == ScanKind.LOCATION:
            return view(s).refuse(
                f"Wrong bin: that is {scan.location.code}. Count {task.location.code}."
            )
        return view(s).refuse(wrong_kind(scan, f"scan bin {task.location.code} first"))
    counts = _counts(s)
    if entry.action in ("done", "empty"):
        if entry.action == "done" and not counts:
            return view(s).refuse("Nothing counted yet: press Bin empty if the bin is empty.")
        if entry.action == "empty" and counts:
            return view(s).refuse("You counted items here: press Done instead.")
        task = record(user, task.number, counts)
        return view({}).warn(_outcome(task)) if _waiting(task) else view({}).success(_outcome(task))
    if entry.action == "qty":
        if not s.get("last"):
            return view(s).refuse("Scan an item first, then type how many.")
        n = entry.typed_qty.strip()
        last = tuple(json.loads(s["last"]))
        counts[last] = 0 if n == "0" else stock.parse_quantity(n)
        return view(_with(s, counts), f"Set to {counts[last]}.", ok=True)
    if not entry.scan.strip():
        return view(s)
    if s.get("pending"):  # a lot-tracked item waits for its lot
        scan = entry.resolved("lot")
        if scan.kind in (ScanKind.LOCATION, ScanKind.DOCUMENT, ScanKind.USER):
            return view(s).refuse(wrong_kind(scan, "scan the lot"))
        sku, units = s.pop("pending").rsplit(":", 1)
        return _add(s, counts, sku, (scan.lot or scan.text).strip()[:40], int(units))
    scan = entry.resolved("item")
    if scan.kind == ScanKind.LOCATION:
        if scan.location.code == s["bin"]:
            return view(s, f"Still counting {s['bin']}.", ok=None)
        return view(s).refuse(f"Finish {s['bin']} first: press Done.")
    if scan.kind != ScanKind.ITEM:
        return view(s).refuse(wrong_kind(scan, "scan an item in the bin"))
    if scan.item.tracking != Tracking.NONE and not scan.lot:
        s["pending"] = f"{scan.item.sku}:{scan.units}"
        return view(s, f"{scan.item.sku}: scan its lot.", ok=None)
    return _add(s, counts, scan.item.sku, scan.lot or "", scan.units)


def _choose(user: User, entry: Entry, s: dict) -> Step:
    if not entry.scan.strip():
        return view(s)
    scan = entry.resolved("document")
    if scan.kind == ScanKind.DOCUMENT and isinstance(scan.document, CountTask):
        task = _task(user, scan.document.number)
        if task.status != DocStatus.OPEN:
            raise StockError(f"Count {task.number} is already done.")
        return view({"task": task.number}, f"Count {task.number}.", ok=True)
    if scan.kind == ScanKind.LOCATION:  # scanning the bin picks its task and confirms it
        task = db.session.scalar(
            sa.select(CountTask).where(
                CountTask.location_id == scan.location.id, CountTask.status == DocStatus.OPEN
            )
        )
        if task is None:
            return view(s).refuse(f"Bin {scan.location.code} has no count task.")
        _task(user, task.number)
        return view(
            {"task": task.number, "bin": scan.location.code},
            f"Counting {scan.location.code}.",
            ok=True,
        )
    return view(s).refuse(wrong_kind(scan, "scan a count task or its bin"))


def _add(s: dict, counts: dict, sku: str, lot: str, units: int) -> Step:
    key = (sku, lot)
    counts[key] = counts.get(key, 0) + units
    s = _with(s, counts)
    s["last"] = json.dumps(key)
    label = f"{sku} lot {lot}" if lot else sku
    return view(s, f"{label}: {counts[key]}.", ok=True)


def _counts(s: dict) -> dict[tuple[str, str], int]:
    """What has been counted so far, carried in the page as [[sku, lot, qty], ...]."""
    try:
        return {(sku, lot): int(qty) for sku, lot, qty in json.loads(s.get("counts") or "[]")}
    except (ValueError, TypeError):
        raise StockError("This page is out of date: reload it and count the bin again.") from None


def _with(s: dict, counts: dict) -> dict:
    return {**s, "counts": json.dumps([[sku, lot, qty] for (sku, lot), qty in counts.items()])}


def after_post(s: dict) -> dict:
    return {}


# --- what the worker sees ----------------------------------------------------------------


def view(s: dict, message: str = "", ok: bool | None = None) -> Step:
    if not s.get("task"):
        return Step(
            prompt="Scan a count task or its bin",
            state={},
            message=message,
            ok=ok,
            data={"stage": "task", "tasks": open_tasks()},
        )
    context = [("Count", s["task"])]
    if not s.get("bin"):
        task = db.session.scalar(sa.select(CountTask).where(CountTask.number == s["task"]))
        return Step(
            prompt=f"Go to {task.location.code}, scan the bin",
            state=s,
            message=message,
            ok=ok,
            context=context,
            actions=[("cancel", "Cancel")],
            data={"stage": "bin"},
        )
    context.append(("Bin", s["bin"]))
    counted = [(sku, lot, qty) for (sku, lot), qty in _counts(s).items()]
    prompt = (
        f"Scan the lot of {s['pending'].split(':')[0]}"
        if s.get("pending")
        else ("Scan each item, then Done")
    )
    return Step(
        prompt=prompt,
        state=s,
        message=message,
        ok=ok,
        context=context,
        qty_field=bool(s.get("last")),
        actions=[("done", "Done"), ("empty", "Bin empty"), ("cancel", "Cancel")],
        data={"stage": "counting", "counted": counted},
    )
