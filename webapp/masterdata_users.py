"""Users for the office: add one, change one's name, role, badge or the warehouse they
work in, switch one off or back on, reset a PIN, list them."""

import re

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from . import audit, auth, users
from .db import db, write_transaction
from .handover import hand_over
from .masterdata_forms import Invalid, _get, _switch, check_unchanged, once_more_if_beaten
from .models import Role, User, Warehouse
from .scan import ScanKind, resolve
from .stock import StockError

USER_FIELDS = ["name", "role", "badge", "warehouse"]


def _pin(pin: str, errors: dict) -> str:
    if not re.fullmatch(r"\S{4,64}", pin or ""):
        errors["pin"] = "A PIN or password is 4-64 characters without spaces."
    return pin


@once_more_if_beaten
def create_user(actor: User, values: dict) -> User:
    """Add a user with a role, PIN/password and optionally a badge."""
    errors: dict[str, str] = {}
    pin = _pin(values.get("pin", ""), errors)
    badge = _badge(values.get("badge", ""), None, errors)
    warehouse = _warehouse(values.get("warehouse", ""), errors)
    if errors:
        raise Invalid(errors)
    try:
        user = users.create_user(
            values.get("username", ""),
            (values.get("name") or "").strip(),
            values.get("role", ""),
            pin,
            badge,
            created_by=actor,
            warehouse=warehouse.code if warehouse else None,
        )
    except StockError as error:
        raise Invalid({"form": error.message}) from None
    return user


def _warehouse(typed: str, errors: dict) -> Warehouse | None:
    """The warehouse a user works in, by its code; blank for every warehouse."""
    code = (typed or "").strip().upper()
    if not code:
        return None
    warehouse = db.session.scalar(sa.select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        errors["warehouse"] = f"There is no warehouse {code[:20]}."
    return warehouse


def _badge(typed: str, user_id: int | None, errors: dict) -> str | None:
    """The badge code as a scan of it reads, or None for no badge. A code that is another
    user's badge, or already names a bin, an item or a document, is refused: a scan of it
    could not be told apart at sign-in or on the floor."""
    badge = auth.normalise_badge(typed) or None
    if badge is None:
        return None
    if not re.fullmatch(r"[0-9A-Z]{4,30}", badge):
        errors["badge"] = "A badge code is 4-30 characters of 0-9 and A-Z."
        return badge
    owner = db.session.scalar(sa.select(User).where(User.badge == badge))
    if owner is not None and owner.id != user_id:
        errors["badge"] = f"Badge {badge} belongs to {owner.username}."
        return badge
    scanned = resolve(badge, "badge")
    if scanned.kind not in (ScanKind.USER, ScanKind.UNKNOWN, ScanKind.INVALID):
        errors["badge"] = (
            f"{badge} is the barcode of {scanned.describe()}; a badge needs a code of its own."
        )
    return badge


def _role(typed: str, errors: dict) -> Role | None:
    try:
        return Role(typed)
    except ValueError:
        errors["role"] = f"Role must be one of: {', '.join(r.value for r in Role)}."
        return None


def user_state(user: User) -> dict:
    """A user's details as their form shows them (and the audit log records them)."""
    return {
        "name": user.name,
        "role": user.role.value,
        "badge": user.badge or "",
        "warehouse": user.warehouse.code if user.warehouse else "",
    }


@once_more_if_beaten
def save_user(actor: User, user_id: int, values: dict) -> User:
    """Change a user's name, role or badge, those of them sent (a lost badge is replaced
    here; a blank badge removes it). A role applies at the user's next request; nobody
    changes their own. Refused whole if the form was opened before someone else saved."""
    errors: dict[str, str] = {}
    wanted = {}
    if "name" in values:
        wanted["name"] = (values["name"] or "").strip()[:100]
    if "role" in values:
        wanted["role"] = _role(values["role"], errors)
    if "badge" in values:
        wanted["badge"] = _badge(values["badge"], user_id, errors)
    if "warehouse" in values:
        wanted["warehouse"] = _warehouse(values["warehouse"], errors)
    with write_transaction():
        user = _get(User, user_id)
        check_unchanged(values, user_state(user), f"User {user.username}")
        if user_id == actor.id and wanted.get("role", user.role) not in (None, user.role):
            errors["role"] = "You cannot change your own role; ask another admin."
        if errors:
            raise Invalid(errors)
        wanted["name"] = wanted.get("name", user.name) or user.username
        before = user_state(user)
        for name, value in wanted.items():
            setattr(user, name, value)
        after = user_state(user)
        changed = [name for name in USER_FIELDS if before[name] != after[name]]
        if changed:
            audit.record(
                actor,
                "update",
                "user",
                user.id,
                {name: before[name] for name in changed},
                {name: after[name] for name in changed},
            )
    return user


def activate_user(actor: User, user_id: int) -> User:
    """Switch a user back on (switched off by mistake, or back for the season). Their PIN
    and badge are as they were; a lock from wrong PINs is cleared."""
    with write_transaction():
        user = _switch(actor, _get(User, user_id), "user", True)
        user.failed_signins, user.locked_until = 0, None
    return user


def deactivate_user(actor: User, user_id: int, reason: str = "") -> list[str]:
    """Switch a user off, sign them out on every device at once, and put the work they held
    back on the floor (handover): says where it went."""
    if user_id == actor.id:
        raise Invalid({"form": "You cannot switch yourself off; ask another admin."})
    with write_transaction():
        user = auth.deactivate_user(user_id, by=actor, reason=reason)
        return hand_over(actor, user)


def reset_pin(actor: User, user_id: int, pin: str) -> User:
    """Set a new PIN, clear any lock, and end the user's sessions (the old PIN may be known)."""
    errors: dict[str, str] = {}
    _pin(pin, errors)
    if errors:
        raise Invalid(errors)
    with write_transaction():
        user = _get(User, user_id)
        user.password_hash = generate_password_hash(pin)
        user.failed_signins, user.locked_until = 0, None
        user.session_version += 1
        audit.record(actor, "reset_pin", "user", user.id, None, {"pin": "reset"})
    return user


def all_users() -> list[User]:
    return list(db.session.scalars(
        sa.select(User).options(sa.orm.joinedload(User.warehouse)).order_by(User.username)
    ))
