"""Steps: the scanning surface every floor flow shares.

A flow is a short sequence of scans. Its rules live in a plain module (receiving,
moving, picking, counting) as a function `advance(user, entry) -> Step`. The state so far
(bin, item, lot, quantity...) travels in hidden fields of the page, so any web process can
serve the next scan and a stale or replayed page is re-checked against the database.
"""

import uuid
from dataclasses import dataclass, field, replace

from flask import current_app, has_request_context, make_response, render_template, request
from flask_login import current_user

from . import stock, undo
from .db import db
from .models import Tracking
from .request_input import whole_number
from .scan import Scan, ScanKind, resolve
from .stock import StockError


@dataclass(frozen=True)
class Entry:
    """One request from the scan form: the state it carries and what the worker did."""

    state: dict[str, str]
    scan: str = ""  # the scanned (or typed) text, if any
    action: str = ""  # a button: "confirm", "done", "cancel", "qty" ...
    key: str = ""  # idempotency key of this submit
    typed_qty: str = ""  # the quantity field
    typed_date: str = ""  # the date field (lot expiry)
    device: str = ""  # the handheld's own id, kept in its browser
    undo: str = ""  # the movement the screen offered to undo

    def resolved(self, context: str, item=None) -> Scan:
        return resolve(self.scan, context=context, item=item)


@dataclass(frozen=True)
class Step:
    """What the worker sees next: the prompt, what is known so far, and the status band."""

    prompt: str
    state: dict[str, str] = field(default_factory=dict)
    message: str = ""
    # True: green band; False: red band (and a 422); None: amber band if there is a message
    ok: bool | None = None
    context: list[tuple[str, str]] = field(default_factory=list)
    undo: int | None = None  # a movement the worker may undo now
    qty_field: bool = False  # show the "type a quantity" field
    qty_label: str = "How many?"  # what a typed number sets, beside the step's item
    actions: list[tuple[str, str]] = field(default_factory=list)  # (action, button label)
    data: dict = field(default_factory=dict)  # flow-specific things to show (lines, lists)

    def refuse(self, message: str) -> "Step":
        return replace(self, message=message, ok=False, undo=None)

    def success(self, message: str, undo: int | None = None) -> "Step":
        return replace(self, message=message, ok=True, undo=undo)

    def warn(self, message: str) -> "Step":
        """Needs the worker's attention, but nothing was refused."""
        return replace(self, message=message, ok=None)


def read_entry() -> Entry:
    # A plain dict: a missing field is then a cheap miss, where Werkzeug's MultiDict.get
    # raises and catches a BadRequestKeyError (about half the fields of a scan are absent).
    form = request.form.to_dict()
    state = {k[2:]: v for k, v in form.items() if k.startswith("s_")}
    action = form.get("action", "")
    scan = form.get("choose") or form.get("scan", "")  # a list entry stands for its scan
    if not action and not scan.strip():
        # Enter pressed in a typed field without JavaScript: it means that field's button.
        action = "qty" if form.get("qty") else "expiry" if form.get("date") else ""
    return Entry(
        state=state,
        scan=scan,
        action=action,
        key=form.get("key", ""),
        typed_qty=form.get("qty", ""),
        typed_date=form.get("date", ""),
        device=form.get("device", "")[:64],
        undo=form.get("undo", ""),
    )


def wrong_kind(scan: Scan, wanted: str, *, if_unknown: str = "") -> str:
    """The message for a scan of the wrong kind: say what it was and what is wanted.
    `if_unknown`: what else to do about a code we do not know (a new supplier's GTIN
    on an item we do stock: its SKU can be typed)."""
    if scan.kind is ScanKind.UNKNOWN and ";" not in scan.message:  # say what to do
        return f"{scan.message.rstrip('.')}; {wanted}{if_unknown}."
    if scan.kind in (ScanKind.UNKNOWN, ScanKind.INVALID):
        return scan.message
    if scan.kind is ScanKind.USER:
        return _badge_refused(scan.user, wanted)
    return f"That is {scan.describe()}; {wanted}."


def _badge_refused(badge_of, wanted: str) -> str:
    """A badge scanned on a floor screen. At a shift change on a shared handheld the next
    worker scans theirs, expecting to sign in: carrying on under the name shown would
    record their work as the last worker's."""
    here = current_user if has_request_context() else None
    if here is None or not here.is_authenticated:
        return f"That is a badge; {wanted}."
    if badge_of.id == here.id:
        return f"That is your badge; {wanted}."
    return (f"That is {badge_of.name}'s badge, and {here.name} is signed in here: "
            "sign out (top right), then scan it to sign in.")


def serial_as_item(scan: Scan) -> Scan:
    """A serial number's own label names its item as well: read it as a scan of that
    item's unit, so a step asking for the item takes it. (A lot's label does not say how
    many, so it stays a lot.)"""
    if scan.kind is ScanKind.LOT and len({lot.item_id for lot in scan.lots}) == 1:
        lot = scan.lots[0]
        if lot.item.tracking == Tracking.SERIAL:
            return replace(scan, kind=ScanKind.ITEM, item=lot.item, serial=lot.code)
    return scan


def lot_scanned(scan: Scan, item) -> str:
    """The lot or serial number of `item` that a scan on a lot step gives: a lot's label,
    a GS1 code of the item carrying one, or typed text (a lot not seen yet). The item's own
    barcode scanned again, or another item's, is refused: a GTIN is never a lot. Text that
    is only another item's SKU is taken as the code it may well be (lots are often numbers)."""
    if scan.kind is ScanKind.ITEM:
        if scan.item.id == item.id and scan.lot_code:
            return scan.lot_code.strip()[:40]
        if scan.item.id == item.id or scan.text.casefold() != scan.item.sku.casefold():
            raise StockError(wrong_kind(scan, f"scan or type the {stock.lot_word(item)}"))
    elif scan.kind not in (ScanKind.LOT, ScanKind.UNKNOWN):
        raise StockError(wrong_kind(scan, f"scan or type the {stock.lot_word(item)}"))
    return (scan.lot_code or scan.text).strip()[:40]


OUT_OF_DATE = "This screen was out of date and has started again. Scan again."


def run(flow, user, entry: Entry) -> Step:
    """Advance a flow module (its `advance` and `view`). Undo is the same everywhere; a
    refusal keeps the worker on the step they were on, with the reason in red."""
    try:
        step = _run(flow, user, entry)
    except (KeyError, ValueError):
        # The page's hidden state is not what this version writes (a page left open
        # across an upgrade, or edited): start the screen again rather than fail. Logged
        # whole, since a bug would look the same.
        db.session.rollback()
        current_app.logger.exception("%s: unreadable state %r", flow.__name__, entry.state)
        step = flow.view({}).refuse(OUT_OF_DATE)
    return _with_lists(flow, user, step)


def _with_lists(flow, user, step: Step) -> Step:
    """A screen at its start lists the work there is to choose from (receipts, count tasks,
    pick lists waiting): that of the warehouse the worker works in, so added here, where
    the worker is known, by the flow's `lists(user)`."""
    lists = getattr(flow, "lists", None)
    if lists is None or step.state:
        return step
    return replace(step, data={**step.data, **lists(user)})


def _run(flow, user, entry: Entry) -> Step:
    try:
        if entry.action == "undo":
            return _undo(flow, user, entry)
        if entry.action == "resume":
            return _resume(flow, user, entry)
        step = flow.advance(user, entry)
    except StockError as error:
        db.session.rollback()
        step = _unchanged(flow, entry.state).refuse(error.message)
    if step.ok is False:
        return _already_recorded(flow, user, entry) or step
    return step


def _undo(flow, user, entry: Entry) -> Step:
    undone = undo.undo_last(
        user, key=entry.key, device=entry.device, movement_id=whole_number(entry.undo)
    )
    # A flow may lead elsewhere after an undo (picking: back into a list opened again).
    after = getattr(flow, "after_undo", None)
    return flow.view(after(entry.state, undone) if after else entry.state).success(undone.message)


RESUMED = "Carried on where you left off."


def _resume(flow, user, entry: Entry) -> Step:
    """The screen opened again (a reload, a look-up on the way, a sign-in after an idle
    sign-out) with the step this handheld kept (scan.js): carry on there, checked as any
    step is; or, if it no longer holds (the count was cancelled meanwhile), start afresh."""
    try:
        step = flow.advance(user, Entry(state=entry.state, key=entry.key, device=entry.device))
    except (StockError, KeyError, ValueError):
        db.session.rollback()
        return _start(flow, user, {})
    if step.message:  # news of the step itself (a count done meanwhile): that is the answer
        return step
    if offered := undo.still_offered(user, whole_number(entry.undo)):  # and its Undo
        movement_id, described = offered
        return step.success(f"{RESUMED} Last recorded: {described}.", undo=movement_id)
    return step.success(RESUMED) if entry.state else _start(flow, user, {})


def posted_message(verb: str, posted: stock.Posted) -> str:
    """ "Received: 12 × 1042 into DOCK-01." or, for a resend, "Already recorded: ..." """
    said = "Already recorded" if posted.replayed else verb
    return f"{said}: {stock.describe(posted.movement)}."


def _unchanged(flow, state: dict) -> Step:
    try:
        return flow.view(state)
    except StockError:  # the page itself is stale (a closed document): start over
        return flow.view({})


def _already_recorded(flow, user, entry: Entry) -> Step | None:
    """A resend (double press, retry after a lost answer) of something already posted is
    refused by the flow only because the page moved on: say it was recorded instead.
    Looked up only on refusal, to keep the happy path's queries down."""
    try:
        posted = stock.replayed(user, entry.key)
    except StockError as error:
        return _unchanged(flow, entry.state).refuse(error.message)
    if posted is None:
        return None
    after = _unchanged(flow, flow.after_post(entry.state))
    return after.success(posted_message("Recorded", posted))


def start_state(args) -> dict[str, str]:
    """A flow opened from a link (a putaway row, a pick list) starts with its values."""
    return {k[2:]: v for k, v in args.items() if k.startswith("s_")}


def start(flow, user, args) -> Step:
    """A flow's screen opened: with a link's values, else where the worker left off, for a
    flow that keeps work for them (picking: the list they hold), else from the start."""
    return _with_lists(flow, user, _start(flow, user, start_state(args)))


def _start(flow, user, state: dict) -> Step:
    resume = getattr(flow, "resume", None)
    if not state:
        return flow.view(state) if resume is None else resume(user)
    try:
        return flow.view(state)
    except StockError as error:  # a link gone stale: the screen from its start, saying why
        db.session.rollback()
        return flow.view({}).refuse(error.message)


def respond(template: str, step: Step, **page):
    """The whole page, or only the step fragment when the scan queue asks for it."""
    fragment = request.headers.get("HX-Target") == "step"
    html = render_template(
        "floor/_step.html" if fragment else template,
        step=step,
        new_key=uuid.uuid4().hex,
        **page,
    )
    response = make_response(html, 422 if step.ok is False else 200)
    response.headers["Vary"] = "HX-Request, HX-Target"
    response.headers["Cache-Control"] = "no-store"
    return response
