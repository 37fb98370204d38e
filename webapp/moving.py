"""Moving and putaway: scan the source bin, the item (and lot), the quantity, the
destination. From the receiving dock the quantity defaults to all of it; "Whole bin" moves
everything in the source bin at once.
"""

import sqlalchemy as sa

from . import stock
from .db import db
from .inventory import bin_contents
from .models import Item, Location, LocationKind, Lot, StockBalance, Tracking, User
from .scan import ScanKind, own_code_of
from .steps import Entry, Step, lot_scanned, posted_message, serial_as_item, wrong_kind
from .stock import StockError

balance = StockBalance.__table__
PUTAWAY_KINDS = (LocationKind.PICK, LocationKind.STORAGE)


def suggest_bin(item: Item, warehouse_id: int, exclude: int | None = None) -> Location | None:
    """Where to put an item away: a bin that already holds it (pick face first, then the
    one holding most), else the first empty bin in walking order in the item's putaway
    zone, else (no zone named, or none empty there) the first empty bin anywhere."""
    holding = db.session.scalar(
        sa.select(Location)
        .join(StockBalance, StockBalance.location_id == Location.id)
        .where(
            StockBalance.item_id == item.id,
            StockBalance.quantity > 0,
            Location.kind.in_(PUTAWAY_KINDS),
            Location.active,
            Location.warehouse_id == warehouse_id,
            Location.id != (exclude or 0),
        )
        .order_by((Location.kind == LocationKind.PICK).desc(), StockBalance.quantity.desc())
        .limit(1)
    )
    if holding:
        return holding
    occupied = sa.select(balance.c.location_id).where(balance.c.quantity > 0)
    empty = (
        sa.select(Location)
        .where(
            Location.kind.in_(PUTAWAY_KINDS),
            Location.active,
            Location.warehouse_id == warehouse_id,
            Location.id.not_in(occupied),
        )
        .order_by(Location.sequence)
        .limit(1)
    )
    in_zone = db.session.scalar(empty.where(Location.zone == item.zone)) if item.zone else None
    return in_zone or db.session.scalar(empty)


def putaway_list(warehouse_id: int | None = None) -> list[dict]:
    """What sits on the receiving docks (of one warehouse, if given), each with a
    suggested bin."""
    query = (
        sa.select(Location, Item, Lot, StockBalance.quantity)
        .join(StockBalance, StockBalance.location_id == Location.id)
        .join(Item, Item.id == StockBalance.item_id)
        .outerjoin(Lot, Lot.id == StockBalance.lot_id)
        .where(Location.kind == LocationKind.DOCK, StockBalance.quantity > 0)
    )
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    rows = db.session.execute(query.order_by(Location.code, Item.sku))
    return [
        {
            "dock": dock,
            "item": item,
            "lot": lot,
            "qty": qty,
            "suggested": suggest_bin(item, dock.warehouse_id),
        }
        for dock, item, lot, qty in rows
    ]


# --- the flow --------------------------------------------------------------------------


def advance(user: User, entry: Entry) -> Step:
    """One scan or button press on the move screen."""
    s = dict(entry.state)
    if entry.action == "cancel":
        return view({}, "Cancelled; nothing was moved.", ok=True)
    if entry.action == "whole":
        stock.find_location(s.get("from", ""))
        return view({"from": s["from"], "whole": "1"})
    if entry.action == "qty":
        qty = stock.parse_quantity(entry.typed_qty)
        if s.get("from") and s.get("sku"):
            stock.check_can_take(s["sku"], s["from"], s.get("lot"), qty)
        s["qty"] = str(qty)
        return view(s, f"Quantity set to {s['qty']}.", ok=True)
    if not entry.scan.strip():
        return view(s)
    known = s.get("from") and s.get("sku") and not s.get("whole")
    if known and (posted := _straight_to_destination(user, entry, s)) is not None:
        return posted
    stage = _stage(s)
    scan = entry.resolved({"from": "bin", "to": "bin", "lot": "lot"}.get(stage, "item"))
    # A bin where an item is asked for: the worker has moved on to move from that bin.
    if stage == "from" or (stage == "item" and scan.kind == ScanKind.LOCATION):
        return _source_scanned(s, scan)
    if stage == "item":
        return _item_scanned(s, serial_as_item(scan))
    if stage == "lot":
        item = stock.find_item(s["sku"])
        return _lot_chosen(s, lot_scanned(scan, item), item=item)
    # stage "to": the destination, or more of the same item
    if scan.kind == ScanKind.ITEM and s.get("sku") == scan.item.sku and not s.get("all"):
        if scan.item.tracking == Tracking.SERIAL:
            return view(s, item=scan.item).refuse(
                f"Each {scan.item.sku} has its own serial number: scan where this one goes, "
                "then move the next."
            )
        s["qty"] = str(int(s["qty"]) + scan.units)
        return view(s, f"{s['qty']} of {s['sku']}.", ok=True)
    if scan.kind != ScanKind.LOCATION:
        return view(s).refuse(wrong_kind(scan, "scan the destination bin"))
    return _post(user, entry, s, scan.location.code)


def _source_scanned(s: dict, scan) -> Step:
    if scan.kind != ScanKind.LOCATION:
        return view(s).refuse(wrong_kind(scan, "scan the bin to move from"))
    contents = bin_contents(scan.location)
    if not contents:
        return view(s).refuse(f"Bin {scan.location.code} is empty; scan another bin.")
    return view(
        {"from": scan.location.code}, f"Bin {scan.location.code}.", ok=True, contents=contents
    )


def _straight_to_destination(user: User, entry: Entry, s: dict) -> Step | None:
    """With the bin and item known, a scan is nearly always the destination bin: post at
    once, since the ledger checks everything a move needs, and read the scan the long way
    only if it refuses (the scan may be a lot, more of the item, or a mistake to explain).
    This saves the busiest scan on the floor two reads."""
    code = own_code_of(entry.scan)
    if code is None:
        return None
    try:
        return _post(user, entry, s, code)
    except StockError:
        return None


def _item_scanned(s: dict, scan) -> Step:
    if scan.kind != ScanKind.ITEM:
        return view(s).refuse(wrong_kind(scan, "scan an item in this bin, or Whole bin"))
    source = stock.find_location(s["from"])
    contents = bin_contents(source)
    held = [(lot, qty) for item, lot, qty in contents if item.id == scan.item.id]
    if not held:
        return view(s, contents=contents).refuse(
            f"Bin {source.code} holds no {scan.item.sku}; scan what is in it."
        )
    s["sku"] = scan.item.sku
    if source.kind == LocationKind.DOCK:  # putaway: all of it unless told otherwise
        s["all"] = "1"
    else:
        s["qty"] = str(scan.units)
    # The bin, the item and what the bin holds are in hand: pass them on, not read again.
    known = {"source": source, "item": scan.item, "contents": contents}
    if scan.lot_code:
        return _lot_chosen(s, scan.lot_code, **known)
    if len(held) == 1:
        lot, qty = held[0]
        return _lot_chosen(s, lot.code if lot else "", **known)
    word = stock.lot_word(scan.item)
    message = f"{scan.item.sku} is here in {len(held)} {word}s: scan the {word}."
    return view(s, message, ok=None, contents=contents, item=scan.item)


def _lot_chosen(s: dict, lot_code: str, source=None, item=None, contents=None) -> Step:
    source = source or stock.find_location(s["from"])
    item = item or stock.find_item(s["sku"])
    contents = bin_contents(source) if contents is None else contents
    held = {(lot.code if lot else ""): qty for it, lot, qty in contents if it.id == item.id}
    word = stock.lot_word(item)
    if lot_code not in held:
        return view(s, contents=contents, item=item).refuse(
            f"Bin {source.code} holds no {word} {lot_code} of {item.sku}; scan a {word} it holds."
        )
    if lot_code:
        s["lot"] = lot_code
    if s.pop("all", None):
        s["qty"] = str(held[lot_code])
    suggestion = ""
    if source.kind == LocationKind.DOCK and (target := suggest_bin(item, source.warehouse_id)):
        s["suggest"] = target.code
        suggestion = f" Suggested bin: {target.code}."
    return view(s, f"{s['qty']} × {item.sku}.{suggestion}", ok=True, item=item)


def _post(user: User, entry: Entry, s: dict, to_bin: str) -> Step:
    if s.get("whole"):
        posted = stock.move_bin(
            user, from_bin=s["from"], to_bin=to_bin, key=entry.key, device=entry.device
        )
        n = len(posted.movements)
        return view({}).success(
            f"Moved: everything in {s['from']} ({n} line{'s' * (n != 1)}) to "
            f"{posted.movement.to_location.code}.",
            undo=posted.movements[-1].id,  # the worker's last movement: Undo takes all lines
        )
    posted = stock.move(
        user,
        from_bin=s["from"],
        to_bin=to_bin,
        sku=s["sku"],
        qty=s["qty"],
        lot=s.get("lot"),
        key=entry.key,
        device=entry.device,
    )
    after, contents = {}, None
    source = posted.movement.from_location
    if source.kind == LocationKind.DOCK and (contents := bin_contents(source)):
        after = {"from": source.code}  # putaway goes on from the dock: no second scan of it
    return view(after, contents=contents).success(
        posted_message("Moved", posted), undo=posted.movement.id
    )


def after_post(s: dict) -> dict:
    return {}


# --- what the worker sees ----------------------------------------------------------------


def _stage(s: dict, item=None) -> str:
    if not s.get("from"):
        return "from"
    if s.get("whole"):
        return "to"
    if not s.get("sku"):
        return "item"
    item = item or stock.find_item(s["sku"])
    if item.tracking != Tracking.NONE and not s.get("lot"):
        return "lot"
    return "to"


PROMPTS = {
    "from": "Scan the bin to move from",
    "item": "Scan the item",
    "lot": "Scan the {lot}",
    "to": "Scan the destination bin",
}


def view(s: dict, message: str = "", ok: bool | None = None, contents=None, item=None) -> Step:
    """The step for state `s`. `contents` and `item`, when the caller has them, spare
    reading the bin and the item again."""
    if s.get("sku") and (item is None or item.sku != s["sku"]):
        item = stock.find_item(s["sku"])
    stage = _stage(s, item)
    context, data = [], {"stage": stage}
    if s.get("from"):
        context.append(("From", s["from"]))
        if stage in ("item", "lot"):
            data["contents"] = (
                contents if contents is not None else bin_contents(stock.find_location(s["from"]))
            )
    if s.get("whole"):
        context.append(("Moving", "everything in the bin"))
    if s.get("sku"):
        context.append(("Item", f"{item.sku} {item.description}"))
    if s.get("lot"):
        context.append((stock.lot_word(item).capitalize(), s["lot"]))
    if s.get("qty"):
        context.append(("Quantity", s["qty"]))
    if s.get("suggest"):
        context.append(("Suggested bin", s["suggest"]))
    actions = []
    if stage == "item":
        actions.append(("whole", "Whole bin"))
    if s:
        actions.append(("cancel", "Cancel"))
    serial = item is not None and item.tracking == Tracking.SERIAL
    return Step(
        prompt=PROMPTS[stage].format(lot=stock.lot_word(item)),
        state=s,
        message=message,
        ok=ok,
        context=context,
        actions=actions,
        data=data,
        qty_field=stage == "to" and not s.get("whole") and not serial,  # a serial is one unit
    )
