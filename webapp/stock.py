"""The stock ledger: the only way stock changes.

Each use case validates plain values, appends movements, changes balances and commits,
all in one transaction, or raises StockError with a message a worker can act on and writes
nothing. Decrements are conditional (`UPDATE ... SET quantity = quantity - n WHERE
quantity >= n`), so two workers taking the last units of a bin can never drive it
negative, on SQLite (one writer) or PostgreSQL (READ COMMITTED re-checks the WHERE).

Every call carries the client's idempotency key: the same key again returns the first
result (`replayed=True`) and writes nothing, so a double press, a resent request or an
offline queue replayed hours later posts once. A use case that writes several movements
keys them `KEY`, `KEY:2`, `KEY:3` ...
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from .barcodes import own_code
from .db import db, transactional
from .models import (
    Item,
    Location,
    LocationKind,
    Lot,
    MovementKind,
    Role,
    StockBalance,
    StockMovement,
    Tracking,
    User,
    utcnow,
)

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
balance = StockBalance.__table__
movement_t = StockMovement.__table__


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


@dataclass(frozen=True)
class Posted:
    """What a use case wrote, or found already written for the same key."""

    movements: list[StockMovement]
    replayed: bool = False

    @property
    def movement(self) -> StockMovement:
        return self.movements[0]


# --- validation of plain values ------------------------------------------------------


def parse_quantity(value) -> int:
    """A whole number of units, 1 to MAX_QUANTITY, from an int or the text a worker typed."""
    most = current_app.config["MAX_QUANTITY"]
    if isinstance(value, bool) or value is None:
        raise StockError("Enter a quantity: a whole number of units.")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+(\.0*)?", text):
            shown = text[:20] or "nothing"
            raise StockError(f"“{shown}” is not a quantity: enter a whole number of units.")
        n = int(text.split(".")[0])
    if n <= 0:
        raise StockError(f"Quantity must be at least 1 (you entered {n}).")
    if n > most:
        raise StockError(
            f"{n:,} is more than {most:,} units at once: check the quantity "
            "(was a barcode scanned into it?)."
        )
    return n


def _check_key(key) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise StockError("This request has no valid request id; reload the page and scan again.")
    return key


def find_location(code: str) -> Location:
    """A bin by its printed code (A-01-02-B) or its barcode (A0102B)."""
    location = db.session.scalar(
        sa.select(Location).where(Location.barcode == own_code(code or ""))
    )
    if location is None:
        raise StockError(f"There is no bin “{(code or '').strip()[:30]}”. Check the label.")
    return location


def _active_location(code: str) -> Location:
    location = find_location(code)
    if not location.active:
        raise StockError(f"Bin {location.code} is not in use; choose another bin.")
    return location


def _active_pair(from_bin: str, to_bin: str) -> tuple[Location, Location]:
    """The source and destination bins, read in one query (the scan path counts them)."""
    codes = [own_code(from_bin or ""), own_code(to_bin or "")]
    found = {
        loc.barcode: loc
        for loc in db.session.scalars(sa.select(Location).where(Location.barcode.in_(codes)))
    }
    for code, asked in zip(codes, (from_bin, to_bin), strict=True):
        if code not in found:
            raise StockError(f"There is no bin “{(asked or '').strip()[:30]}”. Check the label.")
        if not found[code].active:
            raise StockError(f"Bin {found[code].code} is not in use; choose another bin.")
    return found[codes[0]], found[codes[1]]


def find_item(sku: str) -> Item:
    item = db.session.scalar(sa.select(Item).where(Item.sku == (sku or "").strip()))
    if item is None:
        raise StockError(f"There is no item “{(sku or '').strip()[:40]}”.")
    return item


def _active_item(sku: str) -> Item:
    item = find_item(sku)
    if not item.active:
        raise StockError(f"Item {item.sku} is discontinued; it cannot be moved in or out.")
    return item


def _existing_lot(item: Item, lot_code: str | None) -> Lot | None:
    """The lot a movement of existing stock names: required for tracked items."""
    lot_code = (lot_code or "").strip()
    if item.tracking == Tracking.NONE:
        if lot_code:
            raise StockError(f"Item {item.sku} is not tracked by lot; scan the item only.")
        return None
    if not lot_code:
        raise StockError(f"Item {item.sku} is tracked by {_lot_word(item)}: scan or type it.")
    lot = db.session.scalar(sa.select(Lot).where(Lot.item_id == item.id, Lot.code == lot_code))
    if lot is None:
        raise StockError(f"{_lot_word(item).capitalize()} {lot_code} of {item.sku} is not known.")
    return lot


def _incoming_lot(item: Item, lot_code: str | None, expiry: date | None, qty: int) -> Lot | None:
    """The lot stock arrives in: created on first sight, its expiry checked after that."""
    lot_code = (lot_code or "").strip()
    if item.tracking == Tracking.NONE:
        if lot_code or expiry:
            raise StockError(f"Item {item.sku} is not tracked by lot; scan the item only.")
        return None
    if not lot_code:
        raise StockError(f"Item {item.sku} is tracked by {_lot_word(item)}: scan or type it.")
    if len(lot_code) > 40:
        raise StockError(f"{_lot_word(item).capitalize()} “{lot_code[:40]}…” is too long.")
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
        _serial_not_in_stock(item, lot)
    return lot


def _serial_not_in_stock(item: Item, serial: Lot) -> None:
    """A serial number is on hand once at most. The lot row is locked first (PostgreSQL),
    so two workers bringing the same serial in at once cannot both pass this check."""
    db.session.execute(sa.select(Lot.id).where(Lot.id == serial.id).with_for_update())
    held = sa.select(sa.func.sum(balance.c.quantity)).where(balance.c.lot_id == serial.id)
    if db.session.scalar(held):
        raise StockError(f"Serial {serial.code} of {item.sku} is already in stock.")


def _lot_word(item: Item) -> str:
    return "serial number" if item.tracking == Tracking.SERIAL else "lot"


def _active_user(user: User) -> User:
    if user is None or not user.active:
        raise Forbidden("This user is not active; sign in again.")
    return user


# --- balances ----------------------------------------------------------------------


def _balance_row(item_id: int, location_id: int, lot_id: int | None):
    lot_match = balance.c.lot_id.is_(None) if lot_id is None else balance.c.lot_id == lot_id
    return sa.and_(balance.c.item_id == item_id, balance.c.location_id == location_id, lot_match)


def _row_of(has_lot: bool):
    b = balance.c
    lot = b.lot_id == sa.bindparam("lot") if has_lot else b.lot_id.is_(None)
    return sa.and_(b.item_id == sa.bindparam("item"), b.location_id == sa.bindparam("bin"), lot)


# Built once, for a balance with and without a lot: these run on every scan that posts.
_TAKE = {
    has_lot: sa.update(balance)
    .where(_row_of(has_lot), balance.c.quantity >= sa.bindparam("qty"))
    .values(quantity=balance.c.quantity - sa.bindparam("qty"))
    for has_lot in (False, True)
}
_ADD = {
    has_lot: sa.update(balance)
    .where(_row_of(has_lot))
    .values(quantity=balance.c.quantity + sa.bindparam("qty"))
    for has_lot in (False, True)
}


def _params(item: Item, location: Location, lot: Lot | None, qty: int) -> dict:
    return {"item": item.id, "bin": location.id, "lot": lot and lot.id, "qty": qty}


def _take(item: Item, location: Location, lot: Lot | None, qty: int) -> None:
    taken = db.session.execute(_TAKE[lot is not None], _params(item, location, lot, qty))
    if taken.rowcount != 1:
        where = _balance_row(item.id, location.id, lot and lot.id)
        held = db.session.scalar(sa.select(balance.c.quantity).where(where)) or 0
        lot_text = f" lot {lot.code}" if lot else ""
        raise NotEnoughStock(
            f"Bin {location.code} holds {held} of {item.sku}{lot_text}; you tried to take {qty}."
        )


def _put(item: Item, location: Location, lot: Lot | None, qty: int) -> None:
    add, params = _ADD[lot is not None], _params(item, location, lot, qty)
    if db.session.execute(add, params).rowcount:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    row = dict(item_id=item.id, location_id=location.id, lot_id=lot and lot.id, quantity=qty)
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT whether or not it wrote.
    insert = dialect.insert(balance).values(row).on_conflict_do_nothing()
    if db.session.execute(insert.returning(balance.c.id)).first() is None:
        db.session.execute(add, params)  # another transaction created the row a moment ago


def _transfer(item: Item, lot: Lot | None, source: Location, target: Location, qty: int):
    # Touch the two balance rows in one fixed order (by bin id) so that opposite moves
    # running at once cannot deadlock on PostgreSQL.
    steps = [(source.id, _take, source), (target.id, _put, target)]
    for _, step, location in sorted(steps, key=lambda s: s[0]):
        step(item, location, lot, qty)


# --- posting -----------------------------------------------------------------------


_k = movement_t.c.idempotency_key
# Built once: every posting asks this, and almost always finds nothing.
_KEYED = (
    sa.select(movement_t.c.id)
    .where(
        sa.or_(
            _k == sa.bindparam("key"),
            sa.and_(_k >= sa.bindparam("first"), _k < sa.bindparam("past")),
        )
    )
    .order_by(movement_t.c.id)
)


def _prior(key: str) -> list[StockMovement]:
    """What this key (and a batch's KEY:2, KEY:3 ...) already posted, oldest first."""
    ids = db.session.scalars(_KEYED, {"key": key, "first": key + ":", "past": key + ";"}).all()
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(StockMovement).where(StockMovement.id.in_(ids)).order_by(StockMovement.id)
        )
    )


def _replay(user: User, prior: list[StockMovement]) -> Posted:
    if prior[0].user_id != user.id:
        raise StockError("That request was already recorded for another user.")
    return Posted(prior, replayed=True)


def posting(use_case):
    """Wrap a use case: one transaction, replay by idempotency key, writes nothing on error."""

    @transactional
    def run(user: User, *args, key: str, **kwargs) -> Posted:
        # Inside the write transaction, so a key is checked and taken under one lock.
        if prior := _prior(key):
            return _replay(user, prior)
        return use_case(user, *args, key=key, **kwargs)

    def wrapper(user: User, *args, key: str, **kwargs) -> Posted:
        _check_key(key)
        _active_user(user)
        try:
            return run(user, *args, key=key, **kwargs)
        except IntegrityError:
            # Lost a race with the same key on another connection: return what it wrote.
            prior = _prior(key)
            if prior:
                return _replay(user, prior)
            # Lost a race on another unique rule (one reversal per movement, one lot per
            # code): run once more, now seeing what won, for the worker's proper answer.
            return run(user, *args, key=key, **kwargs)

    wrapper.__name__ = use_case.__name__
    wrapper.__doc__ = use_case.__doc__
    return wrapper


def _record(
    user, key, kind, item, lot, source, target, qty, *, device, reference, reason, reverses=None
):
    row = dict(
        kind=kind,
        item_id=item.id,
        lot_id=lot and lot.id,
        from_location_id=source and source.id,
        to_location_id=target and target.id,
        quantity=qty,
        user_id=user.id,
        device_id=(device or "")[:64],
        created_at=utcnow(),
        reference=(reference or "")[:40],
        reason=(reason or "")[:200],
        idempotency_key=key,
        reverses_id=reverses and reverses.id,
    )
    # A plain INSERT takes the unique key first (a duplicate stops here) without the ORM's
    # unit of work, a third of a scan's ledger time. The caller gets the movement to read,
    # with its item and bins attached; the session does not track it, the row is written.
    row["id"] = db.session.execute(
        sa.insert(movement_t).values(row).returning(movement_t.c.id)
    ).scalar_one()
    return StockMovement(
        **row, item=item, lot=lot, from_location=source, to_location=target, user=user
    )


# --- use cases -----------------------------------------------------------------------


@posting
def receive(
    user: User,
    *,
    to_bin: str,
    sku: str,
    qty,
    key: str,
    lot: str | None = None,
    expiry: date | None = None,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Stock arrives into a bin (usually the receiving dock), in a lot where tracked."""
    qty = parse_quantity(qty)
    target = _active_location(to_bin)
    if target.kind == LocationKind.TRANSIT:
        raise StockError(f"{target.code} is a transit location; receive into a bin or the dock.")
    item = _active_item(sku)
    lot_row = _incoming_lot(item, lot, expiry, qty)
    movement = _record(
        user,
        key,
        MovementKind.RECEIVE,
        item,
        lot_row,
        None,
        target,
        qty,
        device=device,
        reference=reference,
        reason=reason,
    )
    _put(item, target, lot_row, qty)
    return Posted([movement])


@posting
def move(
    user: User,
    *,
    from_bin: str,
    to_bin: str,
    sku: str,
    qty,
    key: str,
    lot: str | None = None,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Stock moves from one bin to another (putaway, replenishment, bin to bin)."""
    return _between_bins(
        MovementKind.MOVE,
        user,
        from_bin,
        to_bin,
        sku,
        qty,
        key,
        lot,
        device=device,
        reference=reference,
        reason=reason,
    )


def _between_bins(kind, user, from_bin, to_bin, sku, qty, key, lot, **recorded) -> Posted:
    qty = parse_quantity(qty)
    source, target = _active_pair(from_bin, to_bin)
    if source.id == target.id:
        raise StockError(f"That is bin {source.code} again; scan a different destination bin.")
    if kind == MovementKind.PICK and target.kind != LocationKind.STAGING:
        raise StockError(f"Picked stock goes to a staging location; {target.code} is not one.")
    item = find_item(sku)
    lot_row = _existing_lot(item, lot)
    movement = _record(user, key, kind, item, lot_row, source, target, qty, **recorded)
    _transfer(item, lot_row, source, target, qty)
    return Posted([movement])


@posting
def move_bin(
    user: User,
    *,
    from_bin: str,
    to_bin: str,
    key: str,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Everything in one bin moves to another: one movement per item and lot."""
    source, target = _active_pair(from_bin, to_bin)
    if source.id == target.id:
        raise StockError(f"That is bin {source.code} again; scan a different destination bin.")
    rows = db.session.execute(
        sa.select(balance.c.item_id, balance.c.lot_id, balance.c.quantity)
        .where(balance.c.location_id == source.id, balance.c.quantity > 0)
        .order_by(balance.c.item_id, balance.c.lot_id)
    ).all()
    if not rows:
        raise StockError(f"Bin {source.code} is empty; there is nothing to move.")
    movements = []
    for n, (item_id, lot_id, qty) in enumerate(rows, start=1):
        item = db.session.get(Item, item_id)
        lot_row = db.session.get(Lot, lot_id) if lot_id else None
        line_key = key if n == 1 else f"{key}:{n}"
        movements.append(
            _record(
                user,
                line_key,
                MovementKind.MOVE,
                item,
                lot_row,
                source,
                target,
                qty,
                device=device,
                reference=reference,
                reason=reason,
            )
        )
        _transfer(item, lot_row, source, target, qty)
    return Posted(movements)


@posting
def pick(
    user: User,
    *,
    from_bin: str,
    to_bin: str,
    sku: str,
    qty,
    key: str,
    lot: str | None = None,
    device: str = "",
    reference: str = "",
    reason: str = "",
) -> Posted:
    """Stock is picked from a bin to a staging/shipping location for an order."""
    return _between_bins(
        MovementKind.PICK,
        user,
        from_bin,
        to_bin,
        sku,
        qty,
        key,
        lot,
        device=device,
        reference=reference,
        reason=reason,
    )


@posting
def adjust(
    user: User,
    *,
    bin: str,
    sku: str,
    delta,
    reason: str,
    key: str,
    lot: str | None = None,
    expiry: date | None = None,
    device: str = "",
    reference: str = "",
) -> Posted:
    """A supervisor corrects a bin's quantity by `delta` units (a count variance, damage)."""
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("Only a supervisor can adjust stock.")
    text = str(delta).strip()
    negative = text.startswith("-")
    qty = parse_quantity(text.lstrip("+-"))
    if not (reason or "").strip():
        raise StockError("Give a reason for the adjustment.")
    location = _active_location(bin)
    item = find_item(sku)
    if negative:
        lot_row = _existing_lot(item, lot)
        source, target = location, None
    else:
        lot_row = _incoming_lot(item, lot, expiry, qty)
        source, target = None, location
    movement = _record(
        user,
        key,
        MovementKind.ADJUST,
        item,
        lot_row,
        source,
        target,
        qty,
        device=device,
        reference=reference,
        reason=reason.strip(),
    )
    if negative:
        _take(item, location, lot_row, qty)
    else:
        _put(item, location, lot_row, qty)
    return Posted([movement])


@posting
def reverse(
    user: User, *, movement_id: int, key: str, reason: str = "", device: str = ""
) -> Posted:
    """Undo a movement with a new, linked movement the other way."""
    original = db.session.get(StockMovement, movement_id)
    if original is None:
        raise StockError(f"There is no movement {movement_id}.")
    if original.kind == MovementKind.REVERSE:
        raise StockError("A reversal cannot be reversed; record a new movement instead.")
    already = db.session.scalar(
        sa.select(StockMovement.id).where(StockMovement.reverses_id == original.id)
    )
    if already:
        raise StockError(f"Movement {original.id} was already reversed.")
    item, lot_row = original.item, original.lot
    source, target = original.to_location, original.from_location
    movement = _record(
        user,
        key,
        MovementKind.REVERSE,
        item,
        lot_row,
        source,
        target,
        original.quantity,
        device=device,
        reference=original.reference,
        reason=reason or f"reverses movement {original.id}",
        reverses=original,
    )
    if source and target:
        _transfer(item, lot_row, source, target, original.quantity)
    elif source:
        _take(item, source, lot_row, original.quantity)
    else:
        if item.tracking == Tracking.SERIAL:  # putting back a written-off serial
            _serial_not_in_stock(item, lot_row)
        _put(item, target, lot_row, original.quantity)
    return Posted([movement])


def undo_last(user: User, *, key: str, device: str = "") -> Posted:
    """Reverse the worker's own most recent movement, within UNDO_MINUTES of making it."""
    _check_key(key)
    if prior := _prior(key):  # the same undo sent again
        return _replay(user, prior)
    last = db.session.scalar(
        sa.select(StockMovement)
        .where(StockMovement.user_id == user.id, StockMovement.kind != MovementKind.REVERSE)
        .order_by(StockMovement.id.desc())
        .limit(1)
    )
    if last is None:
        raise StockError("You have no movement to undo.")
    if db.session.scalar(sa.select(StockMovement.id).where(StockMovement.reverses_id == last.id)):
        raise StockError("Your last movement is already undone.")
    window = timedelta(minutes=current_app.config["UNDO_MINUTES"])
    if utcnow() - last.created_at > window:
        raise StockError(
            f"Your last movement ({last.quantity} × {last.item.sku}) is more than "
            f"{current_app.config['UNDO_MINUTES']} minutes old; ask a supervisor to correct it."
        )
    return reverse(user, movement_id=last.id, key=key, device=device, reason="undone by worker")


def replayed(user: User, key: str) -> Posted | None:
    """What this key already posted, if anything (a resent or replayed submit)."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        return None
    prior = _prior(key)
    return _replay(user, prior) if prior else None


def describe(m: StockMovement) -> str:
    """One line a worker reads: "13 × 1042 lot L4 from A-01-01-A to SHIP-1"."""
    lot = f" lot {m.lot.code}" if m.lot else ""
    where = {
        (True, True): f" from {m.from_location and m.from_location.code} to "
        f"{m.to_location and m.to_location.code}",
        (False, True): f" into {m.to_location and m.to_location.code}",
        (True, False): f" out of {m.from_location and m.from_location.code}",
    }[(m.from_location_id is not None, m.to_location_id is not None)]
    return f"{m.quantity} × {m.item.sku}{lot}{where}"


def posted_by_item(reference: str, kind: MovementKind) -> dict[int, int]:
    """Units posted against a document (a receipt, a pick list) per item, less reversals."""
    m, original = StockMovement, sa.orm.aliased(StockMovement)
    posted = (
        sa.select(m.item_id, sa.func.sum(m.quantity))
        .where(m.reference == reference, m.kind == kind)
        .group_by(m.item_id)
    )
    undone = (
        sa.select(m.item_id, sa.func.sum(m.quantity))
        .join(original, m.reverses_id == original.id)
        .where(m.reference == reference, original.kind == kind)
        .group_by(m.item_id)
    )
    totals = dict(db.session.execute(posted).all())
    for item_id, qty in db.session.execute(undone):
        totals[item_id] -= qty
    return totals


def on_hand(sku: str, bin: str, lot: str | None = None) -> int:
    """Units of an item (and lot) in a bin now."""
    item, location = find_item(sku), find_location(bin)
    lot_id = None
    if lot:
        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.item_id == item.id, Lot.code == lot))
    return (
        db.session.scalar(
            sa.select(balance.c.quantity).where(_balance_row(item.id, location.id, lot_id))
        )
        or 0
    )
