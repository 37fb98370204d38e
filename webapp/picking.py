"""Picking: take the next open pick list and walk it bin by bin in walking order. At each
bin: scan the bin, scan the item (lots first-expiry-first-out), pick the quantity into the
staging location. A short pick records what was found, raises a count task for the bin,
and the rest is sought in another bin; what no bin holds is recorded short on the line.

The lists themselves (taking one, what is left and where, settling) are pick_lists'; this
module is the flow on the pick screen and what the worker sees. It re-exports pick_lists'
names, so callers import everything from here.
"""

from datetime import date

import sqlalchemy as sa

from . import stock
from .count_tasks import raise_short_pick_count
from .db import db
from .inventory import bin_contents
from .models import (
    DocStatus,
    Item,
    Lot,
    PickLine,
    PickList,
    Tracking,
    User,
)
from .pick_lists import (
    PICKABLE,
    Progress,
    Task,
    UnderWay,
    hand_back,
    held_by,
    pick_on_list,
    progress,
    settle,
    staging_for,
    summary,
    take,
    take_next,
    tasks,
    under_way,
    waiting,
)
from .scan import ScanKind
from .steps import Entry, Step, lot_scanned, posted_message, serial_as_item, wrong_kind
from .stock import StockError

__all__ = [
    "PICKABLE",
    "Progress",
    "Task",
    "UnderWay",
    "advance",
    "after_post",
    "after_undo",
    "hand_back",
    "held_by",
    "progress",
    "resume",
    "settle",
    "staging_for",
    "summary",
    "take",
    "take_next",
    "tasks",
    "under_way",
    "view",
    "waiting",
]


# --- the flow --------------------------------------------------------------------------


def advance(user: User, entry: Entry) -> Step:
    """One scan or button press on the pick screen."""
    s = dict(entry.state)
    if entry.action == "take":
        return _started(take_next(user))
    if not s.get("list"):
        if not entry.scan.strip():
            return view(s)
        scan = entry.resolved("document")
        if scan.kind != ScanKind.DOCUMENT or not isinstance(scan.document, PickList):
            return view(s).refuse(wrong_kind(scan, "scan a pick list, or press Take next"))
        return _started(take(user, scan.document.number))
    pick_list = _list(s["list"])
    if pick_list is None:  # a stale or edited page
        return view({}).refuse(f"There is no pick list {s['list'][:40]}; press Take next.")
    if pick_list.assigned_to_id != user.id:  # handed back by a supervisor
        if entry.action == "release":  # or by this worker: a resent press, or two handhelds
            return view({}).warn(f"Pick list {pick_list.number} is no longer yours: nothing "
                                 "to hand back.")
        return view({}).refuse(
            f"Pick list {pick_list.number} is no longer yours to pick; press Take next."
        )
    now = progress(pick_list)
    task = _current(now, s)

    def here(message: str = "", ok: bool | None = None) -> Step:
        return view(s, message, ok, now=now)

    confirming_short = s.pop("short", None) == "?"
    confirming_release = s.pop("release", None) == "?"
    if entry.action == "release":
        return _release(user, pick_list, task, s, here, confirming_release)
    if task is None:
        return here()
    if entry.action == "short":
        if not entry.typed_qty.strip() and not confirming_short:
            # A tap on Short with nothing typed may be a slip of a gloved finger, and a short
            # pick holds the bin until it is counted: ask once.
            s["short"] = "?"
            found = int(s.get("qty") or 0)
            return here().warn(
                f"Only {found} of {task.qty} in {task.location.code}? Press Short again to "
                "confirm, or type what you found and press Short."
            )
        return _short(user, entry, now.pick_list, task, s)
    if entry.action == "qty":
        return _typed(user, entry, now, task, s, here)
    if not entry.scan.strip():
        return here()
    if not s.get("bin"):
        return _bin_scanned(entry, task, s, here)
    return _item_scanned(user, entry, now, task, s, here)


def _typed(user: User, entry: Entry, now: Progress, task: Task, s: dict, here) -> Step:
    """A quantity typed for the line, in place of scanning each unit."""
    if task.line.item.tracking == Tracking.SERIAL:
        return here().refuse(f"Scan the serial number of each {task.line.item.sku} you take.")
    if _lot_unchecked(task, s):
        return here().refuse(_check_lot_first(task))
    n = stock.parse_quantity(entry.typed_qty)
    if n > task.qty:
        return here().refuse(f"Pick {task.qty} here, not {n}.")
    s["qty"] = str(n)
    if n < task.qty:
        return here().warn(
            f"That is {n} of {task.qty}: scan more, or press Short if the bin has no more."
        )
    return _post(user, entry, now.pick_list, task, s)


def _bin_scanned(entry: Entry, task: Task, s: dict, here) -> Step:
    scan = entry.resolved("bin")
    if scan.kind == ScanKind.LOCATION and scan.location.id == task.location.id:
        s["bin"] = task.location.code
        return here(f"Bin {task.location.code}: pick {task.qty}.", ok=True)
    if scan.kind == ScanKind.LOCATION:
        return here().refuse(
            f"Wrong bin: that is {scan.location.code}. Go to {task.location.code}."
        )
    return here().refuse(wrong_kind(scan, f"scan bin {task.location.code} first"))


def _item_scanned(user: User, entry: Entry, now: Progress, task: Task, s: dict, here) -> Step:
    """A scan at the bin: a unit of the line's item (or of another line picked here), its
    serial number, or the lot asked for."""
    item = task.line.item
    if s.get("serial") == "?":  # the drill's plain barcode was scanned: now its serial
        return _serial_picked(user, entry, now, task, s, lot_scanned(entry.resolved("lot"), item))
    # The line's barcodes came with the list; a serial number's own label names the item.
    checking_lot = _lot_unchecked(task, s)
    scan = serial_as_item(entry.resolved("lot" if checking_lot else "item", item=item))
    if checking_lot and scan.kind != ScanKind.ITEM:  # a lot's label, or its code typed
        return _lot_checked(task, s, lot_scanned(scan, item), here)
    if scan.kind != ScanKind.ITEM:
        return here().refuse(wrong_kind(scan, f"scan the item {item.sku}"))
    if scan.item.id != item.id:
        other = next((t for t in _in_bin(now, task) if t.line.item_id == scan.item.id), None)
        if other is None:
            return here().refuse(
                f"Wrong item: that is {scan.item.sku}. Pick {item.sku} ({item.description})."
            )
        if s.get("qty"):  # units of this line are in hand, not yet recorded: keep them
            return here().refuse(
                f"That is {scan.item.sku}, also to pick here: finish {item.sku} first "
                f"({s['qty']} of {task.qty} scanned), or press Short."
            )
        # The list wants that item from this bin too: the worker picks it first.
        s["line"] = str(other.line.id)
        task, item = other, other.line.item
    if item.tracking == Tracking.SERIAL:
        # Whichever unit the worker takes, its own serial number is what gets recorded.
        if scan.lot_code:
            return _serial_picked(user, entry, now, task, s, scan.lot_code)
        s["serial"] = "?"
        return here(f"{item.sku}: scan its serial number.", ok=None)
    if scan.lot_code and task.lot and scan.lot_code != task.lot.code:
        return here().refuse(_wrong_lot(task, scan.lot_code, scan.expiry))
    if _lot_unchecked(task, s):
        if not scan.lot_code:  # the item's plain barcode: which of the bin's lots is it?
            return here().warn(
                f"{task.location.code} holds {task.lots_here} lots of {item.sku}: scan the "
                f"label of lot {task.lot.code}{_expires_first(task, ' (it expires first)')}, "
                "then each unit."
            )
        s["lot"] = scan.lot_code  # the code carried the lot the list wants
    got = int(s.get("qty") or 0) + scan.units
    if got > task.qty:
        return here().refuse(f"That makes {got}; pick only {task.qty}. Put {got - task.qty} back.")
    s["qty"] = str(got)
    if got < task.qty:
        return here(f"{got} of {task.qty}.", ok=True)
    return _post(user, entry, now.pick_list, task, s)


def _lot_unchecked(task: Task, s: dict) -> bool:
    """The bin holds several lots of the task's item, and the worker has not yet shown
    that what they take is the lot the list wants: the lot recorded must be the one that
    left the bin, or a recall would be traced to the wrong customers."""
    return (task.lots_here > 1 and task.lot is not None
            and task.line.item.tracking == Tracking.LOT and s.get("lot") != task.lot.code)


def _check_lot_first(task: Task) -> str:
    return (f"Scan the label of lot {task.lot.code} first: {task.location.code} holds "
            f"{task.lots_here} lots of {task.line.item.sku}.")


def _lot_checked(task: Task, s: dict, code: str, here) -> Step:
    """The lot the worker holds, at a bin of several: units are counted once it is the
    lot the list wants (first expiry first out)."""
    item = task.line.item
    if code == task.lot.code:
        s["lot"] = code
        return here(f"Lot {code}: scan each {item.sku} you take.", ok=True)
    if stock.on_hand(item.sku, task.location.code, lot=code) == 0:
        return here().refuse(f"{task.location.code} holds no lot {code} of {item.sku}; scan "
                             f"the label of lot {task.lot.code}.")
    expiry = db.session.scalar(sa.select(Lot.expiry).where(Lot.item_id == item.id,
                                                           Lot.code == code))
    return here().refuse(_wrong_lot(task, code, expiry))


def _wrong_lot(task: Task, code: str, expiry: date | None) -> str:
    """Another lot than the list's: expired (never picked), or one that expires later."""
    if expiry and expiry < date.today():
        return f"Lot {code} expired on {expiry}: it cannot be picked. Take lot {task.lot.code}."
    return f"Wrong lot: take lot {task.lot.code}{_expires_first(task, ', which expires first')}."


def _expires_first(task: Task, words: str) -> str:
    """Why the list wants this lot, where it is so: lots without a date go last, by bin."""
    return words if task.lot.expiry else ""


def _serial_picked(user: User, entry: Entry, now, task: Task, s: dict, serial: str) -> Step:
    """One serialised unit taken from the task's bin: any serial number the bin holds."""
    item = task.line.item
    if stock.on_hand(item.sku, task.location.code, lot=serial) < 1:
        return view(s, now=now).refuse(
            f"Bin {task.location.code} holds no serial number {serial} of {item.sku}; "
            "scan the one you take."
        )
    s["qty"] = "1"
    return _post(user, entry, now.pick_list, task, s, lot=serial)


def _serials_in(location, item, shown: int = 4) -> str:
    """The serial numbers of the item in the bin, any of which may be taken: for a worker
    who types the one on the unit's label, a check that it is there."""
    serials = [lot.code for it, lot, _ in bin_contents(location) if it.id == item.id and lot]
    more = f" and {len(serials) - shown} more" if len(serials) > shown else ""
    return ", ".join(serials[:shown]) + more


def _release(user: User, pick_list: PickList, task: Task | None, s: dict, here,
             confirmed: bool) -> Step:
    """The picker hands their own list back (the shift ends, the handheld dies): asked
    once, since a slip would send a half-picked list to another worker."""
    number = pick_list.number
    if not confirmed:
        s["release"] = "?"
        ask = (f"Hand back {number}? What you picked stays picked; the next worker to take "
               "it picks the rest. ")
        if s.get("qty") and task is not None:
            ask += (f"{s['qty']} × {task.line.item.sku} you scanned are not recorded: put "
                    f"them back in {task.location.code}, then press Hand back list again.")
        else:
            ask += "Press Hand back list again to confirm."
        return here().warn(ask)
    hand_back(user, number, picker_id=user.id, reason="handed back by the picker")
    return view({}, f"{number} is back in the queue: the next worker to take it picks the rest.",
                ok=True)


def resume(user: User) -> Step:
    """The pick screen opened afresh (another handheld, a reload) leads back into the list
    the worker holds, if any. Read only: what no bin holds is recorded at the next scan."""
    held = held_by(user)
    if held is None:
        return view({})
    return view({"list": held}, f"Carrying on with {held}.", ok=True)


def _started(pick_list: PickList) -> Step:
    now = settle(pick_list)
    return view({"list": pick_list.number}, f"Picking {pick_list.number}.", ok=True, now=now)


# A list with its lines, their items and the items' barcodes, in one statement: every pick
# scan reads them, and an item scan is matched against the line's barcodes in memory.
_LIST_BY_NUMBER = (
    sa.select(PickList)
    .where(PickList.number == sa.bindparam("number"))
    .options(
        sa.orm.joinedload(PickList.lines).joinedload(PickLine.item).joinedload(Item.barcodes)
    )
)


def _list(number: str) -> PickList | None:
    return db.session.execute(_LIST_BY_NUMBER, {"number": number}).unique().scalar()


def _current(now: Progress, s: dict) -> Task | None:
    """The next bin's task, or the one of its tasks the worker chose by scanning its item.
    The bin stays confirmed while the next task is in it: the worker is standing there."""
    if not now.found:
        return None
    task = now.found[0]
    if s.get("bin") and s["bin"] != task.location.code:  # moved on, or the page was stale
        for name in ("bin", "qty", "serial", "line", "lot"):
            s.pop(name, None)
    if s.get("line"):
        chosen = next((t for t in _in_bin(now, task) if str(t.line.id) == s["line"]), None)
        if chosen is None:  # that line is done, or the page was stale
            for name in ("line", "qty", "serial", "lot"):
                s.pop(name, None)
        return chosen or task
    return task


def _in_bin(now: Progress, task: Task) -> list[Task]:
    """The tasks the list has in the bin of `task`."""
    return [t for t in now.found if t.location.id == task.location.id]


def _post(user: User, entry: Entry, pick_list: PickList, task: Task, s: dict, lot=None) -> Step:
    posted = pick_on_list(
        user,
        pick_list.number,
        from_bin=task.location.code,
        sku=task.line.item.sku,
        qty=int(s["qty"]),
        lot=lot or (task.lot.code if task.lot else None),
        key=entry.key,
        device=entry.device,
    )
    now = settle(pick_list)
    return view(after_post(s), now=now).success(
        posted_message("Picked", posted), undo=posted.movement.id
    )


def _short(user: User, entry: Entry, pick_list: PickList, task: Task, s: dict) -> Step:
    typed = entry.typed_qty.strip()
    found = (
        (0 if typed == "0" else stock.parse_quantity(typed)) if typed else int(s.get("qty") or 0)
    )
    if found >= task.qty:
        return view(s).refuse(f"{found} is not short of {task.qty}: pick it as usual.")
    if found and _lot_unchecked(task, s):
        return view(s).refuse(_check_lot_first(task))
    if found:
        pick_on_list(
            user,
            pick_list.number,
            from_bin=task.location.code,
            sku=task.line.item.sku,
            qty=found,
            lot=task.lot.code if task.lot else None,
            key=entry.key,
            device=entry.device,
            reason=f"short pick: {task.qty} asked",
        )
    count = raise_short_pick_count(user, task.location)
    now = settle(pick_list)
    short = sum(left for line, left in now.unfillable if line.id == task.line.id)
    said = (
        f"Short pick: found {found} of {task.qty} in {task.location.code}; "
        f"count {count.number} raised."
    )
    if short:
        said += f" No other bin holds {task.line.item.sku}: {short} recorded short."
    return view(after_post(s), now=now).warn(said)


def after_post(s: dict) -> dict:
    """The list, and the bin still confirmed in case the next line is in it too."""
    return {k: s[k] for k in ("list", "bin") if s.get(k)}


def after_undo(s: dict, undone) -> dict:
    """Undoing the pick that finished a list leads back into the list."""
    return {"list": undone.reopened} if undone.reopened else s


# --- what the worker sees ----------------------------------------------------------------


def lists(user: User) -> dict:
    """What the screen's start shows, of the worker's warehouse: the lists waiting."""
    return {"waiting": waiting(user.warehouse_id)}


def view(s: dict, message: str = "", ok: bool | None = None, now: Progress | None = None) -> Step:
    if not s.get("list"):  # how many lists wait is the worker's warehouse's: see lists()
        return Step(
            prompt="Take the next pick list",
            state={},
            message=message,
            ok=ok,
            actions=[("take", "Take next")],
        )
    if now is None:
        pick_list = _list(s["list"])
        if pick_list is None:  # a stale or edited page: the caller starts over
            raise StockError(f"There is no pick list {s['list'][:40]}.")
        now = progress(pick_list)
    pick_list = now.pick_list
    task = _current(now, s) if pick_list.status != DocStatus.CLOSED else None
    if task is None:
        return Step(
            prompt="Pick list done",
            state={},
            message=message or f"{pick_list.number} is complete.",
            ok=True if ok is None else ok,
            context=[("Pick list", pick_list.number)],
            actions=[("take", "Take next")],
            data={"summary": summary(now)},
        )
    item = task.line.item
    context = [
        ("Pick list", pick_list.number),
        ("Bin", task.location.code),
        ("Item", f"{item.sku} {item.description}"),
    ]
    serial = item.tracking == Tracking.SERIAL  # any unit in the bin will do: none is named
    if task.lot and not serial:
        expiry = f" (expires {task.lot.expiry})" if task.lot.expiry else ""
        context.append(("Lot", task.lot.code + expiry))
    context.append(("Pick", f"{s.get('qty') or 0} of {task.qty}"))
    prompt = (
        f"Scan the item {item.sku}" if s.get("bin") else f"Go to {task.location.code}, scan the bin"
    )
    if s.get("serial") == "?":
        prompt = f"Scan the serial number of {item.sku}"
        context.append(("Serials here", _serials_in(task.location, item)))
    checking_lot = bool(s.get("bin")) and _lot_unchecked(task, s)
    if checking_lot:
        prompt = f"Scan the label of lot {task.lot.code} ({item.sku})"
    return Step(
        prompt=prompt,
        state=s,
        message=message,
        ok=ok,
        context=context,
        # Each serial unit is scanned by its serial; a typed number needs the lot checked.
        qty_field=bool(s.get("bin")) and not serial and not checking_lot,
        actions=([("short", "Short: bin has less")] if s.get("bin") else [])
        + [("release", "Hand back list")],
        data={"summary": summary(now)},
    )
