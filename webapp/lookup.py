"""Look up: scan a bin to see its contents, an item to see every bin holding it, a lot to
see where it is, a document to see where it stands. Read-only; it shares the scanning
surface with the flows."""

from datetime import date

from . import inventory, stock
from .models import DocStatus, MovementKind, PickList, Receipt, Tracking, User
from .scan import ScanKind
from .steps import Entry, Step, wrong_kind


def advance(user: User, entry: Entry) -> Step:
    """One scan on the look-up screen."""
    if not entry.scan.strip():
        return view({})
    scan = entry.resolved("any")
    if scan.kind == ScanKind.LOCATION:
        rows = inventory.bin_contents(scan.location)
        said = f"Bin {scan.location.code}: {len(rows)} line{'s' * (len(rows) != 1)}."
        return view({}, said, data={"bin": scan.location, "contents": rows})
    here = user.warehouse_id
    if scan.kind == ScanKind.ITEM and scan.lot_code:  # a GS1 label: where that lot is
        lots = [lot for lot in scan.lots if lot.item_id == scan.item.id]
        rows = inventory.where_is(lots=lots) if lots else []
        word = stock.lot_word(scan.item)
        return _where(f"{scan.item.sku} {word} {scan.lot_code}", rows, here, item=scan.item)
    if scan.kind == ScanKind.ITEM:
        rows = inventory.where_is(item=scan.item)
        return _where(f"{scan.item.sku} {scan.item.description}", rows, here, item=scan.item)
    if scan.kind == ScanKind.LOT:
        rows = inventory.where_is(lots=scan.lots)
        serial = scan.lots and all(lot.item.tracking == Tracking.SERIAL for lot in scan.lots)
        return _where(f"{'Serial number' if serial else 'Lot'} {scan.lot or scan.text}", rows,
                      here)
    if scan.kind == ScanKind.DOCUMENT:
        return view({}, _where_it_stands(scan.document))
    if scan.kind == ScanKind.UNKNOWN and (named := _named(scan.text, here)):
        return named
    return view({}).refuse(wrong_kind(scan, "scan a bin, an item, a lot or a document"))


def _where(what: str, places: list, here: int | None, **data) -> Step:
    """Where stock is, and how much: the bins of the worker's warehouse first (each part
    in walking order); the others are in another building, to know of, not walk to."""
    if here is not None:
        places = sorted(places, key=lambda row: row[0].warehouse_id != here)
    said = f"{what}: {_how_much(places, here)}."
    return view({}, said, data={**data, "places": places, "here": here})


def _named(text: str, here: int | None) -> Step | None:
    """Text that is no code may be an item's name, or part of its SKU: one item named so
    is shown; several are offered to choose from."""
    items, more = inventory.items_named(text)
    if not items:
        return None
    shown = " ".join(text.split())
    if len(items) == 1 and not more:
        (item,) = items
        rows = inventory.where_is(item=item)
        return _where(f"{item.sku} {item.description} (named like “{shown}”)", rows, here,
                      item=item)
    if more:
        said = (f"No barcode “{shown}”: more than {len(items)} items are named like it. "
                "Type more of the name, or choose one.")
    else:
        said = f"No barcode “{shown}”: {len(items)} items are named like it. Choose one."
    return view({}, data={"named": items}).warn(said)


def _where_it_stands(doc) -> str:
    """A receipt, pick list or count task in one line: its status, who has it, how far."""
    status = doc.status.value.replace("_", " ")
    if isinstance(doc, PickList):
        picked = sum(stock.posted_by_item(doc.number, MovementKind.PICK).values())
        ordered = sum(line.ordered_qty for line in doc.lines)
        picker = doc.assigned_to if doc.status == DocStatus.IN_PROGRESS else None
        who = f", picked by {picker.name}" if picker else ""
        return f"Pick list {doc.number}: {status}{who}; {picked} of {ordered} picked."
    if isinstance(doc, Receipt):
        received = sum(stock.posted_by_item(doc.number, MovementKind.RECEIVE).values())
        expected = sum(line.expected_qty for line in doc.lines)
        source = f" from {doc.supplier}" if doc.supplier else ""
        return f"Receipt {doc.number}{source}: {status}; {received} of {expected} received."
    who = f", for {doc.assigned_to.name}" if doc.assigned_to else ""
    return f"Count {doc.number} of {doc.location.code}: {status}{who}."


def _how_much(places: list, here: int | None = None) -> str:
    """ "10 in 2 places", "3 in 1 place", or "none on hand"; for a worker of one
    warehouse, with stock in others too, "7 in 2 places here; 6 more in other warehouses"
    or "none here; 6 in other warehouses". """
    if not places:
        return "none on hand"
    away = [row for row in places if here is not None and row[0].warehouse_id != here]
    if not away:
        return _in_places(places)
    elsewhere = sum(qty for *_, qty in away)
    mine = places[: len(places) - len(away)]  # here first: see _where
    if not mine:
        return f"none here; {elsewhere} in other warehouses"
    return f"{_in_places(mine)} here; {elsewhere} more in other warehouses"


def _in_places(places: list) -> str:
    total = sum(qty for *_, qty in places)
    return f"{total} in {len(places)} place{'s' * (len(places) != 1)}"


def after_post(s: dict) -> dict:
    return {}


def view(s: dict, message: str = "", data: dict | None = None) -> Step:
    data = {**(data or {}), "today": date.today()}  # lots past it are marked expired
    if places := data.get("places"):  # bins of several warehouses: a bin not here says where
        data["several"] = len({location.warehouse_id for location, *_ in places}) > 1
    return Step(
        prompt="Scan a bin, an item or a lot, or type a name",
        state={},
        message=message,
        ok=True if message else None,
        data=data,
    )
