"""The audit log: who changed master data or approved what, when, and what it was before.

`record` adds an entry to the caller's session and never commits: the entry is written in
the same transaction as the change it describes, or not at all. Before/after hold only the
fields that changed, as JSON (decimals, dates and enums as text).
"""

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .db import db
from .models import AuditEntry, CountLine, CountTask, StockMovement, User
from .movements import movement_ids

PAGE_SIZE = 50


def record(
    user: User | int,
    action: str,
    entity: str,
    entity_id: int,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits it with its change).

    Pass whole snapshots or just the changed fields: when both are given, fields equal on
    both sides are dropped, so the entry shows what changed.
    """
    before, after = _plain(before), _plain(after)
    if before is not None and after is not None:
        same = {k for k in before.keys() & after.keys() if before[k] == after[k]}
        before = {k: v for k, v in before.items() if k not in same}
        after = {k: v for k, v in after.items() if k not in same}
    entry = AuditEntry(
        user_id=user if isinstance(user, int) else user.id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=(reason or "")[:200],
    )
    db.session.add(entry)
    return entry


def snapshot(obj, fields) -> dict:
    """The named attributes of a row, ready to compare and store."""
    return _plain({name: getattr(obj, name) for name in fields})


def _plain(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {key: _json_value(value) for key, value in values.items()}


def _json_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


# --- reading -----------------------------------------------------------------------------


def page(
    entity: str = "", user_id: int | None = None, before_id: int | None = None
) -> tuple[list[AuditEntry], int | None]:
    """One page of entries, newest first, and the id to continue from (keyset, so a page
    stays cheap however long the log grows), or None on the last page."""
    query = sa.select(AuditEntry).options(selectinload(AuditEntry.user))
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, rows[-1].id if more else None


def entities() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.entity).distinct().order_by("entity")))


@dataclass
class Event:
    """One line of a bin's history: a ledger movement or an audit entry."""

    at: datetime
    who: str
    what: str
    detail: str
    reason: str
    movement: StockMovement | None = None
    entry: AuditEntry | None = None


def bin_history(location_id: int, limit: int = 200) -> list[Event]:
    """Who changed what a bin holds, and why: its movements, the audit entries of the bin
    itself and of count lines decided for it, newest first."""
    newest = movement_ids([], location_id, newest_first=True, limit=limit)
    movements = db.session.scalars(
        sa.select(StockMovement)
        .options(
            selectinload(StockMovement.user),
            selectinload(StockMovement.item),
            selectinload(StockMovement.lot),
        )
        .where(StockMovement.id.in_(newest))
        .order_by(StockMovement.id.desc())
    )
    count_lines = (
        sa.select(CountLine.id)
        .join(CountTask, CountTask.id == CountLine.task_id)
        .where(CountTask.location_id == location_id)
    )
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .options(selectinload(AuditEntry.user))
        .where(
            sa.or_(
                sa.and_(AuditEntry.entity == "location", AuditEntry.entity_id == location_id),
                sa.and_(AuditEntry.entity == "count_line", AuditEntry.entity_id.in_(count_lines)),
            )
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    events = [_movement_event(m, location_id) for m in movements]
    events += [
        Event(
            e.at,
            e.user.username,
            f"{e.action} {e.entity} {e.entity_id}",
            change_text(e),
            e.reason,
            entry=e,
        )
        for e in entries
    ]
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


def _movement_event(m: StockMovement, location_id: int) -> Event:
    sign = "-" if m.from_location_id == location_id else "+"
    lot = f" lot {m.lot.code}" if m.lot_id else ""
    detail = f"{sign}{m.quantity} {m.item.sku}{lot}"
    if m.reference:
        detail += f" ({m.reference})"
    return Event(m.created_at, m.user.username, m.kind.value, detail, m.reason, movement=m)


def change_text(entry: AuditEntry) -> str:
    before, after = entry.before or {}, entry.after or {}
    parts = []
    for key in sorted(before.keys() | after.keys()):
        if key in before and key in after:
            parts.append(f"{key}: {before[key]} → {after[key]}")
        elif key in after:
            parts.append(f"{key}: {after[key]}")
        else:
            parts.append(f"{key} was {before[key]}")
    return "; ".join(parts)
