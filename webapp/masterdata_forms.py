"""What every master-data form shares: Invalid (field -> message), parsing the sent fields,
loading the row being edited and refusing a form opened before someone else saved it, the
warehouse field, the audited on/off switch, and a save that lost a race on a unique rule
run once more."""

import functools
import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from . import audit, csvio
from .db import db
from .models import Location, User, Warehouse
from .stock import StockError


class Invalid(StockError):
    """Form input that cannot be saved: a message per field ("form" for the whole)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class ChangedMeanwhile(Invalid):
    """The row was saved by someone else after this form was opened: nothing was saved."""


def version_of(state: dict) -> str:
    """A fingerprint of a row as its edit form shows it. The form sends back the one it was
    opened with (field "seen"), and a save refuses if the row is no longer that: two people
    editing one item, or a tab left open, never silently undo each other's change."""
    text = json.dumps(state, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value) -> str:
    # 2.50 as typed and 2.5000 as read back from a NUMERIC column are one cost.
    return str(value.normalize()) if isinstance(value, Decimal) else str(value)


def check_unchanged(values: dict, state: dict, what: str) -> None:
    """Refuse the save if the form was opened on another version of the row (read under
    the row's lock). A request without "seen" (an import, a script) is not checked."""
    seen = values.get("seen")
    if seen is not None and seen != version_of(state):
        raise ChangedMeanwhile({
            "form": f"{what} was changed by someone else since you opened it. It is shown "
            "as it is now: make your change again."
        })


def once_more_if_beaten(save):
    """A save that lost a race on a unique rule (a double click on Create, two people
    typing one new SKU at once) runs once more: it then sees the row that won and refuses
    in words, as it would have a moment later. Its own transaction was rolled back."""

    @functools.wraps(save)
    def saved(*args, **kwargs):
        try:
            return save(*args, **kwargs)
        except IntegrityError:
            return save(*args, **kwargs)

    return saved


def _parse(values: dict, parsers: dict, errors: dict) -> dict:
    parsed = {}
    for name, parse in parsers.items():
        if name in values:
            try:
                parsed[name] = parse((values[name] or "").strip())
            except csvio.BadValue as error:
                errors[name] = str(error)
    return parsed


def _get(model, id: int):
    """The row an office edit changes, read afresh and locked to the end of the edit's
    transaction (FOR NO KEY UPDATE: movements naming it are not held up). Two edits of one
    row, or a cancel and a worker's first scan on a document, then come one after the
    other, the second seeing what the first did. A bin is locked FOR UPDATE: its edit (going
    out of use, say) waits for the postings in flight into it, and they for the edit."""
    lock = True if model is Location else {"key_share": True}
    row = db.session.get(model, id, populate_existing=True, with_for_update=lock)
    if row is None:
        raise StockError(f"There is no {model.__tablename__.replace('_', ' ')} {id}.")
    return row


def _warehouse(code: str, errors: dict) -> Warehouse | None:
    code = (code or "").strip().upper()
    found = db.session.scalars(sa.select(Warehouse).order_by(Warehouse.code)).all()
    if not code and len(found) == 1:
        return found[0]
    for wh in found:
        if wh.code == code:
            return wh
    known = ", ".join(w.code for w in found) or "none yet"
    errors["warehouse"] = f"There is no warehouse “{code}” ({known})."
    return None


def _switch(user: User, record, entity: str, active: bool):
    """Switch an item or bin on or off, audited, inside the caller's transaction."""
    if record.active != active:
        audit.record(
            user,
            "activate" if active else "deactivate",
            entity,
            record.id,
            {"active": record.active},
            {"active": active},
        )
        record.active = active
    return record
