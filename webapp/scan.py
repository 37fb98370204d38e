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

This module reads the scan and decides what to look up. scan_text cleans the text and
tells GS1, GTINs and our own codes apart; scan_lookup holds the Scan and finds what it
names in the database. What callers use from them is re-exported here.
"""

import logging

import sqlalchemy as sa
from flask import current_app

from .barcodes import GS, BarcodeError, parse_gs1
from .db import db
from .scan_lookup import Scan, ScanKind, lookup
from .scan_text import (
    CONTROL_CHARACTERS,
    DEFAULT_SEPARATORS,
    GTIN_SYMBOLOGIES,
    as_shown,
    cleaned,
    gs1_text,
    gtins_of,
    misread,
)
from .scan_text import GS1_SYMBOLOGIES as GS1_SYMBOLOGIES
from .scan_text import own_code_of as own_code_of

log = logging.getLogger(__name__)

MAX_LENGTH = 300


CONTEXT_KIND = {
    "bin": ScanKind.LOCATION,
    "item": ScanKind.ITEM,
    "lot": ScanKind.LOT,
    "document": ScanKind.DOCUMENT,
    "badge": ScanKind.USER,
}


def resolve(raw, context: str | None = None, *, separators=None, item=None) -> Scan:
    """What a scanned string names. Never raises, but for the database out of reach (a
    503, which the handheld resends). `item`: the item the step expects, with its
    barcodes loaded; a scan of one of them is then known without a query."""
    scan = Scan(raw=raw if isinstance(raw, str) else repr(raw))
    try:
        _resolve(scan, raw, context, separators, item)
    except BarcodeError as exc:
        _invalid(scan, exc.message)
    except (sa.exc.OperationalError, sa.exc.TimeoutError):
        raise  # not the scan's fault: errors.py answers 503, and the scan is sent again
    except sa.exc.SQLAlchemyError:
        log.exception("scan %r could not be resolved", scan.raw[:MAX_LENGTH])
        _rollback_quietly()  # a failed statement poisons the PostgreSQL transaction
        _invalid(scan, "That scan could not be read; scan it again.")
    except Exception:  # noqa: BLE001 - a scan must never take the screen down
        log.exception("scan %r could not be resolved", scan.raw[:MAX_LENGTH])
        _invalid(scan, "That scan could not be read; scan it again.")
    if scan.kind in (ScanKind.UNKNOWN, ScanKind.INVALID) and not scan.message:
        scan.message = f"Unknown barcode “{as_shown(scan.text)}”."
    return scan


def _resolve(scan: Scan, raw, context, separators, item) -> None:
    text, scan.symbology = cleaned(raw)
    scan.text = text
    if not text:
        raise BarcodeError("Nothing was scanned; scan again.")
    if len(text) > MAX_LENGTH:
        raise BarcodeError(f"Too long for a barcode we know ({len(text)} characters).")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BarcodeError("Unreadable characters in the scan; scan it again.") from exc
    if CONTROL_CHARACTERS.search(text):
        raise BarcodeError("Unreadable characters in the scan; scan it again.")

    seps = separators or current_app.config.get("GS1_SEPARATORS") or DEFAULT_SEPARATORS
    gs1 = gs1_text(text, scan.symbology, seps)
    if gs1 is not None:
        _resolve_gs1(scan, gs1)
    elif scan.symbology in GTIN_SYMBOLOGIES:
        gtins = gtins_of(text, scan.symbology)
        if not gtins:
            raise BarcodeError(misread(text))
        lookup(scan, text, gtins=gtins, plain=False, context=ScanKind.ITEM, item=item)
    elif GS in text:
        raise BarcodeError("A GS1 code in a barcode that cannot carry one; scan it again.")
    else:
        _resolve_plain(scan, text, CONTEXT_KIND.get(context or "any"), item)


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
        lookup(scan, gtin, gtins=[gtin], lot=lot, plain=False, context=ScanKind.ITEM)
        if scan.kind is ScanKind.UNKNOWN:
            scan.message = f"Unknown item: GTIN {gtin} is not in the item list."
    elif lot:
        lookup(scan, lot, lot=lot, plain=False, context=ScanKind.LOT)
        if scan.kind is ScanKind.UNKNOWN:
            scan.kind, scan.lot = ScanKind.LOT, lot  # a lot we have not seen yet
    elif scan.sscc:
        scan.message = f"Pallet SSCC {scan.sscc} is not known here; scan the item or its case."
    else:
        ais = ", ".join(f"({ai})" for ai in fields)
        scan.message = f"This GS1 code ({ais}) names no item or lot."


def _resolve_plain(scan: Scan, text: str, context: ScanKind | None, item) -> None:
    digits = text.isascii() and text.isdigit() and len(text) in (8, 12, 13, 14)
    gtins = gtins_of(text, scan.symbology) if digits else []
    lookup(scan, text, gtins=gtins, lot=text, plain=True, context=context, item=item)
    if scan.kind is not ScanKind.UNKNOWN:
        return
    if digits and not gtins and context is not ScanKind.LOT:
        raise BarcodeError(misread(text))
    if context is ScanKind.LOT and len(text) <= 40 and text.isprintable():
        scan.kind, scan.lot = ScanKind.LOT, text  # a new lot, e.g. while receiving


def _invalid(scan: Scan, message: str) -> None:
    scan.kind, scan.message = ScanKind.INVALID, message
    scan.location = scan.item = scan.document = scan.user = None
    scan.lots = []


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.exception("rollback after a failed scan failed too")
