"""Receiving: scan a receipt (or go blind), scan items, confirm the quantity, capture lots,
scan where it goes. What has been received is read from the ledger, never kept twice.
"""

import re
from datetime import date

import sqlalchemy as sa

from . import receipts, stock
from .db import db
from .models import (
    Item,
    Lot,
    Receipt,
    Tracking,
    User,
)
from .scan import ScanKind
from .steps import Entry, Step, lot_scanned, posted_message, wrong_kind
from .stock import StockError

ITEM_FIELDS = ("sku", "lot", "expiry", "qty", "to")


# --- the flow --------------------------------------------------------------------------


def advance(user: User, entry: Entry) -> Step:
    """One scan or button press on the receiving screen."""
    s = dict(entry.state)
    confirming_close = s.pop("close", None) == "?"
    confirming_cancel = s.pop("cancel", None) == "?"
    if entry.action == "blind":
        # No document names the warehouse: the worker's does, for the docks the step names.
        s = {"blind": "1", "at": str(user.warehouse_id)} if user.warehouse_id else {"blind": "1"}
        return view(s, "Blind receipt: no document.", ok=True)
    if entry.action == "cancel":
        return _cancel(s, confirming_cancel)
    if entry.action == "close":
        if not confirming_close and (short := _short_lines(s.get("receipt", ""))):
            # Closing records the shortfall and takes nothing more: a slip is asked about.
            s["close"] = "?"
            return view(s).warn(
                f"{short} not all received. Press Close receipt again to close "
                f"{s['receipt']} short, or scan an item."
            )
        receipt = receipts.close_receipt(user, s.get("receipt", ""))
        return closed_view(receipt)
    if entry.action == "qty":
        s["qty"] = str(stock.parse_quantity(entry.typed_qty))
        s.pop("to", None)
        return view(s, f"Quantity set to {s['qty']}.", ok=True)
    if entry.action in ("expiry", "noexpiry"):
        s["expiry"] = "none" if entry.action == "noexpiry" else _typed_date(entry.typed_date)
        return _expiry_set(s)
    if entry.action == "confirm" and s.get("to"):
        return _post(user, entry, s, s["to"])
    if not entry.scan.strip():
        return view(s)
    return _scanned(user, entry, s)


# The step's item with its barcodes, in one statement: a unit scanned again (the most
# frequent scan while receiving) is then matched in memory, not looked up.
_ITEM_WITH_BARCODES = (
    sa.select(Item)
    .where(Item.sku == sa.bindparam("sku"))
    .options(sa.orm.joinedload(Item.barcodes))
)


def _scanned(user: User, entry: Entry, s: dict) -> Step:
    item = None
    if s.get("sku"):  # read once for the step
        item = db.session.execute(_ITEM_WITH_BARCODES, {"sku": s["sku"]}).unique().scalar()
        if item is None:
            raise StockError(f"There is no item “{s['sku'][:40]}”.")
    stage = _stage(s, item)
    context = {"document": "document", "lot": "lot"}.get(stage, "item")
    scan = entry.resolved(context, item=item)
    if stage == "document" or (stage == "item" and scan.kind == ScanKind.DOCUMENT):
        if scan.kind != ScanKind.DOCUMENT or not isinstance(scan.document, Receipt):
            wanted = "scan a receipt, or choose one below"
            if stage == "item":  # a receipt under way: another one may be scanned instead
                wanted = "scan an item, or another receipt"
            return view(s).refuse(wrong_kind(scan, wanted))
        receipt = receipts.open_receipt(scan.document.number)
        return view({"receipt": receipt.number}, f"Receiving {receipt.number}.", ok=True)
    if stage == "item":
        return _item_scanned(s, scan)
    if stage == "lot":
        s["lot"] = lot_scanned(scan, item)
        if scan.expiry:
            s["expiry"] = scan.expiry.isoformat()
        if expired := _expired(s):
            return view(s, item=item).warn(expired)
        return view(s, f"{stock.lot_word(item).capitalize()} {s['lot']}.", ok=True, item=item)
    if stage == "expiry":
        return _expiry_scanned(s, item, entry.scan.strip(), scan)
    # quantity stage: more of the same item, or the destination
    if scan.kind == ScanKind.ITEM:
        if scan.item.sku != s["sku"] or (scan.lot_code and scan.lot_code != s.get("lot")):
            return view(s, item=item).refuse(
                f"You are receiving {s['sku']}. Scan where it goes to finish it, or Cancel."
            )
        if item.tracking == Tracking.SERIAL:
            return view(s, item=item).refuse(
                f"Each {item.sku} has its own serial number: scan where this one goes, "
                "then receive the next."
            )
        s["qty"] = str(int(s["qty"]) + scan.units)
        return view(s, f"{s['qty']} of {s['sku']}.", ok=True, item=item)
    if scan.kind != ScanKind.LOCATION:
        return view(s, item=item).refuse(wrong_kind(scan, "scan the bin or dock it goes to"))
    return _post(user, entry, s, scan.location.code)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_LIKE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")


def _expiry_scanned(s: dict, item: Item, text: str, scan) -> Step:
    """The expiry typed in the scan field (it has the focus), as the date field writes it,
    or read off the case's GS1 label (17), which then counts no unit: it was read for its
    date."""
    if _ISO_DATE.fullmatch(text):
        s["expiry"] = _typed_date(text)
    elif scan.kind == ScanKind.ITEM and scan.item.id == item.id and scan.expiry:
        if scan.lot_code and scan.lot_code != s["lot"]:
            return view(s, item=item).refuse(
                f"That label is lot {scan.lot_code}, not {s['lot']}: type the expiry date "
                f"of lot {s['lot']}, or press No expiry."
            )
        s["expiry"] = scan.expiry.isoformat()
    elif _DATE_LIKE.fullmatch(text):
        return view(s, item=item).refuse(
            f"“{text[:20]}” is not a date I can read: type year-month-day (2027-03-31), "
            "or use the date field."
        )
    else:
        return view(s, item=item).refuse("Type the expiry date and press Set, or press No expiry.")
    return _expiry_set(s, item)


def _expiry_set(s: dict, item: Item | None = None) -> Step:
    if expired := _expired(s):
        return view(s, item=item).warn(expired)
    said = "No expiry." if s["expiry"] == "none" else f"Expires {s['expiry']}."
    return view(s, said, ok=True, item=item)


def _item_scanned(s: dict, scan) -> Step:
    if scan.kind != ScanKind.ITEM:
        refused = wrong_kind(scan, "scan an item", if_unknown=", or type its SKU")
        return view(s).refuse(refused)
    s.update(sku=scan.item.sku, qty=str(scan.units))
    if scan.lot_code:
        s["lot"] = scan.lot_code
    if scan.expiry:
        s["expiry"] = scan.expiry.isoformat()
    message = f"{scan.item.sku} {scan.item.description}: {s['qty']}."
    receipt = receipts.open_receipt(s["receipt"]) if s.get("receipt") else None
    if expired := _expired(s):
        return view(s, item=scan.item, receipt=receipt).warn(expired)
    if receipt and all(line.item_id != scan.item.id for line in receipt.lines):
        return view(s, item=scan.item, receipt=receipt).warn(
            f"{scan.item.sku} is not on {receipt.number}: it will be recorded as unexpected."
        )
    return view(s, message, ok=True, item=scan.item, receipt=receipt)


def _post(user: User, entry: Entry, s: dict, to_bin: str) -> Step:
    expiry = date.fromisoformat(s["expiry"]) if s.get("expiry") not in (None, "", "none") else None
    fields = dict(
        to_bin=to_bin,
        sku=s["sku"],
        qty=int(s["qty"]),
        lot=s.get("lot") or None,
        expiry=expiry,
        key=entry.key,
        device=entry.device,
    )
    if not s.get("receipt"):
        posted = stock.receive(user, reason="blind receipt", **fields)
    else:
        try:
            posted = receipts.receive_on_receipt(
                user, s["receipt"], over_confirmed=entry.action == "confirm", **fields
            )
        except receipts.OverReceipt as over:
            if not over.confirmable:
                raise
            # Confirmed by the button, never by a scan: a scan engine's stutter would do it.
            return view({**s, "to": to_bin}).warn(
                f"{over.message} Press Receive anyway, or type a smaller quantity."
            )
    return view(after_post(s)).success(posted_message("Received", posted), undo=posted.movement.id)


# --- what the worker sees ----------------------------------------------------------------


def _stage(s: dict, item: Item | None = None) -> str:
    if not s.get("receipt") and not s.get("blind"):
        return "document"
    if not s.get("sku"):
        return "item"
    item = item or stock.find_item(s["sku"])
    if item.tracking != Tracking.NONE and not s.get("lot"):
        return "lot"
    if item.tracking == Tracking.LOT and "expiry" not in s and not _lot_known(item, s["lot"]):
        return "expiry"
    if s.get("to"):
        return "confirm"
    return "quantity"


def _lot_known(item: Item, code: str) -> bool:
    return bool(
        db.session.scalar(sa.select(Lot.id).where(Lot.item_id == item.id, Lot.code == code))
    )


PROMPTS = {
    "document": "Scan a receipt, or choose one",
    "item": "Scan the item",
    "lot": "Scan or type the {lot}",
    "expiry": "Type the expiry date",
    "quantity": "Scan more, or scan where it goes",
    "confirm": "Over-receipt: confirm",
}


def view(
    s: dict,
    message: str = "",
    ok: bool | None = None,
    item: Item | None = None,
    receipt: Receipt | None = None,
) -> Step:
    """The step for state `s`; `item` and `receipt`, when the caller has them, spare
    reading them again."""
    if s.get("sku") and (item is None or item.sku != s["sku"]):
        item = stock.find_item(s["sku"])
    stage = _stage(s, item)
    context = []
    if s.get("receipt"):
        context.append(("Receipt", s["receipt"]))
    elif s.get("blind"):
        context.append(("Receipt", "blind (no document)"))
    if s.get("sku"):
        context.append(("Item", f"{item.sku} {item.description}"))
    if s.get("lot"):
        context.append((stock.lot_word(item).capitalize(), s["lot"]))
    if s.get("expiry") not in (None, ""):
        context.append(("Expiry", "none" if s["expiry"] == "none" else s["expiry"]))
    if s.get("qty"):
        context.append(("Quantity", s["qty"]))
    actions = []
    if stage == "confirm":
        actions.append(("confirm", "Receive anyway"))
    if s.get("sku"):
        actions.append(("cancel", "Cancel item"))
    elif s.get("receipt"):
        actions.append(("close", "Close receipt"))
    data = {"stage": stage}  # at the "document" stage, lists() adds the receipts
    if s.get("receipt"):
        receipt = receipt or receipts.open_receipt(s["receipt"])
        data["progress"] = receipts.progress(receipt)
    # Where it may go: a worker new to the floor, typing instead of scanning, learns the code.
    wants_destination = stage in ("quantity", "confirm")
    warehouse_id = receipt.warehouse_id if receipt else int(s["at"]) if s.get("at") else None
    if wants_destination and (docks := receipts.docks(warehouse_id)):
        context.append(("Dock", ", ".join(docks)))
    serial = item is not None and item.tracking == Tracking.SERIAL
    prompt = PROMPTS[stage].format(lot=stock.lot_word(item))
    if serial and stage == "quantity":  # one unit per serial: nothing more to scan of it
        prompt = "Scan where it goes"
    return Step(
        prompt=prompt,
        state=s,
        message=message,
        ok=ok,
        context=context,
        actions=actions,
        data=data,
        qty_field=stage in ("quantity", "confirm") and not serial,  # a serial is one unit
    )


def closed_view(receipt: Receipt) -> Step:
    lines = [
        {"item": line.item, "expected": line.expected_qty, "received": line.received_qty}
        for line in receipt.lines
    ]
    return Step(
        prompt="Scan a receipt, or choose one",
        state={},
        message=f"Receipt {receipt.number} closed.",
        ok=True,
        data={"stage": "document", "closed": lines},
    )


def lists(user: User) -> dict:
    """What the screen's start shows, of the worker's warehouse: the receipts to receive."""
    return {"receipts": receipts.open_receipts(user.warehouse_id)}


def _short_lines(number: str) -> str:
    """ "2 of 3 lines are" when the receipt has had less than it expects on some lines."""
    rows = receipts.progress(receipts.open_receipt(number))
    short = sum(row["received"] < row["expected"] for row in rows)
    if not short:
        return ""
    lines = sum(row["expected"] > 0 for row in rows)
    return f"{short} of {lines} line{'s' * (lines != 1)} {'is' if short == 1 else 'are'}"


def _cancel(s: dict, confirmed: bool) -> Step:
    """Drop the item in hand. Counted past one unit it asks once: Cancel item sits under
    the quantity, and a slip would throw away a case's worth of counting."""
    qty = int(s.get("qty") or 0)
    if qty > 1 and not confirmed:
        s["cancel"] = "?"
        return view(s).warn(
            f"Drop the {qty} of {s['sku']} counted so far? Press Cancel item again to drop "
            "them, or scan on to carry on."
        )
    return view(after_post(s), "Cancelled; nothing was received.", ok=True)


def after_post(s: dict) -> dict:
    """The state once an item is received: the same receipt, ready for the next item."""
    return {k: v for k, v in s.items() if k not in ITEM_FIELDS}


def _expired(s: dict) -> str:
    """A word for a lot arriving already past its expiry date (a typo, or goods to send
    back): received if the worker goes on, but never picked."""
    if s.get("expiry") in (None, "", "none") or date.fromisoformat(s["expiry"]) >= date.today():
        return ""
    return (
        f"Expired on {s['expiry']}: check the date. If it is right, receive it and tell a "
        "supervisor; it will not be picked."
    )


def _typed_date(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise StockError("Type the expiry date, or press No expiry.")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise StockError(
            f"“{text[:20]}” is not a date: use the date picker (YYYY-MM-DD)."
        ) from None
