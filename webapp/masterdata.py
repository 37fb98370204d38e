"""Master data for the office: items with their barcodes, bins (one at a time or a whole
range), users, receipts, pick lists and count tasks.

Each use case takes the acting user and plain form values, checks every field, then
writes in one transaction together with its audit entry; or raises Invalid (field ->
message) and writes nothing. Cell rules (SKU, GTIN, bin code ...) are csvio's, so a form
and an import refuse the same things with the same words.
"""

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from . import audit, auth, csvio, users
from .barcodes import own_code
from .db import db, write_transaction
from .models import (
    CountTask,
    DocStatus,
    Item,
    ItemBarcode,
    Location,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    Role,
    StockBalance,
    StockMovement,
    User,
    Warehouse,
    utcnow,
)
from .stock import StockError

ITEM_FIELDS = [c for c in csvio.ITEM_COLUMNS if c != "barcodes"]
LOCATION_FIELDS = [c for c in csvio.LOCATION_COLUMNS if c != "warehouse"]
SEQUENCE_STEP = 10
MAX_RANGE = 2000
DOC_NUMBER = re.compile(r"[0-9A-Z]{1,30}")


class Invalid(StockError):
    """Form input that cannot be saved: a message per field ("form" for the whole)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def _parse(values: dict, parsers: dict, errors: dict) -> dict:
    parsed = {}
    for name, parse in parsers.items():
        if name in values:
            try:
                parsed[name] = parse((values[name] or "").strip())
            except csvio.BadValue as error:
                errors[name] = str(error)
    return parsed


def _get(model, id: int):
    row = db.session.get(model, id, populate_existing=True)
    if row is None:
        raise StockError(f"There is no {model.__tablename__.replace('_', ' ')} {id}.")
    return row


# --- items -------------------------------------------------------------------------------


def barcodes_text(item: Item) -> str:
    codes = sorted(item.barcodes, key=lambda b: (b.pack_qty, b.code))
    return ";".join(b.code if b.pack_qty == 1 else f"{b.code}*{b.pack_qty}" for b in codes)


_item_snapshot = csvio.item_state


def save_item(user: User, values: dict, item_id: int | None = None) -> Item:
    """Create an item (item_id None) or change one, with its barcodes and pack quantities."""
    errors: dict[str, str] = {}
    if item_id is None:  # a new item needs its key fields, sent or not
        values = {"sku": "", "description": "", **values}
    parsed = _parse(values, csvio.ITEM_PARSERS, errors)
    with write_transaction() as session:
        item = _get(Item, item_id) if item_id else None
        sku = parsed.get("sku")
        other = sku and session.scalar(sa.select(Item.id).where(Item.sku == sku))
        if other and other != item_id:
            errors["sku"] = f"SKU {sku} is already another item."
        for code, _ in parsed.get("barcodes", []):
            owner = session.scalar(sa.select(ItemBarcode.item_id).where(ItemBarcode.code == code))
            if owner and owner != item_id:
                sku_of = session.get(Item, owner).sku
                errors["barcodes"] = f"Barcode {code} belongs to item {sku_of}."
            elif session.scalar(sa.select(Location.id).where(Location.barcode == code)):
                errors["barcodes"] = f"{code} is a bin's barcode."
        tracking = parsed.get("tracking")
        if item and tracking and tracking != item.tracking and _has_movements(item.id):
            errors["tracking"] = f"{item.sku} has stock movements; its tracking cannot change."
        if errors:
            raise Invalid(errors)
        before = _item_snapshot(item) if item else None
        if item is None:
            item = Item(sku=sku)
            session.add(item)
        for name in ITEM_FIELDS:
            if name in parsed:
                setattr(item, name, parsed[name])
        if "barcodes" in parsed:
            wanted = dict(parsed["barcodes"])
            item.barcodes = [b for b in item.barcodes if b.code in wanted]
            for b in item.barcodes:
                b.pack_qty = wanted[b.code]
            session.flush()
            have = {b.code for b in item.barcodes}
            item.barcodes.extend(
                ItemBarcode(code=c, pack_qty=q) for c, q in wanted.items() if c not in have
            )
        session.flush()
        audit.record(
            user, "update" if before else "create", "item", item.id, before, _item_snapshot(item)
        )
    return item


def _has_movements(item_id: int) -> bool:
    query = sa.select(StockMovement.id).where(StockMovement.item_id == item_id).limit(1)
    return db.session.scalar(query) is not None


def _switch(user: User, record, entity: str, active: bool):
    """Switch an item or bin on or off, audited, inside the caller's transaction."""
    if record.active != active:
        audit.record(
            user,
            "activate" if active else "deactivate",
            entity,
            record.id,
            {"active": record.active},
            {"active": active},
        )
        record.active = active
    return record


def set_item_active(user: User, item_id: int, active: bool) -> Item:
    """Deactivate an item (nothing new can be received or listed for it) or bring it back."""
    with write_transaction():
        item = _switch(user, _get(Item, item_id), "item", active)
    return item


def items(search: str = "", limit: int = 200) -> list[Item]:
    query = sa.select(Item).order_by(Item.sku).limit(limit)
    if search:
        like = f"%{search}%"
        query = query.where(sa.or_(Item.sku.ilike(like), Item.description.ilike(like)))
    return list(db.session.scalars(query))


# --- bins --------------------------------------------------------------------------------


def _warehouse(code: str, errors: dict) -> Warehouse | None:
    code = (code or "").strip().upper()
    found = db.session.scalars(sa.select(Warehouse).order_by(Warehouse.code)).all()
    if not code and len(found) == 1:
        return found[0]
    for wh in found:
        if wh.code == code:
            return wh
    known = ", ".join(w.code for w in found) or "none yet"
    errors["warehouse"] = f"There is no warehouse “{code}” ({known})."
    return None


def next_sequence(warehouse_id: int) -> int:
    top = db.session.scalar(
        sa.select(sa.func.max(Location.sequence)).where(Location.warehouse_id == warehouse_id)
    )
    return (top or 0) + SEQUENCE_STEP


def _barcode_clash(barcode: str, location_id: int | None = None) -> str:
    owner = db.session.scalar(sa.select(Location).where(Location.barcode == barcode))
    if owner and owner.id != location_id:
        return f"Barcode {barcode} is already bin {owner.code}."
    if db.session.scalar(sa.select(ItemBarcode.id).where(ItemBarcode.code == barcode)):
        return f"{barcode} is an item's barcode."
    return ""


def save_location(user: User, values: dict, location_id: int | None = None) -> Location:
    """Create a bin or change one; a blank walking order for a new bin continues the last."""
    errors: dict[str, str] = {}
    if location_id is None:  # a new bin needs its key fields, sent or not
        values = {"code": "", "kind": "", **values}
    parsed = _parse(values, csvio.LOCATION_PARSERS, errors)
    with write_transaction() as session:
        location = _get(Location, location_id) if location_id else None
        wh = location.warehouse if location else _warehouse(values.get("warehouse", ""), errors)
        code = parsed.get("code")
        if wh and code:
            same = session.scalar(
                sa.select(Location.id).where(Location.warehouse_id == wh.id, Location.code == code)
            )
            if same and same != location_id:
                errors["code"] = f"Bin {code} exists already in {wh.code}."
            elif clash := _barcode_clash(own_code(code), location_id):
                errors["code"] = clash
        if location and parsed.get("active") is False and _holds_stock(location.id):
            errors["active"] = f"Bin {location.code} holds stock; move it out first."
        if errors:
            raise Invalid(errors)
        before = audit.snapshot(location, LOCATION_FIELDS) if location else None
        if location is None:
            if not (values.get("sequence") or "").strip():
                parsed["sequence"] = next_sequence(wh.id)
            location = Location(warehouse_id=wh.id)
        for name in LOCATION_FIELDS:
            if name in parsed:
                setattr(location, name, parsed[name])
        location.barcode = own_code(location.code)
        session.add(location)
        session.flush()
        audit.record(
            user,
            "update" if before else "create",
            "location",
            location.id,
            before,
            audit.snapshot(location, LOCATION_FIELDS),
        )
    return location


def _holds_stock(location_id: int) -> bool:
    query = sa.select(StockBalance.id).where(
        StockBalance.location_id == location_id, StockBalance.quantity > 0
    )
    return db.session.scalar(query.limit(1)) is not None


def set_location_active(user: User, location_id: int, active: bool) -> Location:
    """Deactivate a bin (empty ones only) or bring it back."""
    with write_transaction():
        location = _get(Location, location_id)
        if not active and _holds_stock(location.id):
            raise Invalid({"active": f"Bin {location.code} holds stock; move it out first."})
        _switch(user, location, "location", active)
    return location


def locations(warehouse: str = "", zone: str = "", limit: int = 500) -> list[Location]:
    query = sa.select(Location).join(Warehouse).order_by(Warehouse.code, Location.sequence)
    if warehouse:
        query = query.where(Warehouse.code == warehouse.upper())
    if zone:
        query = query.where(Location.zone == zone)
    return list(db.session.scalars(query.limit(limit)))


@dataclass
class RangePlan:
    """The bins a range would create, in walking order, and any that exist already."""

    warehouse: Warehouse | None = None
    bins: list[dict] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)


def _expand(text: str, what: str, errors: dict) -> list[str]:
    """ "01-20" -> 01 ... 20 (zero-padded like the first), "A-B" -> A, B, "1,3" -> 1, 3."""
    out: list[str] = []
    for part in filter(None, (p.strip() for p in (text or "").upper().split(","))):
        first, dash, last = (p.strip() for p in part.partition("-"))
        if not dash:
            last = first
        if first.isdigit() and last.isdigit() and int(first) <= int(last):
            out += [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]
        elif re.fullmatch(r"[A-Z]", first) and re.fullmatch(r"[A-Z]", last) and first <= last:
            out += [chr(c) for c in range(ord(first), ord(last) + 1)]
        elif not dash and re.fullmatch(r"[0-9A-Z]{1,10}", first):
            out.append(first)
        else:
            errors[what] = f"“{part}” is not a range: write 01-20, 1-4 or A-B."
            return []
    return out or [""]


def plan_range(values: dict) -> RangePlan:
    """Every bin of aisle x bays x levels x positions, codes like A-01-1-A, numbered on in
    walking order after the warehouse's last bin. Raises Invalid for bad input."""
    errors: dict[str, str] = {}
    plan = RangePlan(warehouse=_warehouse(values.get("warehouse", ""), errors))
    aisle = (values.get("aisle") or "").strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{1,10}", aisle):
        errors["aisle"] = "An aisle is 1-10 letters or digits."
    parts = {
        name: _expand(values.get(name, ""), name, errors) for name in ("bay", "level", "position")
    }
    common = _parse(values, {k: csvio.LOCATION_PARSERS[k] for k in ("kind", "zone")}, errors)
    count = len(parts["bay"]) * len(parts["level"]) * len(parts["position"])
    if count > MAX_RANGE:
        errors["form"] = f"That is {count} bins; make at most {MAX_RANGE} at a time."
    if errors:
        raise Invalid(errors)
    sequence = next_sequence(plan.warehouse.id)
    existing = set(db.session.scalars(sa.select(Location.barcode)))
    existing |= set(db.session.scalars(sa.select(ItemBarcode.code)))
    for bay in parts["bay"]:
        for level in parts["level"]:
            for position in parts["position"]:
                code = "-".join(p for p in (aisle, bay, level, position) if p)
                barcode = own_code(code)
                plan.bins.append(
                    dict(
                        code=code,
                        barcode=barcode,
                        aisle=aisle,
                        bay=bay,
                        level=level,
                        position=position,
                        sequence=sequence,
                        **common,
                    )
                )
                sequence += SEQUENCE_STEP
                if barcode in existing:
                    plan.clashes.append(code)
    return plan


def create_range(user: User, values: dict) -> list[Location]:
    """Create every bin of the range, or none if any of them (or its barcode) exists."""
    with write_transaction() as session:
        plan = plan_range(values)
        if plan.clashes:
            shown = ", ".join(plan.clashes[:10]) + (" …" if len(plan.clashes) > 10 else "")
            raise Invalid({"form": f"{len(plan.clashes)} of these bins exist already: {shown}."})
        made = [Location(warehouse_id=plan.warehouse.id, **b) for b in plan.bins]
        session.add_all(made)
        session.flush()
        for location in made:
            audit.record(
                user,
                "create",
                "location",
                location.id,
                None,
                audit.snapshot(location, LOCATION_FIELDS),
                reason="range",
            )
    return made


# --- users -------------------------------------------------------------------------------


def _pin(pin: str, errors: dict) -> str:
    if not re.fullmatch(r"\S{4,64}", pin or ""):
        errors["pin"] = "A PIN or password is 4-64 characters without spaces."
    return pin


def create_user(actor: User, values: dict) -> User:
    """Add a user with a role, PIN/password and optionally a badge."""
    errors: dict[str, str] = {}
    pin = _pin(values.get("pin", ""), errors)
    badge = auth.normalise_badge(values.get("badge", "")) or None
    if badge and db.session.scalar(sa.select(User.id).where(User.badge == badge)):
        errors["badge"] = f"Badge {badge} belongs to another user."
    if errors:
        raise Invalid(errors)
    try:
        user = users.create_user(
            values.get("username", ""),
            (values.get("name") or "").strip(),
            values.get("role", ""),
            pin,
            badge,
            created_by=actor,
        )
    except StockError as error:
        raise Invalid({"form": error.message}) from None
    return user


def change_role(actor: User, user_id: int, role: str) -> User:
    """Give a user another role; it applies at their next request."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(
            {"role": f"Role must be one of: {', '.join(r.value for r in Role)}."}
        ) from None
    if user_id == actor.id and role != actor.role:
        raise Invalid({"role": "You cannot change your own role; ask another admin."})
    with write_transaction():
        user = _get(User, user_id)
        if user.role != role:
            audit.record(actor, "update", "user", user.id, {"role": user.role}, {"role": role})
            user.role = role
    return user


def deactivate_user(actor: User, user_id: int, reason: str = "") -> User:
    """Switch a user off and sign them out on every device at once."""
    if user_id == actor.id:
        raise Invalid({"form": "You cannot switch yourself off; ask another admin."})
    return auth.deactivate_user(user_id, by=actor, reason=reason)


def reset_pin(actor: User, user_id: int, pin: str) -> User:
    """Set a new PIN, clear any lock, and end the user's sessions (the old PIN may be known)."""
    errors: dict[str, str] = {}
    _pin(pin, errors)
    if errors:
        raise Invalid(errors)
    with write_transaction():
        user = _get(User, user_id)
        user.password_hash = generate_password_hash(pin)
        user.failed_signins, user.locked_until = 0, None
        user.session_version += 1
        audit.record(actor, "reset_pin", "user", user.id, None, {"pin": "reset"})
    return user


def all_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


# --- receipts and pick lists -------------------------------------------------------------


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


def _doc_snapshot(doc, kind: DocKind) -> dict:
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


def save_document(user: User, kind: DocKind, values: dict, doc_id: int | None = None):
    """Create a receipt or pick list, or change one nobody has started on."""
    errors: dict[str, str] = {}
    number = (values.get("number") or "").strip().upper()
    with write_transaction() as session:
        doc = _get(kind.model, doc_id) if doc_id else None
        if not DOC_NUMBER.fullmatch(number):
            errors["number"] = "A number is 1-30 letters A-Z and digits (it is its barcode)."
        elif (doc is None or doc.number != number) and number_taken(number):
            errors["number"] = f"Number {number} is taken by another document."
        if doc is not None and (doc.status != DocStatus.OPEN or _started(doc)):
            errors["form"] = f"{doc.number} is {doc.status.value} or started; it cannot change."
        wh = _warehouse(values.get("warehouse", ""), errors) if doc is None else None
        header = {}
        if kind is RECEIPTS:
            header["supplier"] = (values.get("supplier") or "").strip()[:100]
            header["expected_on"] = _date(values.get("expected_on") or "", errors)
        lines = parse_lines(values.get("lines", ""), errors)
        if errors:
            raise Invalid(errors)
        before = _doc_snapshot(doc, kind) if doc else None
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
            _doc_snapshot(doc, kind),
        )
    return doc


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
            raise Invalid({"form": f"{doc.number} is {doc.status.value} or started already."})
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


# --- count tasks -------------------------------------------------------------------------

COUNT_TASKS = DocKind("count_task", CountTask, type(None), "")


def _bins_for(by: str, value: str, errors: dict) -> list[Location]:
    words = [w for w in re.split(r"[\s,;]+", (value or "").strip()) if w]
    if not words:
        errors["value"] = "Name the bins, the zone or the items to count."
        return []
    query = sa.select(Location).where(Location.active).order_by(Location.sequence)
    if by == "bin":
        codes = [w.upper() for w in words]
        found = list(db.session.scalars(query.where(Location.code.in_(codes))))
        missing = set(codes) - {loc.code for loc in found}
        if missing:
            errors["value"] = f"No active bin {', '.join(sorted(missing))}."
        return found
    if by == "zone":
        found = list(db.session.scalars(query.where(Location.zone.in_(words))))
        if not found:
            errors["value"] = f"No active bins in zone {', '.join(words)}."
        return found
    if by == "items":
        item_ids = dict(
            db.session.execute(sa.select(Item.sku, Item.id).where(Item.sku.in_(words))).all()
        )
        missing = set(words) - set(item_ids)
        if missing:
            errors["value"] = f"No item {', '.join(sorted(missing))}."
            return []
        holding = sa.select(StockBalance.location_id).where(
            StockBalance.item_id.in_(item_ids.values()), StockBalance.quantity > 0
        )
        found = list(db.session.scalars(query.where(Location.id.in_(holding))))
        if not found:
            errors["value"] = "No bin holds any of these items."
        return found
    errors["by"] = "Count by bin, zone or items."
    return []


@dataclass
class CountsMade:
    created: list[CountTask]
    skipped: list[str]  # bins that already have an open count


def create_count_tasks(user: User, by: str, value: str) -> CountsMade:
    """One count task per bin: the bins named, a zone's bins, or every bin holding any of
    the items. A bin with an open count already gets no second one."""
    errors: dict[str, str] = {}
    with write_transaction() as session:
        bins = _bins_for(by, value, errors)
        if errors:
            raise Invalid(errors)
        busy = set(
            session.scalars(
                sa.select(CountTask.location_id).where(CountTask.status == DocStatus.OPEN)
            )
        )
        made = CountsMade([], [])
        stamp = f"{utcnow():%y%m%d%H%M}"
        for location in bins:
            if location.id in busy:
                made.skipped.append(location.code)
                continue
            number, n = f"CT{stamp}{location.id}", 1
            while number_taken(number):
                n += 1
                number = f"CT{stamp}{location.id}N{n}"
            task = CountTask(
                number=number, location_id=location.id, source="manual", created_by_id=user.id
            )
            session.add(task)
            made.created.append(task)
        session.flush()
        for task in made.created:
            audit.record(
                user,
                "create",
                "count_task",
                task.id,
                None,
                {"number": task.number, "bin": task.location.code, "by": by},
            )
    return made


def open_count_tasks(limit: int = 300) -> list[CountTask]:
    query = sa.select(CountTask).where(CountTask.status == DocStatus.OPEN)
    return list(db.session.scalars(query.order_by(CountTask.id.desc()).limit(limit)))
