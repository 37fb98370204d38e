"""Bins as CSV: warehouse, code, kind, zone, aisle, bay, level, position, sequence,
active."""

import csv
import re

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..barcodes import own_code
from ..db import db, refresh_statistics, write_transaction
from ..models import (
    ItemBarcode,
    Location,
    LocationKind,
    Warehouse,
)
from .sheet import (
    BadValue,
    ImportResult,
    Preview,
    RowError,
    Sheet,
    _audit_row,
    _cells,
    _choice,
    _flag,
    _header_errors,
    _limited,
    _required,
    _Row,
    _system_user,
    _whole,
    read_sheet,
)

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
BIN_CODE = re.compile(r"[0-9A-Z]+(-[0-9A-Z]+)*")


def location_state(location: Location) -> dict:
    return {name: getattr(location, name) for name in LOCATION_COLUMNS if name != "warehouse"}


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
    refresh_statistics()
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
