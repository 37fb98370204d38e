"""What a movement names, checked before anything is written: the quantity, the request's
key, the bins, the item, its lot or serial number and the user. Each check raises
StockError with a sentence a worker can act on. The lookups every scan makes are
statements built once: building a statement costs more than running it."""

import re
from datetime import date

import sqlalchemy as sa
from flask import current_app

from .barcodes import own_code
from .db import db
from .models import Item, Location, Lot, StockBalance, Tracking, User

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
balance = StockBalance.__table__


class StockError(Exception):
    """A refusal a worker can act on. Nothing was written."""

    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotEnoughStock(StockError):
    status = 409


class Forbidden(StockError):
    status = 403


_scanned_in = "check the quantity (was a barcode scanned into it?)."


def parse_quantity(value) -> int:
    """A whole number of units, 1 to MAX_QUANTITY, from an int or the text a worker typed."""
    most = current_app.config["MAX_QUANTITY"]
    if isinstance(value, bool) or value is None:
        raise StockError("Enter a quantity: a whole number of units.")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip()
        # Digits only: "1.000" is one unit to some workers and a thousand to others.
        if not re.fullmatch(r"[+-]?\d+", text):
            shown = text[:20] or "nothing"
            raise StockError(f"“{shown}” is not a quantity: enter a whole number of units.")
        if len(text) > 20:  # int() refuses 4,300 digits and more with a ValueError
            raise StockError(f"“{text[:20]}…” is far too long for a quantity: {_scanned_in}")
        n = int(text)
    if n <= 0:
        raise StockError(f"Quantity must be at least 1 (you entered {n}).")
    if n > most:
        raise StockError(f"{n:,} is more than {most:,} units at once: {_scanned_in}")
    return n


def check_key(key) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise StockError("This request has no valid request id; reload the page and scan again.")
    return key


def _kept_in_use(query):
    """A posting's read of the bins it writes to or from: FOR KEY SHARE OF location (what
    the movement's foreign keys would take anyway, taken before the check), read afresh. A
    bin being deactivated or changed in the office (FOR UPDATE) is then read as the office
    leaves it, and the office, in turn, waits for postings in flight before it checks the
    bin is empty. So no stock lands in a bin as it goes out of use."""
    return query.with_for_update(read=True, key_share=True, of=Location).execution_options(
        populate_existing=True
    )


BIN_BY_BARCODE = sa.select(Location).where(Location.barcode == sa.bindparam("barcode"))
_BIN_IN_USE = _kept_in_use(BIN_BY_BARCODE)
# Two plain parameters, not an expanding IN: its SQL is rewritten on every execution.
_TWO_BARCODES = Location.barcode.in_([sa.bindparam("first"), sa.bindparam("second")])
_BINS_BY_BARCODE = _kept_in_use(sa.select(Location).where(_TWO_BARCODES))
_ITEM_BY_SKU = sa.select(Item).where(Item.sku == sa.bindparam("sku"))


def find_location(code: str) -> Location:
    """A bin by its printed code (A-01-02-B) or its barcode (A0102B)."""
    location = db.session.scalar(BIN_BY_BARCODE, {"barcode": own_code(code or "")})
    if location is None:
        raise StockError(f"There is no bin “{(code or '').strip()[:30]}”. Check the label.")
    return location


def posting_location(code: str) -> Location:
    """A bin a posting writes to or from, in use or not (see `_kept_in_use`)."""
    location = db.session.scalar(_BIN_IN_USE, {"barcode": own_code(code or "")})
    if location is None:
        raise StockError(f"There is no bin “{(code or '').strip()[:30]}”. Check the label.")
    return location


def active_location(code: str) -> Location:
    location = posting_location(code)
    if not location.active:
        raise StockError(f"Bin {location.code} is not in use; choose another bin.")
    return location


def active_pair(from_bin: str, to_bin: str) -> tuple[Location, Location]:
    """The source and destination bins, read in one query (the scan path counts them)."""
    codes = [own_code(from_bin or ""), own_code(to_bin or "")]
    pair = {"first": codes[0], "second": codes[1]}
    found = {loc.barcode: loc for loc in db.session.scalars(_BINS_BY_BARCODE, pair)}
    for code, asked in zip(codes, (from_bin, to_bin), strict=True):
        if code not in found:
            raise StockError(f"There is no bin “{(asked or '').strip()[:30]}”. Check the label.")
        if not found[code].active:
            raise StockError(f"Bin {found[code].code} is not in use; choose another bin.")
    return found[codes[0]], found[codes[1]]


# Both bins and the item of a move or a pick, in one query: every posting scan runs it.
_PAIR_AND_ITEM = _kept_in_use(
    sa.select(Location, Item).join(Item, Item.sku == sa.bindparam("sku")).where(_TWO_BARCODES)
)


def pair_and_item(from_bin: str, to_bin: str, sku: str) -> tuple[Location, Location, Item]:
    codes = [own_code(from_bin or ""), own_code(to_bin or "")]
    params = {"first": codes[0], "second": codes[1], "sku": (sku or "").strip()}
    rows = db.session.execute(_PAIR_AND_ITEM, params)
    found = {location.barcode: (location, item) for location, item in rows}
    if all(code in found and found[code][0].active for code in codes):
        return found[codes[0]][0], found[codes[1]][0], found[codes[0]][1]
    source, target = active_pair(from_bin, to_bin)  # one of them is wrong: say which
    return source, target, find_item(sku)


def one_warehouse(source: Location, target: Location) -> None:
    """Stock moves within one warehouse: between two it would leave one and arrive in the
    other in the same instant, on no road (a transfer will pass through a transit location)."""
    if source.warehouse_id != target.warehouse_id:
        raise StockError(
            f"{target.code} is in warehouse {target.warehouse.code}, {source.code} in "
            f"{source.warehouse.code}: stock moves within one warehouse."
        )


def find_item(sku: str) -> Item:
    item = db.session.scalar(_ITEM_BY_SKU, {"sku": (sku or "").strip()})
    if item is None:
        raise StockError(f"There is no item “{(sku or '').strip()[:40]}”.")
    return item


def active_item(sku: str) -> Item:
    item = find_item(sku)
    if not item.active:
        raise StockError(f"Item {item.sku} is discontinued; it cannot be moved in or out.")
    return item


def existing_lot(item: Item, lot_code: str | None) -> Lot | None:
    """The lot a movement of existing stock names: required for tracked items."""
    lot_code = (lot_code or "").strip()
    if item.tracking == Tracking.NONE:
        if lot_code:
            raise StockError(f"Item {item.sku} is not tracked by lot; scan the item only.")
        return None
    if not lot_code:
        raise StockError(f"Item {item.sku} is tracked by {lot_word(item)}: scan or type it.")
    lot = db.session.scalar(sa.select(Lot).where(Lot.item_id == item.id, Lot.code == lot_code))
    if lot is None:
        raise StockError(f"{lot_word(item).capitalize()} {lot_code} of {item.sku} is not known.")
    return lot


def incoming_lot(item: Item, lot_code: str | None, expiry: date | None, qty: int) -> Lot | None:
    """The lot stock arrives in: created on first sight, its expiry checked after that."""
    lot_code = (lot_code or "").strip()
    if item.tracking == Tracking.NONE:
        if lot_code or expiry:
            raise StockError(f"Item {item.sku} is not tracked by lot; scan the item only.")
        return None
    if not lot_code:
        raise StockError(f"Item {item.sku} is tracked by {lot_word(item)}: scan or type it.")
    if len(lot_code) > 40:
        raise StockError(f"{lot_word(item).capitalize()} “{lot_code[:40]}…” is too long.")
    lot = db.session.scalar(sa.select(Lot).where(Lot.item_id == item.id, Lot.code == lot_code))
    if lot is None:
        lot = Lot(item_id=item.id, code=lot_code, expiry=expiry)
        db.session.add(lot)
        db.session.flush()
    elif expiry and lot.expiry and expiry != lot.expiry:
        raise StockError(
            f"Lot {lot_code} of {item.sku} expires {lot.expiry:%Y-%m-%d}, not {expiry:%Y-%m-%d}."
        )
    if item.tracking == Tracking.SERIAL:
        if qty != 1:
            raise StockError(f"Item {item.sku} is serialised: receive one unit per serial.")
        serial_not_in_stock(item, lot)
    return lot


def serial_not_in_stock(item: Item, serial: Lot) -> None:
    """A serial number is on hand once at most. The lot row is locked first (PostgreSQL),
    so two workers bringing the same serial in at once cannot both pass this check."""
    db.session.execute(sa.select(Lot.id).where(Lot.id == serial.id).with_for_update())
    held = sa.select(sa.func.sum(balance.c.quantity)).where(balance.c.lot_id == serial.id)
    if db.session.scalar(held):
        raise StockError(f"Serial {serial.code} of {item.sku} is already in stock.")


def lot_word(item: Item | None) -> str:
    """What the worker scans to tell an item's stock apart: "lot", or "serial number"."""
    return "serial number" if item is not None and item.tracking == Tracking.SERIAL else "lot"


def active_user(user: User) -> User:
    if user is None or not user.active:
        raise Forbidden("This user is not active; sign in again.")
    return user
