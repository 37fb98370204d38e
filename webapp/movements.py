"""Movements: how a use case is posted (one transaction, replayed by idempotency key),
the row it writes, and movements read back (a worker's sentence, a document's totals)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .db import db, transactional
from .models import MovementKind, StockMovement, Tracking, User, utcnow
from .stock_checks import KEY_PATTERN, StockError, active_user, check_key

movement_t = StockMovement.__table__


@dataclass(frozen=True)
class Posted:
    """What a use case wrote, or found already written for the same key."""

    movements: list[StockMovement]
    replayed: bool = False

    @property
    def movement(self) -> StockMovement:
        return self.movements[0]


_k = movement_t.c.idempotency_key
# What a key posted: asked when a posting fails or is refused, never on the happy path.
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


def already_posted(key: str) -> list[StockMovement]:
    """What this key (and a batch's KEY:2, KEY:3 ...) already posted, oldest first."""
    ids = db.session.scalars(_KEYED, {"key": key, "first": key + ":", "past": key + ";"}).all()
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(StockMovement).where(StockMovement.id.in_(ids)).order_by(StockMovement.id)
        )
    )


def replay(user: User, prior: list[StockMovement]) -> Posted:
    if prior[0].user_id != user.id:
        raise StockError("That request was already recorded for another user.")
    return Posted(prior, replayed=True)


def posting(use_case):
    """Wrap a use case: one transaction, replay by idempotency key, writes nothing on error.

    The key is not looked up before posting: the movement's INSERT takes it (a unique
    index), so a resend fails there and is answered with what the key posted. Only then,
    or when the use case refuses (a resend may be refused because stock has moved on since),
    is the key looked up: the happy path of every scan skips that query."""

    run = transactional(use_case)

    def wrapper(user: User, *args, key: str, **kwargs) -> Posted:
        check_key(key)
        active_user(user)
        try:
            return run(user, *args, key=key, **kwargs)
        except StockError:
            if prior := already_posted(key):
                return replay(user, prior)
            raise
        except IntegrityError:
            # Lost a race with the same key on another connection: return what it wrote.
            if prior := already_posted(key):
                return replay(user, prior)
            # Lost a race on another unique rule (one reversal per movement, one lot per
            # code): run once more, now seeing what won, for the worker's proper answer.
            return run(user, *args, key=key, **kwargs)

    wrapper.__name__ = use_case.__name__
    wrapper.__doc__ = use_case.__doc__
    wrapper.__wrapped__ = use_case  # for a larger posting to run it in its own transaction
    return wrapper


_INSERT_MOVEMENT = sa.insert(movement_t).returning(movement_t.c.id)


def record(
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
    row["id"] = db.session.execute(_INSERT_MOVEMENT, row).scalar_one()
    return StockMovement(
        **row, item=item, lot=lot, from_location=source, to_location=target, user=user
    )



def replayed(user: User, key: str) -> Posted | None:
    """What this key already posted, if anything (a resent or replayed submit)."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        return None
    prior = already_posted(key)
    return replay(user, prior) if prior else None


def describe(m: StockMovement) -> str:
    """One line a worker reads: "13 × 1042 lot L4 from A-01-01-A to SHIP-1"."""
    lot = ""
    if m.lot:
        lot = f" {'serial' if m.item.tracking == Tracking.SERIAL else 'lot'} {m.lot.code}"
    where = {
        (True, True): f" from {m.from_location and m.from_location.code} to "
        f"{m.to_location and m.to_location.code}",
        (False, True): f" into {m.to_location and m.to_location.code}",
        (True, False): f" out of {m.from_location and m.from_location.code}",
    }[(m.from_location_id is not None, m.to_location_id is not None)]
    return f"{m.quantity} × {m.item.sku}{lot}{where}"


_m, _original = StockMovement, sa.orm.aliased(StockMovement)
# Built once: every pick and receive scan asks what its document has had posted. One
# statement: the document's movements of that kind, less the reversals of such movements.
_POSTED = (
    sa.select(
        _m.item_id,
        sa.func.sum(sa.case((_m.kind == sa.bindparam("kind"), _m.quantity), else_=-_m.quantity)),
    )
    .outerjoin(_original, _m.reverses_id == _original.id)
    .where(
        _m.reference == sa.bindparam("reference"),
        sa.or_(_m.kind == sa.bindparam("kind"), _original.kind == sa.bindparam("kind")),
    )
    .group_by(_m.item_id)
)


def posted_by_item(reference: str, kind: MovementKind) -> dict[int, int]:
    """Units posted against a document (a receipt, a pick list) per item, less reversals."""
    return dict(db.session.execute(_POSTED, {"reference": reference, "kind": kind}).all())


def movement_ids(where: list, bin_id: int | None, newest_first: bool, limit: int):
    """Ids of up to `limit` matching movements. A bin is on either side of a movement:
    one index range scan per side (from, id) and (to, id), merged, rather than an OR."""
    order = StockMovement.id.desc() if newest_first else StockMovement.id.asc()

    def side(column):
        query = sa.select(StockMovement.id).where(*where)
        if column is not None:
            query = query.where(column == bin_id)
        return query.order_by(order).limit(limit).subquery()

    if bin_id is None:
        return sa.select(side(None).c.id)
    sides = [side(StockMovement.from_location_id), side(StockMovement.to_location_id)]
    return sa.union(*(sa.select(s.c.id) for s in sides))
