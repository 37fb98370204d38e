"""The rules of signing in: checking a PIN with its lockout, ending a user's sessions,
and switching a user off.

Plain functions on the user row, so they take effect at once on every device and in every
gunicorn process; the views, the sign-in guard and Flask-Login's setup are in `auth`,
which re-exports these for its callers.
"""

import functools
import math
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit
from .db import db, write_transaction
from .models import User, utcnow
from .stock import StockError


class SigninRefused(Exception):
    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


def check_signin(pin: str, *, username: str | None = None, badge: str | None = None) -> User:
    """The user whose username (or badge) and PIN these are, or SigninRefused.

    Wrong PINs are counted on the user's row; SIGNIN_MAX_FAILURES in a row lock it for
    SIGNIN_LOCK_MINUTES, in every process. A locked user is refused before the PIN is
    checked. Unknown users take as long as known ones.
    """
    if badge is not None:
        where, wrong = User.badge == normalise_badge(badge), "Wrong badge or PIN."
    else:
        where, wrong = User.username == (username or "").strip().lower(), "Wrong username or PIN."
    user = db.session.scalar(sa.select(User).where(where))
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), pin or "")
        raise SigninRefused(wrong)
    if _locked(user):
        raise SigninRefused(_lock_message(user), 429)
    if not check_password_hash(user.password_hash, pin or ""):
        user = _count_failure(user.id)
        if _locked(user):
            raise SigninRefused(_lock_message(user), 429)
        raise SigninRefused(wrong)
    if not user.active:
        raise SigninRefused("This sign-in is switched off. Ask a supervisor.", 403)
    return _clear_failures(user.id)


def end_sessions(user_id: int) -> User:
    """Sign the user out on every device, at their next request."""
    with write_transaction() as session:
        user = _lock_row(session, user_id)
        user.session_version += 1
    return user


def deactivate_user(user_id: int, by: User | None = None, reason: str = "") -> User:
    """Switch the user off: they are signed out everywhere and cannot sign in again. With
    `by` the audit entry is written in the same transaction."""
    with write_transaction() as session:
        user = _lock_row(session, user_id)
        if by is not None and user.active:
            audit.record(
                by, "deactivate", "user", user.id, {"active": True}, {"active": False}, reason
            )
        user.active = False
        user.session_version += 1
    return user


def normalise_badge(scanned: str) -> str:
    # Scanners set up to send AIM symbology identifiers prefix "]C0" and the like.
    return re.sub(r"^\][A-Za-z][0-9A-Za-z]", "", (scanned or "").strip()).upper()


def _lock_row(session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise StockError(f"There is no user {user_id}.")
    return user


def _locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def _lock_message(user: User) -> str:
    minutes = max(1, math.ceil((user.locked_until - utcnow()).total_seconds() / 60))
    return f"Too many wrong PINs: try again in {minutes} minute{'s' if minutes != 1 else ''}."


def _count_failure(user_id: int) -> User:
    """Count a wrong PIN against the row as it is now: other processes count too."""
    config = current_app.config
    with write_transaction() as session:
        user = _lock_row(session, user_id)
        if not _locked(user):
            user.failed_signins += 1
            if user.failed_signins >= config["SIGNIN_MAX_FAILURES"]:
                user.locked_until = utcnow() + timedelta(minutes=config["SIGNIN_LOCK_MINUTES"])
                user.failed_signins = 0
    return user


def _clear_failures(user_id: int) -> User:
    with write_transaction() as session:
        user = _lock_row(session, user_id)
        if _locked(user):  # locked by another process while we checked the PIN
            raise SigninRefused(_lock_message(user), 429)
        if user.failed_signins or user.locked_until:
            user.failed_signins, user.locked_until = 0, None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("no such user")
