"""Users for the office: add one, change a role, switch one off, reset a PIN, list them."""

import re

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from . import audit, auth, users
from .db import db, write_transaction
from .masterdata_forms import Invalid, _get, once_more_if_beaten
from .models import Role, User
from .stock import StockError


def _pin(pin: str, errors: dict) -> str:
    if not re.fullmatch(r"\S{4,64}", pin or ""):
        errors["pin"] = "A PIN or password is 4-64 characters without spaces."
    return pin


@once_more_if_beaten
def create_user(actor: User, values: dict) -> User:
    """Add a user with a role, PIN/password and optionally a badge."""
    errors: dict[str, str] = {}
    pin = _pin(values.get("pin", ""), errors)
    badge = auth.normalise_badge(values.get("badge", "")) or None
    if badge and db.session.scalar(sa.select(User.id).where(User.badge == badge)):
        errors["badge"] = f"Badge {badge} belongs to another user."
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
        )
    except StockError as error:
        raise Invalid({"form": error.message}) from None
    return user


def change_role(actor: User, user_id: int, role: str) -> User:
    """Give a user another role; it applies at their next request."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(
            {"role": f"Role must be one of: {', '.join(r.value for r in Role)}."}
        ) from None
    if user_id == actor.id and role != actor.role:
        raise Invalid({"role": "You cannot change your own role; ask another admin."})
    with write_transaction():
        user = _get(User, user_id)
        if user.role != role:
            audit.record(actor, "update", "user", user.id, {"role": user.role}, {"role": role})
            user.role = role
    return user


def deactivate_user(actor: User, user_id: int, reason: str = "") -> User:
    """Switch a user off and sign them out on every device at once."""
    if user_id == actor.id:
        raise Invalid({"form": "You cannot switch yourself off; ask another admin."})
    return auth.deactivate_user(user_id, by=actor, reason=reason)


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
    return list(db.session.scalars(sa.select(User).order_by(User.username)))
