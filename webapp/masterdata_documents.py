"""Receipts and pick lists for the office: create one from typed `SKU QTY` lines, change
or cancel one nobody has started on, and list them. Cancelling serves count tasks too."""

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from . import audit
from .db import db, write_transaction
from .masterdata_forms import Invalid, _get, _warehouse, check_unchanged, once_more_if_beaten
from .models import (
    CountTask,
    DocStatus,
    Item,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    StockMovement,
    User,
)

DOC_NUMBER = re.compile(r"[0-9A-Z]{1,30}")


@dataclass(frozen=True)
class DocKind:
    name: str  # as in the audit log and URLs
    model: type
    line_model: type
    qty: str  # the line's quantity column


RECEIPTS = DocKind("receipt", Receipt, ReceiptLine, "expected_qty")
PICK_LISTS = DocKind("pick_list", PickList, PickLine, "ordered_qty")


def parse_lines(text: str, errors: dict) -> list[tuple[Item, int]]:
    """Lines typed or pasted as `SKU QTY` (space, tab, comma or semicolon between)."""
    out, seen, problems = [], set(), []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p for p in re.split(r"[\s,;]+", line.strip()) if p]
        if len(parts) != 2 or not re.fullmatch(r"\d{1,6}", parts[1]) or int(parts[1]) < 1:
            problems.append(f"line {number}: write SKU and a quantity from 1, e.g. 1042 12")
            continue
        item = db.session.scalar(sa.select(Item).where(Item.sku == parts[0]))
        if item is None or not item.active:
            problems.append(f"line {number}: there is no active item {parts[0]}")
        elif item.id in seen:
            problems.append(f"line {number}: {item.sku} is listed twice")
        else:
            seen.add(item.id)
            out.append((item, int(parts[1])))
    if problems:
        errors["lines"] = "; ".join(problems).capitalize() + "."
    elif not out:
        errors["lines"] = "A document needs at least one line."
    return out


def lines_text(doc, kind: DocKind) -> str:
    return "\n".join(f"{line.item.sku} {getattr(line, kind.qty)}" for line in doc.lines)


def document_state(doc, kind: DocKind) -> dict:
    """A document's header and lines as the audit log keeps them."""
    fields = ["number", "status"] + (["supplier", "expected_on"] if kind is RECEIPTS else [])
    return {**audit.snapshot(doc, fields), "lines": lines_text(doc, kind)}


def number_taken(number: str) -> bool:
    """Document numbers are scanned, so one number means one document of any kind."""
    return any(
        db.session.scalar(sa.select(model.id).where(model.number == number))
        for model in (Receipt, PickList, CountTask)
    )


def _date(text: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        errors["expected_on"] = f"“{text[:20]}” is not a date: write 2026-12-24."
        return None


@once_more_if_beaten
def save_document(user: User, kind: DocKind, values: dict, doc_id: int | None = None):
    """Create a receipt or pick list, or change one nobody has started on."""
    errors: dict[str, str] = {}
    number = (values.get("number") or "").strip().upper()
    with write_transaction() as session:
        doc = _get(kind.model, doc_id) if doc_id else None
        if doc is not None and (doc.status != DocStatus.OPEN or _started(doc)):
            # Said first: a document started since the form was opened cannot change at all.
            raise Invalid({"form": f"{_under_way(doc)}; it cannot change."})
        if doc is not None:
            check_unchanged(values, document_state(doc, kind), doc.number)
        if not DOC_NUMBER.fullmatch(number):
            errors["number"] = "A number is 1-30 letters A-Z and digits (it is its barcode)."
        elif (doc is None or doc.number != number) and number_taken(number):
            errors["number"] = f"Number {number} is taken by another document."
        wh = _warehouse(values.get("warehouse", ""), errors) if doc is None else None
        header = {}
        if kind is RECEIPTS:
            header["supplier"] = (values.get("supplier") or "").strip()[:100]
            header["expected_on"] = _date(values.get("expected_on") or "", errors)
        lines = parse_lines(values.get("lines", ""), errors)
        if errors:
            raise Invalid(errors)
        before = document_state(doc, kind) if doc else None
        if doc is None:
            doc = kind.model(number=number, warehouse_id=wh.id)
            session.add(doc)
        doc.number = number
        for name, value in header.items():
            setattr(doc, name, value)
        doc.lines = [kind.line_model(item=item, **{kind.qty: qty}) for item, qty in lines]
        session.flush()
        audit.record(
            user,
            "update" if before else "create",
            kind.name,
            doc.id,
            before,
            document_state(doc, kind),
        )
    return doc


def _under_way(doc) -> str:
    if doc.status != DocStatus.OPEN:
        return f"{doc.number} is {doc.status.value.replace('_', ' ')}"
    return f"{doc.number} has been started on the floor"


def _started(doc) -> bool:
    if isinstance(doc, PickList) and doc.assigned_to_id:
        return True
    query = sa.select(StockMovement.id).where(StockMovement.reference == doc.number).limit(1)
    return db.session.scalar(query) is not None


def cancel_document(user: User, kind: DocKind, doc_id: int, reason: str = ""):
    """Cancel a receipt, pick list or count task that nobody has started on."""
    with write_transaction():
        doc = _get(kind.model, doc_id)
        if doc.status != DocStatus.OPEN or (kind.model is not CountTask and _started(doc)):
            raise Invalid({"form": f"{_under_way(doc)} already."})
        audit.record(
            user,
            "cancel",
            kind.name,
            doc.id,
            {"status": doc.status},
            {"status": DocStatus.CANCELLED},
            reason,
        )
        doc.status = DocStatus.CANCELLED
    return doc


def documents(kind: DocKind, limit: int = 200) -> list:
    model = kind.model
    return list(db.session.scalars(sa.select(model).order_by(model.id.desc()).limit(limit)))
