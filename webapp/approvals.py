"""Count variances: the supervisor's queue, approve, reject (a recount), bulk approval and
approval within the configured thresholds as the count is recorded.

Approving posts the counted difference (counted - system quantity at count time) through
stock.adjust, keyed `approve-<line id>`: whatever moved in the bin since the count stays
counted once, a resend posts nothing more, and two supervisors approving at once post
once. The adjustment commits first; the line then becomes APPROVED only if it is still
PENDING. Should the process stop between the two, the line stays in the queue and
approving it again finds the adjustment by its key and only records the decision.

The queue a supervisor decides from is in variances (re-exported here for callers), the
recount a rejection raises in recounts.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from . import audit, stock, users
from .db import db, transactional
from .models import CountLine, CountStatus, CountTask, Role, StockMovement, User, utcnow
from .recounts import open_recount
from .stock import Forbidden, NotEnoughStock, StockError
from .variances import RECENT as RECENT
from .variances import Recent as Recent
from .variances import Variance, money, variance
from .variances import queue as queue
from .variances import zones as zones

log = logging.getLogger(__name__)

AUTO_REASON = "auto-approved within threshold"
PREFIX = "count variance"
DECIDERS = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Decision:
    """What became of one line: said in a sentence, with what was posted or raised."""

    line_id: int
    message: str
    ok: bool = True
    replayed: bool = False
    movement_id: int | None = None
    recount: str | None = None  # the recount task's number


# --- deciding ----------------------------------------------------------------------


def approve(user: User, line_id: int, reason: str = "") -> Decision:
    """Post a variance to the ledger as the counted difference and mark it approved.

    Refused, posting nothing: a worker; the supervisor who counted it (SEGREGATE_DUTIES);
    no reason above REASON_REQUIRED_VALUE; a difference that would take the bin below zero
    because stock moved since the count. Approving again says so and posts nothing.
    """
    _may_decide(user)
    return _approve(user, line_id, _clean(reason))


def bulk_approve(user: User, line_ids, reason: str = "") -> list[Decision]:
    """Approve each line on its own (its own transaction and key): one result per line."""
    _may_decide(user)
    results = []
    for line_id in dict.fromkeys(line_ids):  # in the order given, once each
        try:
            results.append(approve(user, line_id, reason))
        except StockError as refusal:
            db.session.rollback()
            results.append(Decision(line_id, _labelled(line_id, refusal.message), ok=False))
    return results


def auto_approve(task: CountTask) -> list[Decision]:
    """Approve, as the system user, each variance of a just-recorded count that lies within
    AUTO_APPROVE_UNITS units and AUTO_APPROVE_VALUE in value (both must be set above 0).
    A variance that cannot be posted stays in the queue for a supervisor."""
    most_units, most_value = current_app.config["AUTO_APPROVE_UNITS"], money("AUTO_APPROVE_VALUE")
    if most_units <= 0 or most_value <= 0:
        return []
    small = [
        line
        for line in task.lines
        if line.status == CountStatus.PENDING
        and abs(line.variance) <= most_units
        and abs(line.variance * line.item.unit_cost) <= most_value
    ]
    if not small:
        return []
    system, results = users.system_user(), []
    for line in small:
        try:
            decision = _approve(system, line.id, AUTO_REASON)
        except StockError as refusal:
            db.session.rollback()
            log.warning("count %s line %s not auto-approved: %s", task.number, line.id, refusal)
            continue
        log.info("count %s line %s %s: %s", task.number, line.id, AUTO_REASON, decision.message)
        results.append(decision)
    return results


class _DecidedMeanwhile(Exception):
    """The line was decided by someone else between our read and our update."""


def _approve(user: User, line_id: int, reason: str) -> Decision:
    try:
        return _approve_pending(user, line_id, reason)
    except _DecidedMeanwhile:
        v = variance(line_id)  # everything was rolled back: answer with what stands
        if v.line.status == CountStatus.REJECTED:
            raise StockError(f"{v.label} was rejected a moment ago; nothing was posted.") from None
        return _already(v)


@transactional
def _approve_pending(user: User, line_id: int, reason: str) -> Decision:
    """The adjustment and the decision in one transaction: both stand, or neither."""
    v = variance(line_id)
    if v.line.status != CountStatus.PENDING:
        return _already(v)
    key = f"approve-{v.line.id}"
    posted = _movement(key)  # left by an approval from before decisions were atomic
    if posted is None:
        _check(user, v, reason)
        try:
            posted = stock.adjust(
                user,
                bin=v.bin.code,
                sku=v.item.sku,
                lot=v.lot.code if v.lot else None,
                delta=v.units,
                reason=f"{PREFIX}: {reason}" if reason else PREFIX,
                reference=v.task.number,
                key=key,
            ).movement
        except StockError as refusal:
            # Another supervisor's approval posted this key a moment ago: theirs stands.
            posted = _movement(key)
            if posted is None and isinstance(refusal, NotEnoughStock):
                raise StockError(_below_zero(v, variance(line_id).on_hand)) from None
            if posted is None:
                raise
    if not _settle(v.line.id, posted):
        raise _DecidedMeanwhile()
    said = f"Approved {v.label}: {v.units:+d} posted against count {v.task.number}."
    if v.moved:
        said = f"Stock moved since the count: applying the counted difference of {v.units}. {said}"
    return Decision(v.line.id, said, movement_id=posted.id)


def _check(user: User, v: Variance, reason: str) -> None:
    if v.superseded:
        raise StockError(f"{v.bin.code} was counted again since: decide on the newer count.")
    if current_app.config["SEGREGATE_DUTIES"] and v.task.counted_by_id == user.id:
        raise Forbidden(f"You counted {v.bin.code} yourself: another supervisor must approve it.")
    if v.needs_reason and not reason:
        raise StockError(
            f"{v.label}: a variance worth {abs(v.value):,.2f} needs a reason "
            f"(above {money('REASON_REQUIRED_VALUE'):,.2f})."
        )
    if v.on_hand + v.units < 0:
        raise StockError(_below_zero(v, v.on_hand))


def _below_zero(v: Variance, on_hand: int) -> str:
    return (
        f"Stock moved since the count: applying the counted difference of {v.units} would "
        f"take {v.bin.code} below zero (it holds {on_hand} of {v.item.sku} now). Nothing was "
        "posted: reject it to have the bin recounted."
    )


def _settle(line_id: int, posted: StockMovement) -> bool:
    """Record the decision the posted adjustment carries, if the line is still pending."""
    reason = posted.reason.removeprefix(PREFIX).removeprefix(": ")
    auto = reason == AUTO_REASON and posted.user.username == users.SYSTEM_USERNAME
    status = CountStatus.AUTO_APPROVED if auto else CountStatus.APPROVED
    done = db.session.execute(
        sa.update(CountLine)
        .where(CountLine.id == line_id, CountLine.status == CountStatus.PENDING)
        .values(
            status=status,
            decided_by_id=posted.user_id,
            decided_at=posted.created_at,
            reason=reason,
            movement_id=posted.id,
        )
    )
    if done.rowcount != 1:
        return False
    audit.record(
        posted.user,
        "auto_approve" if auto else "approve",
        "count_line",
        line_id,
        before={"status": "pending"},
        after={"status": status.value, "movement_id": posted.id},
        reason=reason,
    )
    return True


def reject(user: User, line_id: int, reason: str = "", assign_to_id: int | None = None):
    """Reject a variance and raise a recount of its bin, for another worker than the one
    who counted (the least busy active worker) unless `assign_to_id` says who. The
    recount's lines then replace this one in the queue. Posts nothing."""
    _may_decide(user)
    return _reject(user, line_id, _clean(reason), assign_to_id)


@transactional
def _reject(user: User, line_id: int, reason: str, assign_to_id: int | None) -> Decision:
    v = variance(line_id)
    if v.line.status != CountStatus.PENDING:
        return _already(v, rejecting=True)
    if v.superseded:
        raise StockError(f"{v.bin.code} was counted again since: decide on the newer count.")
    if _movement(f"approve-{v.line.id}") is not None:
        raise StockError(f"{v.label} is being approved: its adjustment is already posted.")
    done = db.session.execute(
        sa.update(CountLine)
        .where(CountLine.id == v.line.id, CountLine.status == CountStatus.PENDING)
        .values(
            status=CountStatus.REJECTED, decided_by_id=user.id, decided_at=utcnow(), reason=reason
        )
    )
    if done.rowcount != 1:  # decided by someone else since we looked (PostgreSQL)
        return _already(variance(line_id), rejecting=True)
    recount = open_recount(v, user, assign_to_id)
    audit.record(
        user,
        "reject",
        "count_line",
        v.line.id,
        before={"status": "pending"},
        after={"status": "rejected", "recount": recount.number},
        reason=reason,
    )
    who = recount.assigned_to_id and db.session.get(User, recount.assigned_to_id).name
    return Decision(
        v.line.id,
        f"Rejected {v.label}: recount {recount.number} raised for {who or 'any worker'}.",
        recount=recount.number,
    )


def _already(v: Variance, rejecting: bool = False) -> Decision:
    """A line decided before: the same decision again is answered, not repeated."""
    line = v.line
    who = line.decided_by_id and db.session.get(User, line.decided_by_id).name
    if line.status in (CountStatus.APPROVED, CountStatus.AUTO_APPROVED) and not rejecting:
        how = "automatically" if line.status == CountStatus.AUTO_APPROVED else f"by {who}"
        return Decision(
            line.id,
            f"Already approved {how}: {v.label} {v.units:+d}.",
            replayed=True,
            movement_id=line.movement_id,
        )
    if line.status == CountStatus.REJECTED and rejecting:
        return Decision(line.id, f"Already rejected by {who}: {v.label}.", replayed=True)
    if line.status == CountStatus.MATCHED:
        raise StockError(f"{v.label} matched when counted: there is nothing to decide.")
    if line.status == CountStatus.SUPERSEDED:
        raise StockError(f"{v.bin.code} was {line.reason}: decide on the newer count.")
    done = "rejected" if line.status == CountStatus.REJECTED else "approved"
    raise StockError(f"{v.label} was already {done} by {who or 'the system'}.")


# --- small helpers -----------------------------------------------------------------


def _may_decide(user: User) -> None:
    if user is None or not user.active or user.role not in DECIDERS:
        raise Forbidden("Only a supervisor can approve or reject counts.")


def _movement(key: str) -> StockMovement | None:
    return db.session.scalar(sa.select(StockMovement).where(StockMovement.idempotency_key == key))


def _clean(reason: str | None) -> str:
    return " ".join((reason or "").split())[:150]


def _labelled(line_id: int, message: str) -> str:
    try:
        label = variance(line_id).label
    except StockError:
        return message
    return message if message.startswith(label) else f"{label}: {message}"
