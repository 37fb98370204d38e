"""The supervisor's desk: count variances to approve or send for a recount, pick lists
under way, to hand back one whose picker has gone, and count tasks: raising them, giving
one to another worker, cancelling one.

Views are thin: the rules live in approvals and picking. Each action answers with the queue: the
#queue fragment when htmx targets it, otherwise the whole page (plain form posts work
without JavaScript). A refusal is shown in the queue with status 422.
"""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from . import approvals, count_tasks, masterdata, picking
from .auth import role_required
from .db import db
from .masterdata_forms import Invalid
from .models import Role
from .request_input import whole_number
from .stock import StockError

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("/counts")
@role_required(Role.SUPERVISOR)
def counts():
    """Count variances waiting for a decision, largest value first, by zone."""
    return _queue()


@bp.post("/counts/<int:line_id>/approve")
@role_required(Role.SUPERVISOR)
def approve(line_id: int):
    """Approve one variance: post the counted difference to the ledger."""
    return _decide(lambda: [approvals.approve(current_user, line_id, _reason())])


@bp.post("/counts/<int:line_id>/reject")
@role_required(Role.SUPERVISOR)
def reject(line_id: int):
    """Reject one variance: raise a recount of its bin for another worker."""
    return _decide(lambda: [approvals.reject(current_user, line_id, _reason())])


@bp.post("/counts/approve")
@role_required(Role.SUPERVISOR)
def bulk_approve():
    """Approve the selected variances, each on its own."""
    ids = [n for v in request.form.getlist("line") if (n := whole_number(v)) is not None]
    if not ids:
        return _queue(error="Select the variances to approve first.", status=422)
    return _decide(lambda: approvals.bulk_approve(current_user, ids, _reason()))


def _reason() -> str:
    return request.form.get("reason", "")


def _decide(decide):
    try:
        results = decide()
    except StockError as refusal:
        db.session.rollback()
        return _queue(error=refusal.message, status=422)
    return _queue(results=results, status=200 if all(r.ok for r in results) else 422)


def _queue(results=(), error: str = "", status: int = 200):
    zone = request.values.get("zone", "").strip()
    page = {"rows": approvals.queue(zone or None), "zone": zone, "results": results}
    if request.headers.get("HX-Target") == "queue":
        html = render_template("supervisor/_queue.html", error=error, **page)
    else:
        html = render_template(
            "supervisor/counts.html", zones=approvals.zones(), error=error, **page
        )
    response = make_response(html, status)
    response.headers["Vary"] = "HX-Request, HX-Target"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/picking")
@role_required(Role.SUPERVISOR)
def picking_under_way():
    """The pick lists workers hold, who took each, when, and how far they got."""
    return render_template("supervisor/picking.html", rows=picking.under_way())


@bp.post("/picking/<number>/hand-back")
@role_required(Role.SUPERVISOR)
def hand_back(number: str):
    """Put a list back in the queue; what was picked stays picked. Plain post, then back."""
    picker = whole_number(request.form.get("picker", "")) or 0
    try:
        picking.hand_back(current_user, number, picker_id=picker, reason=_reason())
        flash(f"{number} is back in the queue: the next worker to take it picks the rest.")
    except StockError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    return redirect(url_for("supervisor.picking_under_way"))


@bp.route("/count-tasks", methods=["GET", "POST"])
@role_required(Role.SUPERVISOR)
def count_tasks_open():
    """Open count tasks and whom each is for; raising new ones by bin, zone or items."""
    values = request.form.to_dict() if request.method == "POST" else {"by": "bin"}
    errors, status = {}, 200
    if request.method == "POST":
        try:
            made = masterdata.create_count_tasks(
                current_user, values.get("by", ""), values.get("value", "")
            )
        except Invalid as invalid:
            errors, status = invalid.errors, 422
        else:
            n, skipped = len(made.created), len(made.skipped)
            said = f"{n} count task{'s' if n != 1 else ''} raised"
            if skipped:
                said += f"; {skipped} bin{'s' if skipped != 1 else ''} already had one"
            flash(said + ".")
            return _back_to_count_tasks()
    zone = request.values.get("zone", "").strip()
    page = render_template(
        "supervisor/count_tasks.html", tasks=count_tasks.open_tasks(300, zone or None),
        counters=count_tasks.counters(), zones=approvals.zones(), zone=zone, values=values,
        errors=errors,
    )
    return page, status


def _back_to_count_tasks():
    """Back to the desk, on the zone it showed."""
    zone = request.values.get("zone", "").strip()
    return redirect(url_for("supervisor.count_tasks_open", **({"zone": zone} if zone else {})))


@bp.post("/count-tasks/cycle")
@role_required(Role.SUPERVISOR)
def raise_cycle_counts():
    """Raise the cycle counts due now, as the daily `flask cycle-counts` job does."""
    n = len(count_tasks.schedule_cycle_counts())
    flash(f"{n} cycle count{'s' if n != 1 else ''} due: raised.")
    return _back_to_count_tasks()


@bp.post("/count-tasks/<number>/give")
@role_required(Role.SUPERVISOR)
def give_count_task(number: str):
    """Give a count task to the worker chosen (or to any worker). Plain post, then back."""
    to = request.form.get("to", "").strip()  # "" is any worker; a forged value, no one
    to_id = (whole_number(to) or 0) if to else None
    try:
        given = count_tasks.give(current_user, number, to_id=to_id, reason=_reason())
        flash(given.message)
    except StockError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    return _back_to_count_tasks()


@bp.post("/count-tasks/<number>/cancel")
@role_required(Role.SUPERVISOR)
def cancel_count_task(number: str):
    """Cancel an open count task (a count already recorded stands)."""
    try:
        masterdata.cancel_count_task(current_user, number, _reason())
        flash(f"{number} cancelled.")
    except StockError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    return _back_to_count_tasks()
