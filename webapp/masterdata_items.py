"""Items for the office: create or change one with its barcodes and pack quantities,
switch one off or back on, and list them."""

import sqlalchemy as sa

from . import audit, csvio
from .db import db, write_transaction
from .masterdata_forms import (
    Invalid,
    _get,
    _parse,
    _switch,
    check_unchanged,
    once_more_if_beaten,
)
from .models import Item, ItemBarcode, Location, StockMovement, User

ITEM_FIELDS = [c for c in csvio.ITEM_COLUMNS if c != "barcodes"]


_item_snapshot = csvio.item_state


@once_more_if_beaten
def save_item(user: User, values: dict, item_id: int | None = None) -> Item:
    """Create an item (item_id None) or change one, with its barcodes and pack quantities."""
    errors: dict[str, str] = {}
    if item_id is None:  # a new item needs its key fields, sent or not
        values = {"sku": "", "description": "", **values}
    parsed = _parse(values, csvio.ITEM_PARSERS, errors)
    with write_transaction() as session:
        item = _get(Item, item_id) if item_id else None
        if item:
            check_unchanged(values, _item_snapshot(item), f"Item {item.sku}")
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
        if parsed.get("zone") and parsed["zone"] not in csvio.bin_zones():
            reason = csvio.no_such_zone(parsed["zone"])
            errors["zone"] = f"{reason[0].upper()}{reason[1:]}."
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
