"""Bins for the office: create or change one, switch one off or back on, list them, and
plan or create a whole range (aisle x bays x levels x positions) at once."""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import audit, csvio
from .barcodes import own_code
from .db import db, write_transaction
from .masterdata_forms import (
    Invalid,
    _get,
    _parse,
    _switch,
    _warehouse,
    check_unchanged,
    once_more_if_beaten,
)
from .models import ItemBarcode, Location, StockBalance, User, Warehouse

LOCATION_FIELDS = [c for c in csvio.LOCATION_COLUMNS if c != "warehouse"]
SEQUENCE_STEP = 10
MAX_RANGE = 2000


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


@once_more_if_beaten
def save_location(user: User, values: dict, location_id: int | None = None) -> Location:
    """Create a bin or change one; a blank walking order for a new bin continues the last."""
    errors: dict[str, str] = {}
    if location_id is None:  # a new bin needs its key fields, sent or not
        values = {"code": "", "kind": "", **values}
    parsed = _parse(values, csvio.LOCATION_PARSERS, errors)
    with write_transaction() as session:
        location = _get(Location, location_id) if location_id else None
        if location:
            check_unchanged(values, csvio.location_state(location), f"Bin {location.code}")
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
        digits = re.fullmatch(r"[0-9]{1,10}", first) and re.fullmatch(r"[0-9]{1,10}", last)
        if digits and int(first) <= int(last):
            if int(last) - int(first) >= MAX_RANGE:  # refused before it is spelled out
                errors[what] = (
                    f"{part} is {int(last) - int(first) + 1:,} {what}s; "
                    f"make at most {MAX_RANGE:,} bins at a time."
                )
                return []
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
    fields = {k: values.get(k, "") for k in ("kind", "zone")}  # a missing kind is refused too
    common = _parse(fields, {k: csvio.LOCATION_PARSERS[k] for k in fields}, errors)
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


@once_more_if_beaten
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
