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


def import_items(fileobj) -> ImportResult:
    """Create and update items from a CSV file, all or nothing."""
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return ImportResult([RowError(1, "(file)", str(error))])
    result = ImportResult()
    with write_transaction() as session:
        rows, result.errors, items = _item_rows(sheet)
        if result.errors:
            return result
        fields = [c for c in ITEM_COLUMNS if c not in ("sku", "barcodes")]
        changed: list[tuple[Item, list[tuple[str, int]]]] = []
        for row in rows:
            values = row.values
            item = items.get(values["sku"])
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
    return result


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


def import_locations(fileobj, new_warehouses: bool = False) -> ImportResult:
    """Create and update bins from a CSV file, all or nothing.

    A warehouse code the database does not know is an error, unless `new_warehouses`
    (then it is created, named after its code).
    """
    try:
        sheet = read_sheet(fileobj)
    except BadValue as error:
        return ImportResult([RowError(1, "(file)", str(error))])
    result = ImportResult()
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
