"""Supervisors' reports: the floor now, stock, the ledger, count accuracy, stock to act on.

Thin views over webapp/reports.py and webapp/inventory.py. A page whose results an htmx
request targets gets back only the results partial, so every URL it pushes also opens as
a whole page.
"""

from datetime import timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context

from . import inventory, reports
from .auth import role_required
from .models import MovementKind, Role, utcnow
from .request_input import whole_number

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _page_or_part(template: str, part: str, target: str, **context):
    """The whole page, or only its partial when an htmx request targets it."""
    fragment = request.headers.get("HX-Target") == target
    response = Response(render_template(part if fragment else template, **context))
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _whole(name: str, default: int, most: int = 3650) -> int:
    n = whole_number(request.args.get(name))
    return min(n, most) if n else default


def _id(name: str) -> int | None:
    return whole_number(request.args.get(name))


@bp.get("/")
@role_required(Role.SUPERVISOR)
def overview():
    """Open work, who is picking what, and who moved stock in the last hour."""
    return render_template("reports/overview.html", o=reports.floor_overview())


@bp.get("/on-hand")
@role_required(Role.SUPERVISOR)
def on_hand():
    """On hand by item, bin and lot, searched as you type."""
    search = request.args.get("q", "").strip()
    rows, more = inventory.on_hand_rows(search)
    return _page_or_part(
        "reports/on_hand.html",
        "reports/_on_hand.html",
        "on-hand-results",
        q=search,
        rows=rows,
        more=more,
        limit=inventory.ON_HAND_LIMIT,
    )


@bp.get("/stock")
@role_required(Role.SUPERVISOR)
def stock():
    """Stock by zone and by inventory type, and the empty bins."""
    return render_template(
        "reports/stock.html",
        zones=inventory.stock_by_zone(),
        types=inventory.stock_by_type(),
        empty=inventory.empty_bins(),
    )


@bp.get("/movements")
@role_required(Role.SUPERVISOR)
def movements():
    """The ledger, filtered, newest first, fifty at a time."""
    f = reports.MovementFilter.from_args(request.args)
    page = reports.movements_page(f, before=_id("before"), after=_id("after"))
    return _page_or_part(
        "reports/movements.html",
        "reports/_movements.html",
        "movements-results",
        f=f,
        page=page,
        kinds=list(MovementKind),
    )


@bp.get("/movements.csv")
@role_required(Role.SUPERVISOR)
def movements_csv():
    """The filtered ledger as a CSV download, streamed."""
    f = reports.MovementFilter.from_args(request.args)
    response = Response(
        stream_with_context(reports.movements_csv(f)), mimetype="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="movements.csv"'
    return response


@bp.get("/accuracy")
@role_required(Role.SUPERVISOR)
def accuracy():
    """Count accuracy by zone and ISO week over the last `weeks` weeks."""
    weeks = _whole("weeks", 12, most=104)
    today = utcnow().date()
    since = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    return render_template(
        "reports/accuracy.html", weeks=weeks, since=since, a=reports.accuracy(since)
    )


@bp.get("/low-stock")
@role_required(Role.SUPERVISOR)
def low_stock():
    """Items below their reorder point or safety stock."""
    return render_template("reports/low_stock.html", rows=reports.low_stock())


@bp.get("/expiring")
@role_required(Role.SUPERVISOR)
def expiring():
    """Lots on hand expiring within `days` days (30 unless asked)."""
    days = _whole("days", 30)
    today = utcnow().date()
    return render_template(
        "reports/expiring.html", days=days, today=today, rows=reports.expiring(days, today)
    )


@bp.get("/excess")
@role_required(Role.SUPERVISOR)
def excess():
    """Items on hand with no movement in `days` days (90 unless asked)."""
    days = _whole("days", 90)
    return render_template("reports/excess.html", days=days, rows=reports.excess(days))
