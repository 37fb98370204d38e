"""One parser and resolver for every scanned string.

`resolve(raw, context)` cleans what the scanner typed, decides how to read it (from the
AIM symbology identifier first, then the shape of the text and the step's context, never
"whichever parse succeeds"), and finds what it names: a bin, an item and its pack, a lot,
a document or a badge. It never raises: anything it cannot use comes back as UNKNOWN or
INVALID with a sentence for the worker.

How a scan is read:
- `]C1 ]d2 ]Q3 ]e0 ]J1` (GS1-128, GS1 DataMatrix, QR, DataBar, DotCode): GS1 element
  strings. So is text without an identifier that is parenthesised HRI `(01)...`, holds a
  group separator (or one of GS1_SEPARATORS' stand-ins), or starts with (01)/(02) and a
  valid GTIN followed by more fields, or (00) and a valid SSCC.
- `]E0 ]E3 ]E4 ]I0 ]I1` (EAN/UPC, ITF): a GTIN; a wrong check digit is a misread.
- Anything else: our own codes (bins, documents, badges: 0-9 A-Z, matched upper-cased
  and without dashes, because a scanner on a foreign keyboard layout or with caps lock on
  may type lower case), free item codes and lot codes (matched exactly first; upper,
  lower or inverted case only as a fallback, since their case can matter), and GTINs
  typed or sent without an identifier. A digits-only text of GTIN length with a wrong
  check digit that matches nothing is a misread, except on a lot step (a new lot).
- On a lot step, text that matches nothing is a new lot: kind LOT with no `lots`.

A scan of what the step asks for (a bin on a bin step, an item's barcode on an item step)
costs one query. Anything else costs two: one UNION ALL over every table it could name,
then the loading of the one thing chosen.
"""

import enum
import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from .barcodes import (
    GS,
    BarcodeError,
    is_valid_gtin,
    own_code,
    parse_gs1,
    to_gtin14,
    upce_to_upca,
)
from .db import db
from .models import CountTask, Item, ItemBarcode, Location, Lot, PickList, Receipt, User
from .stock import BIN_BY_BARCODE

log = logging.getLogger(__name__)

DEFAULT_SEPARATORS = ("\x1d", "<GS>", "{GS}", "^]", "~", "|", "\u241d")  # as in settings
MAX_LENGTH = 300
GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0", "]J1"}
GTIN_SYMBOLOGIES = {"]E0", "]E3", "]E4", "]I0", "]I1"}
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_HRI = re.compile(r"\(\d{2,4}\)")
_OWN = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")
_CONTROL = re.compile(r"[\x00-\x1c\x1e\x1f\x7f]")


class ScanKind(enum.StrEnum):
    LOCATION = "location"
    ITEM = "item"
    LOT = "lot"
    DOCUMENT = "document"
    USER = "user"
    UNKNOWN = "unknown"
    INVALID = "invalid"


CONTEXT_KIND = {
    "bin": ScanKind.LOCATION,
    "item": ScanKind.ITEM,
    "lot": ScanKind.LOT,
    "document": ScanKind.DOCUMENT,
    "badge": ScanKind.USER,
}


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
            return f"lot {self.lot}"
        if self.kind is ScanKind.DOCUMENT:
            noun = {Receipt: "receipt", PickList: "pick list", CountTask: "count task"}
            return f"{noun[type(self.document)]} {self.document.number}"
        if self.kind is ScanKind.USER:
            return "a badge"
        if self.kind is ScanKind.INVALID:
            return "a misread"
        return f"an unknown barcode “{_shown(self.text)}”"


def resolve(raw, context: str | None = None, *, separators=None) -> Scan:
    """What a scanned string names. Never raises."""
    scan = Scan(raw=raw if isinstance(raw, str) else repr(raw))
    try:
        _resolve(scan, raw, context, separators)
    except BarcodeError as exc:
        _invalid(scan, exc.message)
    except sa.exc.SQLAlchemyError:
        log.exception("scan %r could not be resolved", scan.raw[:MAX_LENGTH])
        _rollback_quietly()  # a failed statement poisons the PostgreSQL transaction
        _invalid(scan, "That scan could not be read; scan it again.")
    except Exception:  # noqa: BLE001 - a scan must never take the screen down
        log.exception("scan %r could not be resolved", scan.raw[:MAX_LENGTH])
        _invalid(scan, "That scan could not be read; scan it again.")
    if scan.kind in (ScanKind.UNKNOWN, ScanKind.INVALID) and not scan.message:
        scan.message = f"Unknown barcode “{_shown(scan.text)}”."
    return scan


def own_code_of(raw) -> str | None:
    """The code of ours (a bin's, a document's, a badge's) a scan would be looked up as,
    without looking it up; None if the scan cannot be one (GS1, a GTIN, other characters).
    A flow that expects a bin can try this straight away and resolve() only if it fails."""
    try:
        text, symbology = _cleaned(raw)
    except BarcodeError:
        return None
    if symbology not in (None, "]C0", "]d1", "]Q1"):
        return None
    if not (text.isascii() and _OWN.fullmatch(text)):
        return None
    separators = current_app.config.get("GS1_SEPARATORS") or DEFAULT_SEPARATORS
    if _gs1_text(text, symbology, separators) is not None:
        return None
    return own_code(text)


def _cleaned(raw) -> tuple[str, str | None]:
    """The scanned text without what a scanner adds, and the AIM symbology it announced."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        raise BarcodeError("Nothing was scanned.")
    text = raw.strip().strip("\x00\x02\x03\x04\r\n\t").strip()
    symbology = None
    if aim := _AIM.match(text):
        symbology = _symbology(aim.group())
        text = text[3:].strip()
    return text, symbology


def _resolve(scan: Scan, raw, context, separators) -> None:
    text, scan.symbology = _cleaned(raw)
    scan.text = text
    if not text:
        raise BarcodeError("Nothing was scanned; scan again.")
    if len(text) > MAX_LENGTH:
        raise BarcodeError(f"Too long for a barcode we know ({len(text)} characters).")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BarcodeError("Unreadable characters in the scan; scan it again.") from exc
    if _CONTROL.search(text):
        raise BarcodeError("Unreadable characters in the scan; scan it again.")

    seps = separators or current_app.config.get("GS1_SEPARATORS") or DEFAULT_SEPARATORS
    gs1 = _gs1_text(text, scan.symbology, seps)
    if gs1 is not None:
        _resolve_gs1(scan, gs1)
    elif scan.symbology in GTIN_SYMBOLOGIES:
        gtins = _gtins(text, scan.symbology)
        if not gtins:
            raise BarcodeError(_misread(text))
        _lookup(scan, text, gtins=gtins, plain=False, context=ScanKind.ITEM)
    elif GS in text:
        raise BarcodeError("A GS1 code in a barcode that cannot carry one; scan it again.")
    else:
        _resolve_plain(scan, text, CONTEXT_KIND.get(context or "any"))


def _symbology(aim: str) -> str:
    known = GS1_SYMBOLOGIES | GTIN_SYMBOLOGIES
    if aim not in known and aim.swapcase()[:2] + aim[2] in known:
        return aim.swapcase()[:2] + aim[2]  # caps lock inverts the letter
    return aim


def _gs1_text(text: str, symbology: str | None, seps) -> tuple[str, bool] | None:
    """(element string, is_hri) when this scan is to be read as GS1, else None."""
    if text.startswith("(") and _HRI.match(text) and symbology in (None, *GS1_SYMBOLOGIES):
        return text, True
    for sep in seps:
        if sep:
            text = text.replace(sep, GS)
    if symbology in GS1_SYMBOLOGIES:
        return text.strip(GS), False
    if symbology is not None and symbology not in ("]C0", "]d1", "]Q1"):
        return None
    # Element strings start with an AI's digits; a free code holding "~" or "|" does not.
    if GS in text.strip(GS) and text.lstrip(GS)[:2].isdigit() and text.isascii():
        return text.strip(GS), False
    if text.isascii() and len(text) > 16 and text[:2] in ("01", "02"):
        return (text, False) if is_valid_gtin(text[2:16]) else None
    if text.isascii() and len(text) >= 20 and text.startswith("00") and text[2:20].isdigit():
        return (text, False) if is_valid_gtin(text[2:20]) else None
    return None


def _resolve_gs1(scan: Scan, gs1: tuple[str, bool]) -> None:
    fields = parse_gs1(gs1[0], hri=gs1[1])
    scan.gs1 = fields
    scan.quantity = fields.get("37", fields.get("30"))
    scan.lot = fields.get("10")
    scan.serial = fields.get("21")
    scan.expiry = fields.get("17", fields.get("15"))
    scan.sscc = fields.get("00")
    gtin = fields.get("01") or fields.get("02")
    lot = scan.lot or scan.serial
    if gtin:
        _lookup(scan, gtin, gtins=[gtin], lot=lot, plain=False, context=ScanKind.ITEM)
        if scan.kind is ScanKind.UNKNOWN:
            scan.message = f"Unknown item: GTIN {gtin} is not in the item list."
    elif lot:
        _lookup(scan, lot, lot=lot, plain=False, context=ScanKind.LOT)
        if scan.kind is ScanKind.UNKNOWN:
            scan.kind, scan.lot = ScanKind.LOT, lot  # a lot we have not seen yet
    elif scan.sscc:
        scan.message = f"Pallet SSCC {scan.sscc} is not known here; scan the item or its case."
    else:
        ais = ", ".join(f"({ai})" for ai in fields)
        scan.message = f"This GS1 code ({ais}) names no item or lot."


def _gtins(text: str, symbology: str | None) -> list[str]:
    """The GTIN-14s a digits-only text can stand for, by what the scanner said it read."""
    if not (text.isascii() and text.isdigit()):
        return []
    if symbology == "]E0" and len(text) == 8:  # UPC-E
        upca = upce_to_upca(text)
        return [upca.zfill(14)] if upca else []
    if symbology == "]E4" and len(text) != 8:
        return []
    if symbology in ("]I0", "]I1") and len(text) != 14:
        return []
    found = [to_gtin14(text)] if len(text) in (8, 12, 13, 14) else []
    if symbology is None and len(text) == 8:  # typed: EAN-8 first, else UPC-E
        upca = upce_to_upca(text)
        found.append(upca.zfill(14) if upca else None)
    return [gtin for gtin in found if gtin]


def _resolve_plain(scan: Scan, text: str, context: ScanKind | None) -> None:
    digits = text.isascii() and text.isdigit() and len(text) in (8, 12, 13, 14)
    gtins = _gtins(text, scan.symbology) if digits else []
    _lookup(scan, text, gtins=gtins, lot=text, plain=True, context=context)
    if scan.kind is not ScanKind.UNKNOWN:
        return
    if digits and not gtins and context is not ScanKind.LOT:
        raise BarcodeError(_misread(text))
    if context is ScanKind.LOT and len(text) <= 40 and text.isprintable():
        scan.kind, scan.lot = ScanKind.LOT, text  # a new lot, e.g. while receiving


def _misread(text: str) -> str:
    return f"Check digit wrong: {text} is a misread; scan it again."


# --- the database: one UNION ALL to find, one query to load ----------------------------


def _lookup(scan, text, *, gtins=(), lot=None, plain, context) -> None:
    own = own_code(text) if text.isascii() and _OWN.fullmatch(text) else None
    if plain and _as_expected(scan, text, own, gtins, context):
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


def _as_expected(scan, text, own, gtins, context) -> bool:
    if context is ScanKind.LOCATION and own:
        scan.location = db.session.scalar(BIN_BY_BARCODE, {"barcode": own})
        if scan.location is not None:
            scan.kind = ScanKind.LOCATION
            return True
    elif context is ScanKind.ITEM:
        row = db.session.execute(_ITEM, {"codes": [text, *gtins]}).first()
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


def _invalid(scan: Scan, message: str) -> None:
    scan.kind, scan.message = ScanKind.INVALID, message
    scan.location = scan.item = scan.document = scan.user = None
    scan.lots = []


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.exception("rollback after a failed scan failed too")


def _shown(text: str) -> str:
    """The scan as a worker may see it: separators visible, junk replaced, kept short."""
    shown = _CONTROL.sub("\ufffd", (text or "").replace(GS, "<GS>"))
    return shown if len(shown) <= 60 else shown[:57] + "…"
