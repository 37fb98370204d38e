"""Labels that scan: what goes on each label (bin, item, lot, badge, document), and which
bins or thing an office user asked to label.

Our own codes (bins, badges, documents) are Code 128 of 0-9 A-Z; the human-readable form
may add dashes. Items print EAN-13/UPC-A/EAN-8 when they have a GTIN, else Code 128 of the
SKU; lots print GS1-128 (01)(17)(10), with the lot last so no separator is needed.

The bars are encoded in webapp/label_symbols.py and drawn (SVG, PNG, page sizes, ZPL) in
webapp/label_printing.py; both are re-exported here, so callers import them all from here.
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from .barcodes import check_value, dots_to_mm, is_valid_gtin, own_code
from .db import db
from .label_printing import DPIS, SIZES, Size, fit_dots, png, render, runs, svg, zpl
from .label_symbols import QUIET, FixedCode128, FixedGs1128, Symbol, encode, gs1_hri
from .models import CountTask, Item, Location, Lot, PickList, Receipt, User

__all__ = [
    "DOCUMENTS",
    "DPIS",
    "GS1_LOT",
    "KINDS",
    "NOUNS",
    "QUIET",
    "SIZES",
    "FixedCode128",
    "FixedGs1128",
    "Label",
    "Size",
    "Symbol",
    "badge_label",
    "check_value",
    "document_label",
    "dots_to_mm",
    "encode",
    "find",
    "fit_dots",
    "gs1_hri",
    "is_valid_gtin",
    "item_gtin",
    "item_label",
    "label_for",
    "location_label",
    "locations",
    "lot_label",
    "own_code",
    "png",
    "render",
    "runs",
    "svg",
    "zpl",
]

GS1_LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")  # GS1 character set 82


# --- what goes on each label ---------------------------------------------------------


@dataclass
class Label:
    kind: str
    big: str  # the text to read from afar
    symbol: Symbol
    lines: list[str] = field(default_factory=list)
    check: str | None = None


def location_label(loc: Location) -> Label:
    parts = [("Zone", loc.zone), ("Aisle", loc.aisle), ("Bay", loc.bay), ("Level", loc.level)]
    return Label(
        "location",
        loc.code,
        encode("code128", own_code(loc.barcode)),
        [" · ".join(f"{name} {value}" for name, value in parts if value)],
        check=check_value(loc.barcode),
    )


def item_gtin(item: Item) -> str | None:
    """The GTIN of a single unit of the item, if it has one."""
    for barcode in item.barcodes:
        if barcode.pack_qty == 1 and is_valid_gtin(barcode.code) and len(barcode.code) == 14:
            return barcode.code
    return None


def item_label(item: Item) -> Label:
    gtin = item_gtin(item)
    if gtin is None or gtin[0] != "0":
        symbol = encode("code128", item.sku) if gtin is None else gtin_128(gtin)
    elif gtin.startswith("000000"):
        symbol = encode("ean8", gtin[6:])
    elif gtin.startswith("00"):
        symbol = encode("upca", gtin[2:])
    else:
        symbol = encode("ean13", gtin[1:])
    return Label("item", item.sku, symbol, [item.description])


def gtin_128(gtin: str) -> Symbol:
    return encode("gs1_128", f"01{gtin}")


def lot_label(lot: Lot) -> Label:
    """GS1-128 (01)(17)(10) when the item has a GTIN and the lot fits GS1; else Code 128."""
    gtin = item_gtin(lot.item)
    lines = [f"{lot.item.sku} {lot.item.description}"]
    if lot.expiry:
        lines.append(f"Expires {lot.expiry:%Y-%m-%d}")
    if gtin and GS1_LOT.fullmatch(lot.code):
        expiry = f"17{lot.expiry:%y%m%d}" if lot.expiry else ""
        symbol = encode("gs1_128", f"01{gtin}{expiry}10{lot.code}")
    else:
        symbol = encode("code128", lot.code)
    return Label("lot", lot.code, symbol, lines)


def badge_label(user: User) -> Label:
    return Label("badge", user.name, encode("code128", own_code(user.badge or "")), [])


DOCUMENTS = {"receipt": Receipt, "pick-list": PickList, "count-task": CountTask}
NOUNS = {"receipt": "Receipt", "pick-list": "Pick list", "count-task": "Count task"}


def document_label(kind: str, doc) -> Label:
    return Label(kind, doc.number, encode("code128", own_code(doc.number)), [NOUNS[kind]])


def label_for(kind: str, id_: int) -> Label | None:
    """The label of one thing by kind and id, or None if there is no such thing."""
    if kind == "location":
        loc = db.session.get(Location, id_)
        return loc and location_label(loc)
    if kind == "item":
        item = db.session.get(Item, id_)
        return item and item_label(item)
    if kind == "lot":
        lot = db.session.get(Lot, id_)
        return lot and lot_label(lot)
    if kind == "badge":
        user = db.session.get(User, id_)
        return user and user.badge and badge_label(user)
    if kind in DOCUMENTS:
        doc = db.session.get(DOCUMENTS[kind], id_)
        return doc and document_label(kind, doc)
    return None


def locations(zone="", aisle="", first="", last="") -> list[Location]:
    """Bins to label, in code order: a zone, an aisle, and/or a range of codes."""
    q = sa.select(Location).order_by(Location.code)
    if zone:
        q = q.where(Location.zone == zone)
    if aisle:
        q = q.where(Location.aisle == aisle)
    if first:
        q = q.where(Location.code >= first.upper())
    if last:
        q = q.where(Location.code <= last.upper())
    return list(db.session.scalars(q))


def find(kind: str, code: str) -> int | None:
    """The id of what an office user typed: a bin code, SKU, lot code, username or number."""
    code = code.strip()
    if kind == "location":
        q = sa.select(Location.id).where(Location.barcode == own_code(code))
    elif kind == "item":
        q = sa.select(Item.id).where(Item.sku == code)
    elif kind == "lot":
        q = sa.select(Lot.id).where(Lot.code == code).order_by(Lot.id)
    elif kind == "badge":
        q = sa.select(User.id).where(sa.or_(User.username == code, User.badge == code.upper()))
    elif kind in DOCUMENTS:
        model = DOCUMENTS[kind]
        q = sa.select(model.id).where(model.number == code.upper())
    else:
        return None
    return db.session.scalars(q.limit(1)).first()


KINDS = {
    "location": "Bin",
    "item": "Item",
    "lot": "Lot",
    "badge": "Badge",
    "receipt": "Receipt",
    "pick-list": "Pick list",
    "count-task": "Count task",
}
