"""The floor: one screen per flow, each a short sequence of scans. Views are thin: the
rules of each flow live in its own module (receiving, moving, picking, counting)."""

import re

from flask import Blueprint, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape

from . import counting, lookup, moving, picking, receiving, steps

bp = Blueprint("floor", __name__)


_HYPHENATED_CODE = re.compile(r"\b[0-9A-Z]+(?:-[0-9A-Z]+)+\b")


@bp.app_template_filter()
def unbroken_codes(text: str) -> Markup:
    """The text, escaped, with each hyphenated code (a bin, a date) kept on one line: a
    worker reads "Go to A-01-02-B", never "A-01-" at a line's end and "02-B" below it."""
    return Markup(_HYPHENATED_CODE.sub(r'<span class="code">\g<0></span>', str(escape(text))))


FLOWS = {
    "receive": (receiving, "Receive"),
    "move": (moving, "Move"),
    "pick": (picking, "Pick"),
    "count": (counting, "Count"),
    "lookup": (lookup, "Look up"),
}


def _flow_page(name: str):
    flow, title = FLOWS[name]
    if request.method == "POST":
        step = steps.run(flow, current_user, steps.read_entry())
    else:
        step = steps.start(flow, current_user, request.args)
    return steps.respond("floor/page.html", step, flow=name, title=title)


@bp.route("/receive", methods=["GET", "POST"])
def receive():
    """Receive against an expected receipt, or blind."""
    return _flow_page("receive")


@bp.route("/move", methods=["GET", "POST"])
def move():
    """Move stock bin to bin, or put it away from the dock."""
    return _flow_page("move")


@bp.route("/pick", methods=["GET", "POST"])
def pick():
    """Pick a pick list bin by bin in walking order."""
    return _flow_page("pick")


@bp.route("/count", methods=["GET", "POST"])
def count():
    """Count a bin, blind."""
    return _flow_page("count")


@bp.route("/lookup", methods=["GET", "POST"])
def look_up():
    """What is in a bin, where an item or a lot is."""
    return _flow_page("lookup")


@bp.get("/putaway")
def putaway():
    """What sits on the dock, each with a suggested bin."""
    rows = moving.putaway_list(current_user.warehouse_id)
    return render_template("move/putaway.html", rows=rows)
