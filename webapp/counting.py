"""Counting: scan the bin, then each item in it (a scan counts one pack; a typed quantity
sets the count of the item last scanned), lots where tracked; then Done, or Bin empty.

Counts are blind by default: the worker never sees the system quantity. Recording the
count is webapp/count_recording.py's, the tasks and the cycle schedule
webapp/count_tasks.py's; both are re-exported here, so callers import them from here.
"""

import json
import re

import sqlalchemy as sa

from . import stock
from .count_recording import record
from .count_tasks import COUNTABLE, no_longer_open, open_tasks, schedule_cycle_counts, task_for
from .db import db
from .models import CountStatus, CountTask, DocStatus, Item, Tracking, User
from .scan import ScanKind
from .steps import Entry, Step, lot_scanned, serial_as_item, wrong_kind
from .stock import StockError

__all__ = [
    "COUNTABLE",
    "advance",
    "after_post",
    "open_tasks",
    "record",
    "schedule_cycle_counts",
    "view",
]


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


# --- the flow --------------------------------------------------------------------------


def advance(user: User, entry: Entry) -> Step:
    """One scan or button press on the count screen."""
    s = dict(entry.state)
    confirming_cancel = s.pop("cancel", None) == "?"
    if entry.action == "cancel":
        return _cancel(s, confirming_cancel)
    if not s.get("task"):
        return _choose(user, entry, s)
    task = task_for(user, s["task"])
    if task.status != DocStatus.OPEN:
        if task.counted_by_id == user.id:  # Done sent twice: the first one counted
            return view({}).success(f"Already recorded: count {task.number} done.")
        raise StockError(no_longer_open(task, counted=bool(_lines_counted(s))))
    if not s.get("bin"):
        return _bin_scanned(entry, task, s) if entry.scan.strip() else view(s)
    counts = _counts(s)
    confirming_empty = s.pop("empty", None) == "?"
    if entry.action in ("done", "empty"):
        return _finished(user, entry, task, s, counts, confirming_empty)
    if entry.action == "qty":
        return _typed(entry, s, counts)
    if not entry.scan.strip():
        return view(s)
    return _item_scanned(entry, s, counts)


def _bin_scanned(entry: Entry, task, s: dict) -> Step:
    scan = entry.resolved("bin")
    if scan.kind == ScanKind.LOCATION and scan.location.id == task.location_id:
        s["bin"] = task.location.code
        return view(s, f"Counting {task.location.code}.", ok=True)
    if scan.kind == ScanKind.LOCATION:
        return view(s).refuse(
            f"Wrong bin: that is {scan.location.code}. Count {task.location.code}."
        )
    return view(s).refuse(wrong_kind(scan, f"scan bin {task.location.code} first"))


def _finished(user: User, entry: Entry, task, s: dict, counts: dict,
              confirming_empty: bool) -> Step:
    """Done, or Bin empty: the count is recorded, once nothing is left half scanned."""
    if s.get("pending"):  # the item scanned last waits for its lot: it is not counted
        sku = s["pending"].rsplit(":", 1)[0]
        word = _word_of(sku)
        return view(s).refuse(f"Scan the {word} of {sku} first: it is not counted yet.")
    if entry.action == "done" and not counts:
        return view(s).refuse("Nothing counted yet: press Bin empty if the bin is empty.")
    if entry.action == "empty" and counts:
        return view(s).refuse("You counted items here: press Done instead.")
    if entry.action == "empty" and not confirming_empty:
        # Next to Done, and pressed before anything was scanned: a gloved slip would
        # count a full bin as empty. Ask once, as Short and Close do.
        s["empty"] = "?"
        return view(s).warn(
            f"Nothing at all in {s['bin']}? Press Bin empty again to confirm, "
            "or scan what is there."
        )
    task = record(user, task.number, counts)
    return view({}).warn(_outcome(task)) if _waiting(task) else view({}).success(_outcome(task))


def _typed(entry: Entry, s: dict, counts: dict) -> Step:
    """A number typed for the item (and lot) scanned last: its count is set to it."""
    if not s.get("last"):
        return view(s).refuse("Scan an item first, then type how many.")
    if s.get("pending"):  # the field would set the item before it, not this one
        sku = s["pending"].rsplit(":", 1)[0]
        return view(s).refuse(f"Scan the {_word_of(sku)} of {sku} first, then type how many.")
    last = tuple(json.loads(s["last"]))
    item = stock.find_item(last[0])
    counts[last] = _counted(entry.typed_qty)
    if item.tracking == Tracking.SERIAL and last[1] and counts[last] > 1:
        raise StockError(
            f"A serial number is one unit: type 1, or 0 if {last[1]} is not here."
        )
    said = f"{_label(item, last[1])}: set to {counts[last]}."
    return view(_with(s, counts), said, ok=True)


def _item_scanned(entry: Entry, s: dict, counts: dict) -> Step:
    """A scan in the bin: a unit (or case) of an item, or the lot of the item scanned last."""
    if s.get("pending"):  # a tracked item waits for its lot or serial number
        sku, units = s["pending"].rsplit(":", 1)
        item = stock.find_item(sku)
        lot = lot_scanned(entry.resolved("lot"), item)
        s.pop("pending")
        return _add(s, counts, item, lot, int(units))
    scan = serial_as_item(entry.resolved("item"))  # a serial's label: one scan a unit
    if scan.kind == ScanKind.LOCATION:
        if scan.location.code == s["bin"]:
            return view(s, f"Still counting {s['bin']}.", ok=None)
        return view(s).refuse(f"Finish {s['bin']} first: press Done.")
    if scan.kind != ScanKind.ITEM:
        refused = wrong_kind(scan, "scan an item in the bin", if_unknown=", or type its SKU")
        return view(s).refuse(refused)
    if scan.item.tracking != Tracking.NONE and not scan.lot_code:
        s["pending"] = f"{scan.item.sku}:{scan.units}"
        return view(s, f"{scan.item.sku}: scan its {stock.lot_word(scan.item)}.", ok=None)
    return _add(s, counts, scan.item, scan.lot_code or "", scan.units)


def _choose(user: User, entry: Entry, s: dict) -> Step:
    if not entry.scan.strip():
        return view(s)
    scan = entry.resolved("document")
    if scan.kind == ScanKind.DOCUMENT and isinstance(scan.document, CountTask):
        task = task_for(user, scan.document.number)
        if task.status != DocStatus.OPEN:
            raise StockError(no_longer_open(task))
        return view({"task": task.number}, f"Count {task.number}.", ok=True)
    if scan.kind == ScanKind.LOCATION:  # scanning the bin picks its task and confirms it
        # A bin may have two open tasks (a recount for another worker beside another):
        # take this worker's own, else one for anyone, else refuse naming the other's.
        task = db.session.scalar(
            sa.select(CountTask)
            .where(CountTask.location_id == scan.location.id, CountTask.status == DocStatus.OPEN)
            .order_by(
                sa.case(
                    (CountTask.assigned_to_id == user.id, 0),
                    (CountTask.assigned_to_id.is_(None), 1),
                    else_=2,
                ),
                CountTask.id,
            )
            .limit(1)
        )
        if task is None:
            return view(s).refuse(f"Bin {scan.location.code} has no count task: choose one below.")
        task_for(user, task.number)
        return view(
            {"task": task.number, "bin": scan.location.code},
            f"Counting {scan.location.code}.",
            ok=True,
        )
    return view(s).refuse(wrong_kind(scan, "scan a count task or its bin"))


def _cancel(s: dict, confirmed: bool) -> Step:
    """Leave the count. With lines counted it asks once: Cancel sits beside Done, and a
    slip would drop the bin's count."""
    counted = _lines_counted(s)
    if counted and not confirmed:
        s["cancel"] = "?"
        return view(s).warn(
            f"Drop the count of {s['bin']} ({counted} line{'s' * (counted != 1)} counted)? "
            "Press Cancel again to drop it, or scan on to carry on counting."
        )
    return view({}, "Count abandoned; nothing was recorded.", ok=True)


def _add(s: dict, counts: dict, item, lot: str, units: int) -> Step:
    key = (item.sku, lot)
    if item.tracking == Tracking.SERIAL and counts.get(key, 0) + units > 1:
        return view(s).refuse(f"{_label(item, lot)} is counted already: a serial is one unit.")
    counts[key] = counts.get(key, 0) + units
    s = _with(s, counts)
    s["last"] = json.dumps(key)
    return view(s, f"{_label(item, lot)}: {counts[key]}.", ok=True)


def _counted(typed: str) -> int:
    """A typed count: none (0) up to the most units a quantity may be."""
    text = typed.strip()
    if re.fullmatch(r"[+-]?0+", text):
        return 0
    if text.startswith("-"):
        raise StockError(f"A count cannot be below 0 (you typed {text[:20]}); type 0 for none.")
    return stock.parse_quantity(text)


def _word_of(sku: str) -> str:
    return stock.lot_word(stock.find_item(sku))


def _label(item, lot: str) -> str:
    return f"{item.sku} {stock.lot_word(item)} {lot}" if lot else item.sku


def _counts(s: dict) -> dict[tuple[str, str], int]:
    """What has been counted so far, carried in the page as [[sku, lot, qty], ...]."""
    try:
        return {(sku, lot): int(qty) for sku, lot, qty in json.loads(s.get("counts") or "[]")}
    except (ValueError, TypeError):
        raise StockError("This page is out of date: reload it and count the bin again.") from None


def _lines_counted(s: dict) -> int:
    """How many lines the page has counted in its bin; an unreadable page holds none."""
    try:
        return len(_counts(s)) if s.get("bin") else 0
    except StockError:
        return 0


def _with(s: dict, counts: dict) -> dict:
    return {**s, "counts": json.dumps([[sku, lot, qty] for (sku, lot), qty in counts.items()])}


def after_post(s: dict) -> dict:
    return {}


# --- what the worker sees ----------------------------------------------------------------


def lists(user: User) -> dict:
    """What the screen's start shows, of the worker's warehouse: the open count tasks."""
    return {"tasks": open_tasks(warehouse_id=user.warehouse_id)}


def view(s: dict, message: str = "", ok: bool | None = None) -> Step:
    if not s.get("task"):
        return Step(
            prompt="Scan a count task or its bin",
            state={},
            message=message,
            ok=ok,
            data={"stage": "task"},  # and the tasks: lists()
        )
    context = [("Count", s["task"])]
    if not s.get("bin"):
        task = db.session.scalar(sa.select(CountTask).where(CountTask.number == s["task"]))
        if task is None:  # a stale or edited page: the caller starts over
            raise StockError(f"There is no count task {s['task'][:40]}.")
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
    counts = _counts(s)
    # Named as on the shelf: 100183 and 100184 are told apart by their descriptions.
    items = {}
    if skus := {sku for sku, _ in counts}:
        items = {i.sku: i for i in db.session.scalars(sa.select(Item).where(Item.sku.in_(skus)))}
    counted = [
        (sku, items[sku].description if sku in items else "", lot, qty)
        for (sku, lot), qty in counts.items()
    ]
    typed_for = ""  # a typed number sets the count of the item scanned last
    # Only the button that can finish the bin now: one big button fewer to hit by a slip.
    if counts:
        prompt, finish = "Scan each item, then Done", [("done", "Done")]
    else:
        prompt, finish = "Scan each item in the bin", [("empty", "Bin empty")]
    if s.get("pending"):
        sku = s["pending"].rsplit(":", 1)[0]
        prompt = f"Scan the {_word_of(sku)} of {sku}"
        finish = []  # not until its lot is scanned
    elif s.get("last"):
        sku, lot = json.loads(s["last"])
        typed_for = f"How many {_label(items[sku], lot) if sku in items else sku}?"
    return Step(
        prompt=prompt,
        state=s,
        message=message,
        ok=ok,
        context=context,
        qty_field=bool(typed_for),
        qty_label=typed_for,
        actions=finish + [("cancel", "Cancel")],
        data={"stage": "counting", "counted": counted},
    )
