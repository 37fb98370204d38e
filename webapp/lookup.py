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
    if scan.kind == ScanKind.ITEM and scan.lot_code:  # a GS1 label: where that lot is
        lots = [lot for lot in scan.lots if lot.item_id == scan.item.id]
        rows = inventory.where_is(lots=lots) if lots else []
        word = stock.lot_word(scan.item)
        said = f"{scan.item.sku} {word} {scan.lot_code}: {_how_much(rows)}."
        return view({}, said, data={"item": scan.item, "places": rows})
    if scan.kind == ScanKind.ITEM:
        rows = inventory.where_is(item=scan.item)
        said = f"{scan.item.sku} {scan.item.description}: {_how_much(rows)}."
        return view({}, said, data={"item": scan.item, "places": rows})
    if scan.kind == ScanKind.LOT:
        rows = inventory.where_is(lots=scan.lots)
        serial = scan.lots and all(lot.item.tracking == Tracking.SERIAL for lot in scan.lots)
        said = f"{'Serial number' if serial else 'Lot'} {scan.lot or scan.text}: {_how_much(rows)}."
        return view({}, said, data={"places": rows})
    if scan.kind == ScanKind.DOCUMENT:
        return view({}, _where_it_stands(scan.document))
    if scan.kind == ScanKind.UNKNOWN and (named := _named(scan.text)):
        return named
    return view({}).refuse(wrong_kind(scan, "scan a bin, an item, a lot or a document"))


def _named(text: str) -> Step | None:
    """Text that is no code may be an item's name, or part of its SKU: one item named so
    is shown; several are offered to choose from."""
    items, more = inventory.items_named(text)
    if not items:
        return None
    shown = " ".join(text.split())
    if len(items) == 1 and not more:
        (item,) = items
        rows = inventory.where_is(item=item)
        said = f"{item.sku} {item.description} (named like “{shown}”): {_how_much(rows)}."
        return view({}, said, data={"item": item, "places": rows})
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


def _how_much(places: list) -> str:
    """ "10 in 2 places", "3 in 1 place", or "none on hand" """
    if not places:
        return "none on hand"
    total = sum(qty for *_, qty in places)
    return f"{total} in {len(places)} place{'s' * (len(places) != 1)}"


def after_post(s: dict) -> dict:
    return {}


def view(s: dict, message: str = "", data: dict | None = None) -> Step:
    return Step(
        prompt="Scan a bin, an item or a lot, or type a name",
        state={},
        message=message,
        ok=True if message else None,
        data={**(data or {}), "today": date.today()},  # lots past it are marked expired
    )
