"""The work a switched-off user held goes back to the floor: their pick lists back in the
queue, their count tasks to any worker (a recount to another worker, as when it was
raised). Done in the switching off's own transaction, each step audited as the
supervisors' hand-back and give are."""

import sqlalchemy as sa

from .count_tasks import give, last_counter
from .db import db
from .models import CountTask, DocStatus, PickList, User
from .pick_lists import hand_back
from .recounts import other_worker


def hand_over(actor: User, user: User) -> list[str]:
    """Free what `user` (already switched off) holds; says what went where."""
    reason = f"{user.name} switched off"
    said = []
    held = db.session.scalars(
        sa.select(PickList.number)
        .where(PickList.assigned_to_id == user.id, PickList.status == DocStatus.IN_PROGRESS)
        .order_by(PickList.id)
    ).all()
    for number in held:
        hand_back(actor, number, picker_id=user.id, reason=reason)
        said.append(f"{number} back in the queue")
    tasks = db.session.scalars(
        sa.select(CountTask)
        .where(CountTask.assigned_to_id == user.id, CountTask.status == DocStatus.OPEN)
        .order_by(CountTask.id)
    ).all()
    for task in tasks:
        to_id = None
        if task.source == "recount":
            last = last_counter(task.location_id)
            to_id = other_worker(last.id if last else None)
            if to_id is None:
                said.append(f"{task.number} still theirs (no other worker is active to recount it)")
                continue
        given = give(actor, task.number, to_id=to_id, reason=reason)
        said.append(f"{task.number} for {given.to.name if given.to else 'any worker'}")
    return said
