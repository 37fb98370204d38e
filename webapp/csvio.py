"""CSV import and export of items and bins, for the CLI and the admin pages alike.

An import reads the whole file, checks every row against the file and the database, and
writes only if no row has an error: a half-imported catalogue is worse than none. Rows
are matched on SKU (items) or warehouse and code (bins): new ones are created, existing
ones updated. A column left out of the file leaves that field alone (only sku, or
warehouse and code, must be there; a new item needs a description, a new bin a kind); a
blank cell means the field's default. Export writes exactly what import reads.

Items: sku, description, uom, inventory_type, tracking, unit_cost, reorder_point,
safety_stock, active, barcodes. `barcodes` lists an item's barcodes separated by `;`,
each `CODE` (one unit per scan) or `CODE*PACK` (PACK units per scan, a case), e.g.
`05012345678900;15012345678907*12`. The list replaces the item's barcodes.

Bins: warehouse, code, kind, zone, aisle, bay, level, position, sequence, active. The
code is printed on the label (A-01-02-B); its barcode is the code without dashes.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .barcodes import normalize_item_barcode, own_code
from .db import db, write_transaction
from .models import (
    InventoryType,
    Item,
    ItemBarcode,
    Location,
    LocationKind,
    StockMovement,
    Tracking,
    Warehouse,
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
    "active",
    "barcodes",
]
LOCATION_COLUMNS = [
    "warehouse",
    "code",
    "kind",
    "zone",
    "aisle",
    "bay",
    "level",
    "position",
    "sequence",
    "active",
]
SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
BIN_CODE = re.compile(r"[0-9A-Z]+(-[0-9A-Z]+)*")
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


@dataclass(frozen=True)
class RowError:
    """What is wrong in one cell. Rows are numbered as a spreadsheet shows them (header 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Sheet:
    """A CSV file's columns and rows (row number, cells by column), blank rows left out."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


class BadValue(ValueError):
    pass


# --- reading -------------------------------------------------------------------------


def read_sheet(fileobj) -> Sheet:
    """Parse CSV text or UTF-8 bytes (with or without a BOM); `;`-separated files too."""
    data = fileobj.read()
    if isinstance(data, bytes):
        try:
            data = codecs.decode(data, "utf-8-sig")
        except UnicodeDecodeError:
            raise BadValue("the file is not UTF-8 text; save it as “CSV UTF-8”") from None
    data = data.removeprefix("\ufeff")
    header = data.split("\n", 1)[0]
    # Spreadsheets in comma-decimal locales save with `;`; the header tells us which.
    delimiter = ";" if ";" in header and "," not in header else ","
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as error:
        raise BadValue(f"the file is not valid CSV ({error})") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise BadValue("the file is empty; the first row must name the columns")
    columns = [c.strip().lower() for c in records[0]]
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = {col: (cells[i].strip() if i < len(cells) else "") for i, col in enumerate(columns)}
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            row[None] = "extra"
        rows.append((number, row))
    return Sheet(columns, rows)


def _header_errors(sheet: Sheet, known: list[str], required: list[str]) -> list[RowError]:
    errors = []
    for column in required:
        if column not in sheet.columns:
            errors.append(RowError(1, column, "this required column is missing"))
    seen = set()
    for column in sheet.columns:
        if column not in known:
            errors.append(
                RowError(1, column or "(blank)", f"unknown column; use: {', '.join(known)}")
            )
        elif column in seen:
            errors.append(RowError(1, column, "this column appears twice"))
        seen.add(column)
    return errors


def _cells(sheet: Sheet, row: dict, parsers: dict, errors: list, number: int) -> dict:
    """Parse the row's cells for the columns present; record each bad one."""
    values = {}
    if None in row:
        errors.append(RowError(number, "(end)", "this row has more cells than the header"))
    for column, parse in parsers.items():
        if column not in sheet.columns:
            continue
        try:
            values[column] = parse(row.get(column, ""))
        except BadValue as error:
            errors.append(RowError(number, column, str(error)))
    return values


# --- cell parsers ----------------------------------------------------------------------


def _required(text: str, what: str) -> str:
    if not text:
        raise BadValue(f"{what} is required")
    return text


def _sku(text: str) -> str:
    if not SKU.fullmatch(_required(text, "a SKU")):
        raise BadValue(f"“{text[:40]}” is not a SKU: use 1-40 letters, digits, . _ / -")
    return text


def _limited(limit: int, required: str = ""):
    def parse(text: str) -> str:
        if required:
            _required(text, required)
        if len(text) > limit:
            raise BadValue(f"{len(text)} characters is too long: at most {limit}")
        return text

    return parse


def _choice(enum_cls, default):
    def parse(text: str):
        if not text:
            if default is None:
                raise BadValue("a value is required")
            return default
        try:
            return enum_cls(text.lower())
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            raise BadValue(f"“{text[:20]}” is not one of: {allowed}") from None

    return parse


def _whole(text: str) -> int:
    if not text:
        return 0
    if re.fullmatch(r"-\d+", text):
        raise BadValue(f"cannot be negative ({text})")
    if not re.fullmatch(r"\+?\d{1,9}", text):
        raise BadValue(f"“{text[:20]}” is not a whole number")
    return int(text)


def _cost(text: str) -> Decimal:
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"“{text[:20]}” is not a number (use a dot for decimals: 12.50)") from None
    if not value.is_finite():
        raise BadValue(f"“{text[:20]}” is not a number")
    if value < 0:
        raise BadValue(f"cannot be negative ({text})")
    if value.as_tuple().exponent < -4 or value >= 10**8:
        raise BadValue(f"{text} does not fit: at most 8 digits before the dot and 4 after")
    return value


def _flag(text: str) -> bool:
    if not text or text.lower() in YES:
        return True
    if text.lower() in NO:
        return False
    raise BadValue(f"“{text[:20]}” is not yes or no")


def _uom(text: str) -> str:
    text = text.upper() or "EA"
    if not re.fullmatch(r"[A-Z0-9]{1,10}", text):
        raise BadValue(f"“{text[:20]}” is not a unit of measure: 1-10 letters or digits (EA, BX)")
    return text


def _barcodes(text: str) -> list[tuple[str, int]]:
    out, seen = [], set()
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        code, star, pack = (p.strip() for p in entry.partition("*"))
        if star and not (re.fullmatch(r"\d{1,5}", pack) and int(pack) >= 1):
            raise BadValue(f"pack quantity in “{entry[:60]}” must be a whole number from 1")
        try:
            code = normalize_item_barcode(code)
        except ValueError as error:
            raise BadValue(str(error)) from None
        if len(code) > 50:
            raise BadValue(f"barcode “{code[:20]}…” is longer than 50 characters")
        if code in seen:
            raise BadValue(f"barcode {code} is listed twice")
        seen.add(code)
        out.append((code, int(pack) if star else 1))
    return out


ITEM_PARSERS = {
    "sku": _sku,
    "description": _limited(200, "a description"),
    "uom": _uom,
    "inventory_type": _choice(InventoryType, InventoryType.FINISHED),
    "tracking": _choice(Tracking, Tracking.NONE),
    "unit_cost": _cost,
    "reorder_point": _whole,
    "safety_stock": _whole,
    "active": _flag,
    "barcodes": _barcodes,
}


# --- items -----------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict


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
    return result


def item_state(item: Item) -> dict:
    """An item's fields and barcodes as the audit log keeps them."""
    barcodes = sorted(item.barcodes, key=lambda b: (b.pack_qty, b.code))
    state = {name: getattr(item, name) for name in ITEM_COLUMNS if name != "barcodes"}
    state["barcodes"] = ";".join(
        b.code if b.pack_qty == 1 else f"{b.code}*{b.pack_qty}" for b in barcodes
    )
    return state


def location_state(location: Location) -> dict:
    return {name: getattr(location, name) for name in LOCATION_COLUMNS if name != "warehouse"}


def _audit_row(user, entity: str, entity_id: int, before: dict | None, after: dict) -> None:
    from . import audit

    if before != after:
        action = "update" if before else "create"
        audit.record(user, action, entity, entity_id, before, after, reason="CSV import")


def _system_user():
    from .users import system_user  # users -> stock -> ...: imported when first needed

    return system_user()


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
                "yes" if item.active else "no",
                ";".join(b.code if b.pack_qty == 1 else f"{b.code}*{b.pack_qty}" for b in barcodes),
            ]
        )
    return n


def _money(value: Decimal) -> str:
    cents = value.quantize(Decimal("0.01"))
    return f"{cents if cents == value else value.normalize():f}"


# --- bins ------------------------------------------------------------------------------


def _bin_code(text: str) -> str:
    code = _required(text, "a bin code").upper()
    if len(code) > 30 or not BIN_CODE.fullmatch(code):
        raise BadValue(
            f"“{text[:30]}” is not a bin code: use 0-9, A-Z and dashes between them "
            "(A-01-02-B), at most 30 characters"
        )
    return code


LOCATION_PARSERS = {
    "warehouse": lambda text: _limited(20, "a warehouse code")(text).upper(),
    "code": _bin_code,
    "kind": _choice(LocationKind, None),
    "zone": _limited(20),
    "aisle": _limited(10),
    "bay": _limited(10),
    "level": _limited(10),
    "position": _limited(10),
    "sequence": _whole,
    "active": _flag,
}


def _location_rows(sheet: Sheet, new_warehouses: bool = False):
    errors = _header_errors(sheet, LOCATION_COLUMNS, ["warehouse", "code"])
    if errors:
        return [], errors, {}, {}
    warehouses = {w.code: w for w in db.session.scalars(sa.select(Warehouse))}
    locations = {
        (loc.warehouse.code, loc.code): loc
        for loc in db.session.scalars(sa.select(Location).options(selectinload(Location.warehouse)))
    }
    barcode_owner = {loc.barcode: key for key, loc in locations.items()}
    item_codes = set(db.session.scalars(sa.select(ItemBarcode.code)))
    rows, first_row, barcode_row = [], {}, {}
    for number, cells in sheet.rows:
        values = _cells(sheet, cells, LOCATION_PARSERS, errors, number)
        rows.append(_Row(number, values))
        wh, code = values.get("warehouse"), values.get("code")
        if wh and wh not in warehouses and not new_warehouses:
            known = ", ".join(sorted(warehouses)) or "none yet"
            errors.append(RowError(number, "warehouse", f"there is no warehouse {wh} ({known})"))
        if not (wh and code):
            continue
        key, barcode = (wh, code), own_code(code)
        if key in first_row:
            errors.append(RowError(number, "code", f"bin {code} is also on row {first_row[key]}"))
            continue
        first_row[key] = number
        if key not in locations and "kind" not in sheet.columns:
            errors.append(RowError(number, "kind", f"{code} is a new bin; it needs a kind"))
        if barcode in barcode_row:
            where = f"row {barcode_row[barcode]}"
            errors.append(RowError(number, "code", f"barcode {barcode} is also made by {where}"))
        elif barcode_owner.get(barcode, key) != key:
            other = barcode_owner[barcode]
            errors.append(
                RowError(number, "code", f"barcode {barcode} is bin {other[1]} in {other[0]}")
            )
        elif barcode in item_codes:
            errors.append(RowError(number, "code", f"{barcode} is an item's barcode"))
        barcode_row.setdefault(barcode, number)
    errors.sort(key=lambda e: e.row)
    return rows, errors, warehouses, locations


def check_locations(sheet: Sheet, new_warehouses: bool = False) -> list[RowError]:
    """Every error an import of this sheet would report; nothing is written."""
    return _location_rows(sheet, new_warehouses)[1]


def import_locations(fileobj, new_warehouses: bool = False, user=None) -> ImportResult:
    """Create and update bins from a CSV file, all or nothing.

    A warehouse code the database does not know is an error, unless `new_warehouses`
    (then it is created, named after its code).
    """
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return ImportResult([RowError(1, "(file)", str(error))])
    result = ImportResult()
    user = user or _system_user()
    changes = []
    with write_transaction() as session:
        rows, result.errors, warehouses, locations = _location_rows(sheet, new_warehouses)
        if result.errors:
            return result
        fields = [c for c in LOCATION_COLUMNS if c not in ("warehouse", "code")]
        for row in rows:
            values = row.values
            wh = warehouses.get(values["warehouse"])
            if wh is None:
                wh = warehouses[values["warehouse"]] = Warehouse(
                    code=values["warehouse"], name=values["warehouse"]
                )
                session.add(wh)
                session.flush()
            location = locations.get((wh.code, values["code"]))
            before = location_state(location) if location else None
            if location is None:
                code = values["code"]
                location = Location(warehouse_id=wh.id, code=code, barcode=own_code(code))
                session.add(location)
                result.created += 1
            elif any(n in values and getattr(location, n) != values[n] for n in fields):
                result.updated += 1
            else:
                result.unchanged += 1
            for name in fields:
                if name in values:
                    setattr(location, name, values[name])
            changes.append((location, before))
        session.flush()
        for location, before in changes:
            _audit_row(user, "location", location.id, before, location_state(location))
    return result


def export_locations(fileobj) -> int:
    """Write every bin in the import format, in walking order; returns the number of bins."""
    writer = csv.writer(fileobj, lineterminator="\n")
    writer.writerow(LOCATION_COLUMNS)
    query = (
        sa.select(Location, Warehouse.code)
        .join(Warehouse)
        .order_by(Warehouse.code, Location.sequence, Location.code)
    )
    n = 0
    for loc, wh in db.session.execute(query):
        n += 1
        writer.writerow(
            [
                wh,
                loc.code,
                loc.kind.value,
                loc.zone,
                loc.aisle,
                loc.bay,
                loc.level,
                loc.position,
                loc.sequence,
                "yes" if loc.active else "no",
            ]
        )
    return n


# --- previews: what an import would do, before it does it --------------------------------


@dataclass
class Preview:
    """Each row's key and what importing it would do (create, update, unchanged), and
    every error; nothing is written."""

    errors: list[RowError] = field(default_factory=list)
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # row, key, action

    def count(self, action: str) -> int:
        return sum(1 for _, _, a in self.rows if a == action)


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


def preview_locations(fileobj, new_warehouses: bool = False) -> Preview:
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return Preview([RowError(1, "(file)", str(error))])
    rows, errors, _, locations = _location_rows(sheet, new_warehouses)
    fields = [c for c in LOCATION_COLUMNS if c not in ("warehouse", "code")]
    preview = Preview(errors)
    for row in rows:
        key = (row.values.get("warehouse", ""), row.values.get("code", ""))
        loc = locations.get(key)
        action = "create" if loc is None else "update"
        if loc is not None and not any(
            n in row.values and getattr(loc, n) != row.values[n] for n in fields
        ):
            action = "unchanged"
        preview.rows.append((row.number, f"{key[0]} {key[1]}", action))
    return preview


# --- receipts and pick lists: one row per line ------------------------------------------
#
# Receipts: number, warehouse, supplier, expected_on, sku, qty. Pick lists: number,
# warehouse, sku, qty. Rows with the same number make one document; its header cells must
# agree on every row. `warehouse` may be left out where there is only one. A number that
# exists already replaces that document's header and lines, if nobody has started on it.

RECEIPT_COLUMNS = ["number", "warehouse", "supplier", "expected_on", "sku", "qty"]
PICK_LIST_COLUMNS = ["number", "warehouse", "sku", "qty"]
DOC_NUMBER = re.compile(r"[0-9A-Z]{1,30}")


@dataclass(frozen=True)
class DocFormat:
    name: str
    model: type
    line_model: type
    qty: str
    columns: list[str]
    header: list[str]  # header columns besides number and warehouse


def _doc_formats():
    from .models import PickLine, PickList, Receipt, ReceiptLine

    return {
        "receipts": DocFormat(
            "receipt",
            Receipt,
            ReceiptLine,
            "expected_qty",
            RECEIPT_COLUMNS,
            ["supplier", "expected_on"],
        ),
        "pick-lists": DocFormat(
            "pick_list", PickList, PickLine, "ordered_qty", PICK_LIST_COLUMNS, []
        ),
    }


def _doc_number(text: str) -> str:
    number = _required(text, "a document number").upper()
    if not DOC_NUMBER.fullmatch(number):
        raise BadValue(f"“{text[:30]}” is not a document number: 1-30 of A-Z and 0-9")
    return number


def _iso_date(text: str):
    from datetime import date

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"“{text[:20]}” is not a date: write 2026-12-24") from None


def _qty(text: str) -> int:
    qty = _whole(_required(text, "a quantity"))
    if qty < 1:
        raise BadValue("a quantity must be at least 1")
    return qty


DOC_PARSERS = {
    "number": _doc_number,
    "warehouse": lambda text: _limited(20)(text).upper(),
    "supplier": _limited(100),
    "expected_on": _iso_date,
    "sku": _sku,
    "qty": _qty,
}


@dataclass
class _Doc:
    number: str
    first_row: int
    header: dict
    lines: list  # (item, qty)
    existing: object = None


def _document_rows(sheet: Sheet, fmt: DocFormat) -> tuple[list[_Doc], list[RowError]]:
    from .models import CountTask, DocStatus, PickList, Receipt

    errors = _header_errors(sheet, fmt.columns, ["number", "sku", "qty"])
    if errors:
        return [], errors
    warehouses = {w.code: w for w in db.session.scalars(sa.select(Warehouse))}
    items = {i.sku: i for i in db.session.scalars(sa.select(Item))}
    taken = {}
    for model in (Receipt, PickList, CountTask):
        for doc in db.session.scalars(sa.select(model)):
            taken[doc.number] = doc
    started = set(db.session.scalars(sa.select(StockMovement.reference).distinct()))
    docs: dict[str, _Doc] = {}
    parsers = {k: v for k, v in DOC_PARSERS.items() if k in fmt.columns}
    for number, cells in sheet.rows:
        values = _cells(sheet, cells, parsers, errors, number)
        doc_number, sku = values.get("number"), values.get("sku")
        if not doc_number:
            continue
        wh_code = values.get("warehouse") or ""
        if not wh_code and len(warehouses) == 1:
            wh_code = next(iter(warehouses))
        if wh_code not in warehouses:
            known = ", ".join(sorted(warehouses)) or "none yet"
            errors.append(
                RowError(number, "warehouse", f"there is no warehouse “{wh_code}” ({known})")
            )
        header = {"warehouse": wh_code, **{k: values.get(k) for k in fmt.header if k in values}}
        doc = docs.get(doc_number)
        if doc is None:
            doc = docs[doc_number] = _Doc(doc_number, number, header, [])
            existing = taken.get(doc_number)
            if existing is not None and not isinstance(existing, fmt.model):
                errors.append(
                    RowError(number, "number", f"{doc_number} is another kind of document")
                )
            elif existing is not None and (
                existing.status != DocStatus.OPEN
                or doc_number in started
                or getattr(existing, "assigned_to_id", None)
            ):
                errors.append(
                    RowError(
                        number, "number", f"{doc_number} is started or closed; it cannot change"
                    )
                )
            doc.existing = existing
        else:
            for key, value in header.items():
                if doc.header.get(key) != value:
                    where = f"row {doc.first_row}"
                    errors.append(RowError(number, key, f"differs from {doc_number} on {where}"))
        if sku is None:
            continue
        item = items.get(sku)
        if item is None or not item.active:
            errors.append(RowError(number, "sku", f"there is no active item {sku}"))
        elif any(line_item.id == item.id for line_item, _ in doc.lines):
            errors.append(RowError(number, "sku", f"{sku} is on {doc_number} twice"))
        elif "qty" in values:
            doc.lines.append((item, values["qty"]))
    errors.sort(key=lambda e: e.row)
    return list(docs.values()), errors


def document_state(doc, fmt: DocFormat) -> dict:
    state = {name: getattr(doc, name) for name in ["number", "status", *fmt.header]}
    state["lines"] = "\n".join(f"{line.item.sku} {getattr(line, fmt.qty)}" for line in doc.lines)
    return state


def preview_documents(fileobj, kind: str) -> Preview:
    fmt = _doc_formats()[kind]
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return Preview([RowError(1, "(file)", str(error))])
    docs, errors = _document_rows(sheet, fmt)
    preview = Preview(errors)
    for doc in docs:
        action = "update" if doc.existing is not None else "create"
        preview.rows.append((doc.first_row, f"{doc.number} ({len(doc.lines)} lines)", action))
    return preview


def import_documents(fileobj, kind: str, user=None) -> ImportResult:
    """Create or replace receipts ("receipts") or pick lists ("pick-lists"), all or none."""
    fmt = _doc_formats()[kind]
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return ImportResult([RowError(1, "(file)", str(error))])
    result = ImportResult()
    user = user or _system_user()
    with write_transaction() as session:
        docs, result.errors = _document_rows(sheet, fmt)
        if result.errors:
            return result
        warehouses = {w.code: w for w in session.scalars(sa.select(Warehouse))}
        for doc in docs:
            target = doc.existing
            before = document_state(target, fmt) if target is not None else None
            if target is None:
                target = fmt.model(number=doc.number)
                session.add(target)
                result.created += 1
            else:
                result.updated += 1
            target.warehouse_id = warehouses[doc.header["warehouse"]].id
            for key in fmt.header:
                if key in doc.header:
                    setattr(target, key, doc.header[key] or ("" if key == "supplier" else None))
            target.lines = [fmt.line_model(item=item, **{fmt.qty: q}) for item, q in doc.lines]
            session.flush()
            _audit_row(user, fmt.name, target.id, before, document_state(target, fmt))
    return result


def export_documents(fileobj, kind: str) -> int:
    """Write every open receipt or pick list in the import format; returns the number."""
    from .models import DocStatus

    fmt = _doc_formats()[kind]
    writer = csv.writer(fileobj, lineterminator="\n")
    writer.writerow(fmt.columns)
    query = (
        sa.select(fmt.model)
        .where(fmt.model.status == DocStatus.OPEN)
        .options(selectinload(fmt.model.lines))
        .order_by(fmt.model.number)
    )
    warehouses = dict(db.session.execute(sa.select(Warehouse.id, Warehouse.code)).all())
    n = 0
    for doc in db.session.scalars(query):
        n += 1
        for line in doc.lines:
            cells = {
                "number": doc.number,
                "warehouse": warehouses[doc.warehouse_id],
                "supplier": getattr(doc, "supplier", ""),
                "expected_on": (
                    doc.expected_on.isoformat() if getattr(doc, "expected_on", None) else ""
                ),
                "sku": line.item.sku,
                "qty": getattr(line, fmt.qty),
            }
            writer.writerow([cells[c] for c in fmt.columns])
    return n
