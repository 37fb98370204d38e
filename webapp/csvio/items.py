"""Items as CSV: sku, description, uom, inventory_type, tracking, unit_cost,
reorder_point, safety_stock, zone, active, barcodes."""

import csv

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..db import db, refresh_statistics, write_transaction
from ..models import (
    InventoryType,
    Item,
    ItemBarcode,
    Location,
    StockMovement,
    Tracking,
)
from .sheet import (
    BadValue,
    ImportResult,
    Preview,
    RowError,
    Sheet,
    _audit_row,
    _barcodes,
    _cells,
    _choice,
    _cost,
    _flag,
    _header_errors,
    _limited,
    _money,
    _Row,
    _sku,
    _system_user,
    _uom,
    _whole,
    read_sheet,
)

ITEM_COLUMNS = [
    "sku",
    "description",
    "uom",
    "inventory_type",
    "tracking",
    "unit_cost",
    "reorder_point",
    "safety_stock",
    "zone",
    "active",
    "barcodes",
]

ITEM_PARSERS = {
    "sku": _sku,
    "description": _limited(200, "a description"),
    "uom": _uom,
    "inventory_type": _choice(InventoryType, InventoryType.FINISHED),
    "tracking": _choice(Tracking, Tracking.NONE),
    "unit_cost": _cost,
    "reorder_point": _whole,
    "safety_stock": _whole,
    "zone": _limited(20),
    "active": _flag,
    "barcodes": _barcodes,
}


def _item_rows(sheet: Sheet) -> tuple[list[_Row], list[RowError], dict[str, Item]]:
    errors = _header_errors(sheet, ITEM_COLUMNS, ["sku"])
    if errors:
        return [], errors, {}
    items = {
        i.sku: i for i in db.session.scalars(sa.select(Item).options(selectinload(Item.barcodes)))
    }
    owner = {b.code: sku for sku, item in items.items() for b in item.barcodes}
    bin_barcodes = set(db.session.scalars(sa.select(Location.barcode)))
    moved = set(db.session.scalars(sa.select(StockMovement.item_id).distinct()))
    zones = bin_zones()
    rows, first_row, barcode_row = [], {}, {}
    new_codes = {}  # sku -> its barcodes after this import, where the file lists them
    for number, cells in sheet.rows:
        values = _cells(sheet, cells, ITEM_PARSERS, errors, number)
        rows.append(_Row(number, values))
        sku = values.get("sku")
        if sku and "barcodes" in values:
            new_codes[sku] = {code for code, _ in values["barcodes"]}
    for row in rows:
        sku, values = row.values.get("sku"), row.values
        if sku is None:
            continue
        if sku in first_row:
            errors.append(RowError(row.number, "sku", f"SKU {sku} is also on row {first_row[sku]}"))
            continue
        first_row[sku] = row.number
        existing = items.get(sku)
        if existing is None and "description" not in sheet.columns:
            errors.append(
                RowError(row.number, "description", f"{sku} is a new item; it needs a description")
            )
        tracking = values.get("tracking")
        if existing and tracking and tracking != existing.tracking and existing.id in moved:
            errors.append(
                RowError(
                    row.number,
                    "tracking",
                    f"{sku} has stock movements as tracking “{existing.tracking.value}”; "
                    "it cannot change now",
                )
            )
        if values.get("zone") and values["zone"] not in zones:
            errors.append(RowError(row.number, "zone", no_such_zone(values["zone"])))
        for code, _ in values.get("barcodes", []):
            if code in barcode_row:
                where = f"also on row {barcode_row[code]}"
                errors.append(RowError(row.number, "barcodes", f"barcode {code} is {where}"))
            elif code in bin_barcodes:
                errors.append(RowError(row.number, "barcodes", f"{code} is a bin's barcode"))
            elif owner.get(code, sku) != sku and code in new_codes.get(owner[code], {code}):
                errors.append(
                    RowError(
                        row.number, "barcodes", f"barcode {code} belongs to item {owner[code]}"
                    )
                )
            barcode_row.setdefault(code, row.number)
    errors.sort(key=lambda e: e.row)
    return rows, errors, items


def check_items(sheet: Sheet) -> list[RowError]:
    """Every error an import of this sheet would report; nothing is written."""
    return _item_rows(sheet)[1]


def import_items(fileobj, user=None) -> ImportResult:
    """Create and update items from a CSV file, all or nothing; each change is audited
    as `user` (the system user when None, as for the command line)."""
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return ImportResult([RowError(1, "(file)", str(error))])
    result = ImportResult()
    user = user or _system_user()
    befores: dict[str, dict | None] = {}
    with write_transaction() as session:
        rows, result.errors, items = _item_rows(sheet)
        if result.errors:
            return result
        fields = [c for c in ITEM_COLUMNS if c not in ("sku", "barcodes")]
        changed: list[tuple[Item, list[tuple[str, int]]]] = []
        for row in rows:
            values = row.values
            item = items.get(values["sku"])
            befores[values["sku"]] = item_state(item) if item else None
            if item is None:
                item = Item(sku=values["sku"])
                session.add(item)
                result.created += 1
            elif _differs(item, values, fields):
                result.updated += 1
            else:
                result.unchanged += 1
            for name in fields:
                if name in values:
                    setattr(item, name, values[name])
            if "barcodes" in values:
                changed.append((item, values["barcodes"]))
        # Drop old barcodes everywhere before adding new ones, so that a barcode moving
        # from one item to another in the same file never meets itself in the unique index.
        for item, wanted in changed:
            keep = dict(wanted)
            item.barcodes = [b for b in item.barcodes if b.code in keep]
            for b in item.barcodes:
                b.pack_qty = keep[b.code]
        session.flush()
        for item, wanted in changed:
            have = {b.code for b in item.barcodes}
            item.barcodes.extend(
                ItemBarcode(code=c, pack_qty=q) for c, q in wanted if c not in have
            )
        session.flush()
        for row in rows:
            item = items.get(row.values["sku"]) or session.scalar(
                sa.select(Item).where(Item.sku == row.values["sku"])
            )
            _audit_row(user, "item", item.id, befores[item.sku], item_state(item))
    refresh_statistics()
    return result


def bin_zones() -> set[str]:
    """The zones bins are in: what an item's putaway zone may name."""
    return set(db.session.scalars(sa.select(Location.zone).distinct()))


def no_such_zone(zone: str) -> str:
    return f"no bin is in zone {zone}; name a zone the bins have, or leave it blank"


def item_state(item: Item) -> dict:
    """An item's fields and barcodes as the audit log keeps them."""
    barcodes = sorted(item.barcodes, key=lambda b: (b.pack_qty, b.code))
    state = {name: getattr(item, name) for name in ITEM_COLUMNS if name != "barcodes"}
    state["barcodes"] = ";".join(
        b.code if b.pack_qty == 1 else f"{b.code}*{b.pack_qty}" for b in barcodes
    )
    return state


def _differs(item: Item, values: dict, fields: list[str]) -> bool:
    if any(name in values and getattr(item, name) != values[name] for name in fields):
        return True
    if "barcodes" in values:
        return {(b.code, b.pack_qty) for b in item.barcodes} != set(values["barcodes"])
    return False


def export_items(fileobj) -> int:
    """Write every item in the import format, by SKU; returns the number of items."""
    writer = csv.writer(fileobj, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    query = sa.select(Item).options(selectinload(Item.barcodes)).order_by(Item.sku)
    n = 0
    for item in db.session.scalars(query):
        n += 1
        barcodes = sorted(item.barcodes, key=lambda b: (b.pack_qty, b.code))
        writer.writerow(
            [
                item.sku,
                item.description,
                item.uom,
                item.inventory_type.value,
                item.tracking.value,
                _money(item.unit_cost),
                item.reorder_point,
                item.safety_stock,
                item.zone,
                "yes" if item.active else "no",
                ";".join(b.code if b.pack_qty == 1 else f"{b.code}*{b.pack_qty}" for b in barcodes),
            ]
        )
    return n


def preview_items(fileobj) -> Preview:
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return Preview([RowError(1, "(file)", str(error))])
    rows, errors, items = _item_rows(sheet)
    fields = [c for c in ITEM_COLUMNS if c not in ("sku", "barcodes")]
    preview = Preview(errors)
    for row in rows:
        sku = row.values.get("sku", "")
        item = items.get(sku)
        action = "create" if item is None else "update"
        if item is not None and not _differs(item, row.values, fields):
            action = "unchanged"
        preview.rows.append((row.number, sku, action))
    return preview
