"""Receipts: receiving against an expected receipt and closing it. What has arrived is
read from the ledger (movements that name the receipt), never kept twice.

Receiving on a receipt and closing it both lock the receipt's row first (PostgreSQL; a
SQLite write transaction holds the whole database), so what was received and the checks
made on it still hold when the movement is written: two workers unloading one truck
cannot together pass an over-receipt block, and a receipt closing at that moment waits
for the scan, or the scan for the closing, which then refuses it.
"""

import sqlalchemy as sa
from flask import current_app

from . import stock
from .db import db, transactional
from .models import (
    DocStatus,
    Item,
    Location,
    LocationKind,
    MovementKind,
    Receipt,
    ReceiptLine,
    User,
    utcnow,
)
from .movements import posting
from .stock import StockError


class OverReceipt(StockError):
    """More than the receipt expects. `confirmable`: the policy lets the worker confirm."""

    def __init__(self, message: str, confirmable: bool):
        super().__init__(message)
        self.confirmable = confirmable


def open_receipts(warehouse_id: int | None = None) -> list[Receipt]:
    """The receipts still to receive, of one warehouse if given, the soonest due first."""
    query = sa.select(Receipt).where(Receipt.status.in_([DocStatus.OPEN, DocStatus.IN_PROGRESS]))
    if warehouse_id is not None:
        query = query.where(Receipt.warehouse_id == warehouse_id)
    return list(db.session.scalars(query.order_by(Receipt.expected_on, Receipt.number)))


def open_receipt(number: str, lock: bool = False) -> Receipt:
    query = sa.select(Receipt).where(Receipt.number == number)
    if lock:  # FOR NO KEY UPDATE: held until commit, read afresh
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    receipt = db.session.scalar(query)
    if receipt is None:
        raise StockError(f"There is no receipt {number}.")
    if receipt.status in (DocStatus.CLOSED, DocStatus.CANCELLED):
        ended = "is closed" if receipt.status == DocStatus.CLOSED else "was cancelled"
        raise StockError(f"Receipt {number} {ended}; choose an open receipt.")
    return receipt


def docks(warehouse_id: int | None) -> list[str]:
    """The codes of the receiving docks in use, of one warehouse when it is known."""
    query = sa.select(Location.code).where(Location.kind == LocationKind.DOCK, Location.active)
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    return list(db.session.scalars(query.order_by(Location.sequence, Location.code).limit(4)))


def received_by_item(number: str) -> dict[int, int]:
    return stock.posted_by_item(number, MovementKind.RECEIVE)


def progress(receipt: Receipt) -> list[dict]:
    """Each line with expected and received so far; unexpected items at the end."""
    received = received_by_item(receipt.number)
    rows = [
        {
            "item": line.item,
            "expected": line.expected_qty,
            "received": received.pop(line.item_id, 0),
        }
        for line in receipt.lines
    ]
    for item_id, qty in received.items():
        rows.append({"item": db.session.get(Item, item_id), "expected": 0, "received": qty})
    return rows


@posting
def receive_on_receipt(
    user: User, number: str, *, sku: str, qty, key: str, over_confirmed: bool = False, **receive
) -> stock.Posted:
    """Receive against an open receipt, over-receipt policy applied (allow, warn, block):
    OverReceipt if the quantity makes more than the receipt expects of the item and the
    policy refuses it, or warns and the worker has not confirmed. A resend of a scan
    already posted is answered with what it posted, even where the check would refuse it
    now."""
    qty = stock.parse_quantity(qty)
    receipt = open_receipt(number, lock=True)
    item = stock.find_item(sku)
    expected = sum(line.expected_qty for line in receipt.lines if line.item_id == item.id)
    received = received_by_item(receipt.number).get(item.id, 0)
    policy = current_app.config["OVER_RECEIPT"]
    refused = policy == "block" or (policy == "warn" and not over_confirmed)
    # An item the receipt does not expect is taken: flagged when scanned, recorded at closing.
    if expected and received + qty > expected and refused:
        said = (
            f"{receipt.number} expects {expected} of {item.sku}; {received} received, "
            f"so {qty} more makes {received + qty}."
        )
        if policy == "block":
            raise OverReceipt(
                f"{said} Over-receipt is not allowed: type a smaller quantity.", confirmable=False
            )
        raise OverReceipt(f"{said} Receive anyway?", confirmable=True)
    # The ledger's receive, in this posting's transaction (not a nested one of its own).
    receive_here = stock.receive.__wrapped__
    return receive_here(user, sku=sku, qty=qty, key=key, reference=receipt.number,
                        warehouse_id=receipt.warehouse_id, **receive)


def refuse_undo_once_closed(movement) -> None:
    """A receipt's closing recorded what arrived, line by line: once it is closed, taking a
    unit back is a supervisor's correction, not a worker's undo. Locked, as closing is."""
    query = sa.select(Receipt).where(Receipt.number == movement.reference)
    receipt = db.session.scalar(query.with_for_update(key_share=True))
    if receipt is not None and receipt.status in (DocStatus.CLOSED, DocStatus.CANCELLED):
        raise StockError(
            f"Receipt {receipt.number} is closed, so its {movement.quantity} × "
            f"{movement.item.sku} cannot be undone here; ask a supervisor to correct it."
        )


@transactional
def close_receipt(user: User, number: str) -> Receipt:
    """Record what arrived beside what was expected, line by line, and close the receipt."""
    receipt = open_receipt(number, lock=True)
    received = received_by_item(receipt.number)
    for line in receipt.lines:
        line.received_qty = received.pop(line.item_id, 0)
    for item_id, qty in received.items():  # arrived without being expected
        receipt.lines.append(ReceiptLine(item_id=item_id, expected_qty=0, received_qty=qty))
    receipt.status, receipt.closed_at, receipt.closed_by_id = DocStatus.CLOSED, utcnow(), user.id
    return receipt
