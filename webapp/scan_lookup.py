"""What a scan names (a Scan and its ScanKind), found in the database: what the step asks
for in one query, anything else in one UNION ALL over every table it could name and one
query to load the thing chosen. scan.py decides which text to look up and how.
"""

import enum
import functools
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from .barcodes import own_code
from .db import db
from .models import (
    CountTask,
    Item,
    ItemBarcode,
    Location,
    Lot,
    PickList,
    Receipt,
    Tracking,
    User,
)
from .scan_text import OWN_PATTERN, as_shown
from .stock import BIN_BY_BARCODE


class ScanKind(enum.StrEnum):
    LOCATION = "location"
    ITEM = "item"
    LOT = "lot"
    DOCUMENT = "document"
    USER = "user"
    UNKNOWN = "unknown"
    INVALID = "invalid"


@dataclass
class Scan:
    """What a scan named, and everything a GS1 code carried with it."""

    raw: str
    text: str = ""
    kind: ScanKind = ScanKind.UNKNOWN
    message: str | None = None
    symbology: str | None = None
    location: Location | None = None
    item: Item | None = None
    pack_qty: int = 1
    quantity: int | None = None  # GS1 (30)/(37): a count of the scanned trade item
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    sscc: str | None = None
    lots: list[Lot] = field(default_factory=list)
    document: Receipt | PickList | CountTask | None = None
    user: User | None = None
    gs1: dict = field(default_factory=dict)

    @property
    def lot_code(self) -> str | None:
        """The lot or serial number the scan carries for its item, as the item is tracked:
        GS1 (21) names a serial-tracked item's unit, (10) a lot-tracked item's lot."""
        if self.item is not None and self.item.tracking == Tracking.SERIAL:
            return self.serial or self.lot
        return self.lot

    @property
    def units(self) -> int:
        """Units this scan stands for: GS1 count (or one) times the pack quantity."""
        return (self.quantity or 1) * self.pack_qty

    def describe(self) -> str:
        """A short noun phrase: "That is <describe()>; scan a bin first"."""
        if self.kind is ScanKind.LOCATION:
            return f"bin {self.location.code}"
        if self.kind is ScanKind.ITEM:
            return f"item {self.item.sku} ({self.item.description})"
        if self.kind is ScanKind.LOT:
            serial = self.lots and all(lot.item.tracking == Tracking.SERIAL for lot in self.lots)
            return f"{'serial number' if serial else 'lot'} {self.lot}"
        if self.kind is ScanKind.DOCUMENT:
            noun = {Receipt: "receipt", PickList: "pick list", CountTask: "count task"}
            return f"{noun[type(self.document)]} {self.document.number}"
        if self.kind is ScanKind.USER:
            return "a badge"
        if self.kind is ScanKind.INVALID:
            return "a misread"
        return f"an unknown barcode “{as_shown(self.text)}”"


# --- the database: one UNION ALL to find, one query to load ----------------------------


def lookup(scan, text, *, gtins=(), lot=None, plain, context, item=None) -> None:
    own = own_code(text) if text.isascii() and OWN_PATTERN.fullmatch(text) else None
    # What the step asks for, found and loaded in one query. A plain scan may be anything;
    # a GTIN read as such (no lot with it) can only be an item's barcode.
    if plain:
        expected = _as_expected(scan, [text, *gtins], own, context, item)
    else:
        codes = list(gtins) if lot is None else []
        expected = bool(codes) and _as_expected(scan, codes, None, context, item)
    if expected:
        return
    keys = _case_forms(text)
    lot_keys = _case_forms(lot) if lot else set()
    query = _finder(bool(gtins), plain, bool(own), bool(lot_keys))
    if query is None:
        return
    params = {
        "item_keys": list(set(gtins) | (keys if plain else set())),
        "keys": list(keys),
        "own": own,
        "own_keys": list(keys | {own} if own else keys),
        "lot_keys": list(lot_keys),
        "gtins": list(gtins),
    }
    rows = db.session.execute(query, params).all()
    if not rows:
        return
    order = ["item", "sku", "location", "Receipt", "PickList", "CountTask", "user", "lot"]
    if gtins and not plain:
        order = ["item", "lot"]

    def kind_of(r):
        kinds = {"item": ScanKind.ITEM, "sku": ScanKind.ITEM, "lot": ScanKind.LOT}
        kinds |= {"location": ScanKind.LOCATION, "user": ScanKind.USER}
        return kinds.get(r.k, ScanKind.DOCUMENT)

    def rank(r):
        exact = r.c == text or r.c in gtins or (r.k == "location" and r.c == own)
        return (kind_of(r) is not context, not exact, order.index(r.k))

    best = min(rows, key=rank)
    _load(scan, best, kind_of(best), [r for r in rows if r.k == "lot" and rank(r) == rank(best)])
    if not plain and best.k == "item" and lot_keys:  # GS1: the item's own lot, if known
        lot_rows = [r for r in rows if r.k == "lot"]
        ids = [r.id for r in lot_rows if r.c == lot] or [r.id for r in lot_rows]
        scan.lots = list(db.session.scalars(sa.select(Lot).where(Lot.id.in_(ids)))) if ids else []


# What a step asks for, found and loaded in one query. Whatever else the scan might also
# match, the full search below would rank this first: the kind the step expects, matched
# exactly. So a scan costs one query when it is what the step wants.
_ITEM = (
    sa.select(Item, ItemBarcode.pack_qty)
    .join(ItemBarcode, ItemBarcode.item_id == Item.id)
    .where(ItemBarcode.code.in_(sa.bindparam("codes", expanding=True)))
    .limit(1)
)


def _as_expected(scan, codes, own, context, item) -> bool:
    if context is ScanKind.LOCATION and own:
        scan.location = db.session.scalar(BIN_BY_BARCODE, {"barcode": own})
        if scan.location is not None:
            scan.kind = ScanKind.LOCATION
            return True
    elif context is ScanKind.ITEM:
        if item is not None and "barcodes" not in sa.inspect(item).unloaded:
            pack = next((b.pack_qty for b in item.barcodes if b.code in codes), None)
            if pack is not None:
                scan.kind, scan.item, scan.pack_qty = ScanKind.ITEM, item, pack
                return True
        row = db.session.execute(_ITEM, {"codes": codes}).first()
        if row is not None:
            scan.kind, scan.item, scan.pack_qty = ScanKind.ITEM, row[0], row[1]
            return True
    return False


@functools.cache
def _finder(gtins: bool, plain: bool, own: bool, lot: bool):
    """The UNION ALL that finds what a scan names, built once per shape (building it is
    most of a scan's Python time); the values go in as expanding bound parameters."""

    def param(name):
        return sa.bindparam(name, expanding=True)

    def row(kind, id_, code, pack=None):
        pack = sa.literal(1) if pack is None else pack
        return sa.select(sa.literal(kind).label("k"), id_.label("id"), code.label("c"), pack)

    parts = []
    if gtins or plain:
        parts.append(
            row("item", ItemBarcode.item_id, ItemBarcode.code, ItemBarcode.pack_qty).where(
                ItemBarcode.code.in_(param("item_keys"))
            )
        )
    if plain:  # an item label without a GTIN carries the SKU
        parts.append(row("sku", Item.id, Item.sku).where(Item.sku.in_(param("keys"))))
    if plain and own:
        parts.append(
            row("location", Location.id, Location.barcode).where(
                Location.barcode == sa.bindparam("own")
            )
        )
        for model in (Receipt, PickList, CountTask):
            parts.append(
                row(model.__name__, model.id, model.number).where(
                    model.number.in_(param("own_keys"))
                )
            )
        parts.append(row("user", User.id, User.badge).where(User.badge.in_(param("own_keys"))))
    if lot:
        q = row("lot", Lot.id, Lot.code).where(Lot.code.in_(param("lot_keys")))
        if gtins and not plain:
            q = q.where(
                Lot.item_id.in_(
                    sa.select(ItemBarcode.item_id).where(ItemBarcode.code.in_(param("gtins")))
                )
            )
        parts.append(q)
    return sa.union_all(*parts) if parts else None


def _case_forms(text: str) -> set[str]:
    """The text as typed, and as caps lock or a foreign layout may have turned it.

    Matching these (not a case-insensitive comparison) keeps the unique indexes in use;
    an exact match always wins over another case.
    """
    return {text, text.upper(), text.lower(), text.swapcase()}


def _load(scan: Scan, best, kind: ScanKind, lot_rows) -> None:
    scan.kind = kind
    if kind is ScanKind.ITEM:
        scan.item = db.session.get(Item, best.id)
        scan.pack_qty = best[3]
    elif kind is ScanKind.LOCATION:
        scan.location = db.session.get(Location, best.id)
    elif kind is ScanKind.USER:
        scan.user = db.session.get(User, best.id)
    elif kind is ScanKind.DOCUMENT:
        model = {"Receipt": Receipt, "PickList": PickList, "CountTask": CountTask}[best.k]
        scan.document = db.session.get(model, best.id)
    else:
        ids = [r.id for r in lot_rows]
        scan.lots = list(db.session.scalars(sa.select(Lot).where(Lot.id.in_(ids)).order_by(Lot.id)))
        scan.lot = scan.lot or best.c
        expiries = {lot.expiry for lot in scan.lots}
        if scan.expiry is None and len(expiries) == 1:
            scan.expiry = expiries.pop()
