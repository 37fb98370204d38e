"""Receipts and pick lists as CSV, one row per line."""

import csv
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..db import db, write_transaction
from ..models import (
    Item,
    StockMovement,
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
    _header_errors,
    _limited,
    _required,
    _sku,
    _system_user,
    _whole,
    read_sheet,
)

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
    from ..models import PickLine, PickList, Receipt, ReceiptLine

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
    from ..models import CountTask, DocStatus, PickList, Receipt

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
    from ..models import DocStatus

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
