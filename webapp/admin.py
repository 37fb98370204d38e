"""Admin pages: items, bins, users, receipts and pick lists, CSV import/export, audit log.

Every route is for admins. Views parse the form, call one masterdata/csvio use case and
render; Invalid input re-renders the form with status 422 and the messages.

This module holds the blueprint, the index, items, bins and the audit log. Users
(admin_users), receipts and pick lists (admin_documents) and CSV import and
export (admin_csv) add their views to the same blueprint `bp`, imported at the end of this
module; url_for names stay "admin.<view>".
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import audit, csvio, masterdata
from .auth import role_required
from .db import db
from .masterdata import ChangedMeanwhile, Invalid
from .models import InventoryType, Item, Location, LocationKind, Role, Tracking, User
from .request_input import whole_number

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only():
    """Every route here, including any added later, is for admins."""


@bp.context_processor
def _choices():
    return {
        "kinds": list(LocationKind),
        "inventory_types": list(InventoryType),
        "trackings": list(Tracking),
    }


IMPORTS = {
    "items": "Items",
    "locations": "Bins",
    "receipts": "Receipts",
    "pick-lists": "Pick lists",
}


def _form(template: str, status: int = 200, **context):
    return render_template(f"admin/{template}", **context), status


def _as_saved(state: dict) -> dict:
    """A row's values for its edit form, with the version the form sends back ("seen")."""
    return {**state, "seen": masterdata.version_of(state)}


@bp.get("/")
def index():
    """Links to every admin page."""
    return render_template("admin/index.html", imports=IMPORTS)


# --- items -------------------------------------------------------------------------------


@bp.get("/items")
def items():
    """Items, searched by SKU or description."""
    q = request.args.get("q", "").strip()
    # A putaway zone the bins no longer have (renamed since) is marked: its stock's
    # suggestion falls back to any empty bin.
    zones = csvio.bin_zones()
    return render_template("admin/items.html", items=masterdata.items(q), q=q, zones=zones)


@bp.route("/items/new", methods=["GET", "POST"])
@bp.route("/items/<int:id>", methods=["GET", "POST"])
def item(id=None):
    """Create or edit an item with its barcodes."""
    found = db.get_or_404(Item, id) if id else None
    if request.method == "GET":
        values = _as_saved(csvio.item_state(found)) if found else {"uom": "EA", "active": True}
        return _form("item.html", item=found, values=values, errors={})
    values = {**request.form, "active": "yes" if request.form.get("active") else "no"}
    try:
        saved = masterdata.save_item(current_user, values, id)
    except ChangedMeanwhile as changed:  # show theirs, to make the change again on
        values = _as_saved(csvio.item_state(found))
        return _form("item.html", 422, item=found, values=values, errors=changed.errors)
    except Invalid as invalid:
        return _form("item.html", 422, item=found, values=values, errors=invalid.errors)
    flash(f"Item {saved.sku} saved.")
    return redirect(url_for("admin.items"))


@bp.post("/items/<int:id>/active")
def item_active(id):
    """Deactivate an item, or bring it back."""
    saved = masterdata.set_item_active(current_user, id, request.form.get("active") == "yes")
    flash(f"Item {saved.sku} is {'active' if saved.active else 'switched off'}.")
    return redirect(url_for("admin.items"))


# --- bins --------------------------------------------------------------------------------


@bp.get("/locations")
def locations():
    """Bins in walking order, by warehouse and zone."""
    wh, zone = request.args.get("warehouse", ""), request.args.get("zone", "")
    found = masterdata.locations(wh, zone)
    return render_template("admin/locations.html", locations=found, warehouse=wh, zone=zone)


@bp.route("/locations/new", methods=["GET", "POST"])
@bp.route("/locations/<int:id>", methods=["GET", "POST"])
def location(id=None):
    """Create or edit one bin."""
    found = db.get_or_404(Location, id) if id else None
    if request.method == "GET":
        values = (
            _as_saved(csvio.location_state(found)) if found else {"active": True, "kind": "storage"}
        )
        return _form("location.html", location=found, values=values, errors={})
    values = {**request.form, "active": "yes" if request.form.get("active") else "no"}
    try:
        saved = masterdata.save_location(current_user, values, id)
    except ChangedMeanwhile as changed:
        values = _as_saved(csvio.location_state(found))
        return _form("location.html", 422, location=found, values=values, errors=changed.errors)
    except Invalid as invalid:
        return _form("location.html", 422, location=found, values=values, errors=invalid.errors)
    flash(f"Bin {saved.code} saved.")
    return redirect(url_for("admin.locations"))


@bp.post("/locations/<int:id>/active")
def location_active(id):
    """Deactivate an empty bin, or bring it back."""
    active = request.form.get("active") == "yes"
    try:
        saved = masterdata.set_location_active(current_user, id, active)
    except Invalid as invalid:
        flash(invalid.message)
        return redirect(url_for("admin.locations"))
    flash(f"Bin {saved.code} is {'active' if saved.active else 'switched off'}.")
    return redirect(url_for("admin.locations"))


@bp.route("/locations/range", methods=["GET", "POST"])
def location_range():
    """Bins in ranges: preview first, create on confirm."""
    values = request.form.to_dict() if request.method == "POST" else {"kind": "storage"}
    if request.method == "GET":
        return _form("range.html", values=values, errors={}, plan=None)
    try:
        if request.form.get("confirm"):
            made = masterdata.create_range(current_user, values)
            flash(f"{len(made)} bins created.")
            return redirect(url_for("admin.locations"))
        plan = masterdata.plan_range(values)
    except Invalid as invalid:
        return _form("range.html", 422, values=values, errors=invalid.errors, plan=None)
    return _form("range.html", 422 if plan.clashes else 200, values=values, errors={}, plan=plan)


@bp.get("/locations/<int:id>/history")
def location_history(id):
    """Who changed what this bin holds, and why: movements and audit entries."""
    found = db.get_or_404(Location, id)
    events = audit.bin_history(found.id)
    return render_template("admin/history.html", location=found, events=events)


# --- audit -------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log():
    """The audit log, newest first, by entity and user, a page at a time."""
    entity = request.args.get("entity", "")
    username = request.args.get("user", "").strip().lower()
    before = request.args.get("before", "")
    who = None
    if username:
        who = db.session.scalar(db.select(User).where(User.username == username))
    entries, next_id = (
        ([], None)
        if username and who is None
        else audit.page(entity, who.id if who else None, whole_number(before))
    )
    return render_template(
        "admin/audit.html",
        entries=entries,
        next_id=next_id,
        entity=entity,
        user=username,
        entities=audit.entities(),
        change_text=audit.change_text,
    )


# --- the other admin pages, on the same blueprint ----------------------------------------
# Imported last, as modules (not names): they take `bp` and the helpers above from here,
# and importing one of them first must still work.

from . import admin_csv, admin_documents, admin_users  # noqa: E402, F401
