"""People who use Binscan: creating them, and the system user that CLI jobs post as."""

import re

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from . import audit
from .db import db, write_transaction
from .models import Role, User, Warehouse
from .stock import StockError

SYSTEM_USERNAME = "system"


def create_user(
    username: str,
    name: str,
    role: str = "worker",
    password: str | None = None,
    badge: str | None = None,
    created_by: User | None = None,
    warehouse: str | None = None,
) -> User:
    """Add a user; the password or PIN is stored hashed, never as typed. With `created_by`
    the audit entry is written in the same transaction as the user."""
    username = (username or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9._-]{2,40}", username):
        raise StockError("A username is 2-40 letters, digits, dots, dashes or underscores.")
    try:
        role = Role(role)
    except ValueError:
        raise StockError(f"Role must be one of: {', '.join(r.value for r in Role)}.") from None
    if badge is not None and not re.fullmatch(r"[0-9A-Z]{4,30}", badge):
        raise StockError("A badge code is 4-30 characters of 0-9 and A-Z.")
    with write_transaction() as session:
        if session.scalar(sa.select(User.id).where(User.username == username)):
            raise StockError(f"User {username} already exists.")
        works_in = None  # every warehouse
        if warehouse:
            code = warehouse.strip().upper()
            works_in = session.scalar(sa.select(Warehouse).where(Warehouse.code == code))
            if works_in is None:
                raise StockError(f"There is no warehouse {code[:20]}.")
        user = User(
            username=username,
            name=name or username,
            role=role,
            badge=badge,
            password_hash=generate_password_hash(password) if password else None,
            warehouse=works_in,
        )
        session.add(user)
        if created_by is not None:
            session.flush()
            audit.record(
                created_by,
                "create",
                "user",
                user.id,
                None,
                {**audit.snapshot(user, ["username", "name", "role", "badge"]),
                 "warehouse": works_in.code if works_in else ""},
            )
    return user


def system_user() -> User:
    """The user that command-line jobs (imports, demo data) post as; made on first use."""
    user = db.session.scalar(sa.select(User).where(User.username == SYSTEM_USERNAME))
    return user or create_user(SYSTEM_USERNAME, "System (command line)", role="admin")
