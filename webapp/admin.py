"""Admin pages: items, bins, users, documents, count tasks, CSV import/export, audit log.

Every route is for admins. Views parse the form, call one masterdata/csvio use case and
render; Invalid input re-renders the form with status 422 and the messages.
"""

import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import audit, csvio, masterdata
from .auth import role_required
from .db import db
from .masterdata import PICK_LISTS, RECEIPTS, Invalid
from .models import CountTask, InventoryType, Item, Location, LocationKind, Role, Tracking, User

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


DOCS = {"receipts": RECEIPTS, "pick-lists": PICK_LISTS}
IMPORTS = {
    "items": "Items",
    "locations": "Bins",
    "receipts": "Receipts",
    "pick-lists": "Pick lists",
}


def _form(template: str, status: int = 200, **context):
    return render_template(f"admin/{template}", **context), status


@bp.get("/")
def index():
    """Links to every admin page."""
    return render_template("admin/index.html", imports=IMPORTS)


# --- items -------------------------------------------------------------------------------


@bp.get("/items")
def items():
    """Items, searched by SKU or description."""
    q = request.args.get("q", "").strip()
    return render_template("admin/items.html", items=masterdata.items(q), q=q)


@bp.route("/items/new", methods=["GET", "POST"])
@bp.route("/items/<int:id>", methods=["GET", "POST"])
def item(id=None):
    """Create or edit an item with its barcodes."""
    found = db.get_or_404(Item, id) if id else None
    if request.method == "GET":
        values = csvio.item_state(found) if found else {"uom": "EA", "active": True}
        return _form("item.html", item=found, values=values, errors={})
    values = {**request.form, "active": "yes" if request.form.get("active") else "no"}
    try:
        saved = masterdata.save_item(current_user, values, id)
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
        values = csvio.location_state(found) if found else {"active": True, "kind": "storage"}
        return _form("location.html", location=found, values=values, errors={})
    values = {**request.form, "active": "yes" if request.form.get("active") else "no"}
    try:
        saved = masterdata.save_location(current_user, values, id)
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


# --- users -------------------------------------------------------------------------------


@bp.get("/users")
def users():
    """Everyone who can sign in, and who cannot any more."""
    return render_template("admin/users.html", users=masterdata.all_users(), roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Add a user with a role, PIN and badge."""
    if request.method == "GET":
        return _form("user_new.html", values={"role": "worker"}, errors={}, roles=list(Role))
    values = request.form.to_dict()
    try:
        saved = masterdata.create_user(current_user, values)
    except Invalid as invalid:
        values.pop("pin", None)
        return _form("user_new.html", 422, values=values, errors=invalid.errors, roles=list(Role))
    flash(f"User {saved.username} created.")
    return redirect(url_for("admin.users"))


@bp.get("/users/<int:id>")
def user(id, errors=None, status=200):
    """One user: role, PIN reset, deactivation."""
    found = db.get_or_404(User, id)
    return _form("user.html", status, user=found, errors=errors or {}, roles=list(Role))


@bp.post("/users/<int:id>/role")
def user_role(id):
    """Change a user's role."""
    try:
        masterdata.change_role(current_user, id, request.form.get("role", ""))
    except Invalid as invalid:
        return user(id, invalid.errors, 422)
    flash("Role changed.")
    return redirect(url_for("admin.user", id=id))


@bp.post("/users/<int:id>/pin")
def user_pin(id):
    """Set a new PIN; the user is signed out everywhere."""
    try:
        masterdata.reset_pin(current_user, id, request.form.get("pin", ""))
    except Invalid as invalid:
        return user(id, invalid.errors, 422)
    flash("PIN reset; the user was signed out on every device.")
    return redirect(url_for("admin.user", id=id))


@bp.post("/users/<int:id>/deactivate")
def user_deactivate(id):
    """Switch a user off and sign them out at once."""
    db.get_or_404(User, id)
    try:
        masterdata.deactivate_user(current_user, id, request.form.get("reason", ""))
    except Invalid as invalid:
        return user(id, invalid.errors, 422)
    flash("User switched off and signed out.")
    return redirect(url_for("admin.users"))


# --- receipts and pick lists -------------------------------------------------------------


def _kind(kind: str):
    if kind not in DOCS:
        abort(404)
    return DOCS[kind]


@bp.get("/<any(receipts, 'pick-lists'):kind>")
def documents(kind):
    """Receipts or pick lists, newest first."""
    return render_template(
        "admin/documents.html", kind=kind, docs=masterdata.documents(_kind(kind))
    )


@bp.route("/<any(receipts, 'pick-lists'):kind>/new", methods=["GET", "POST"])
@bp.route("/<any(receipts, 'pick-lists'):kind>/<int:id>", methods=["GET", "POST"])
def document(kind, id=None):
    """Create or edit a receipt or pick list: header and lines by SKU."""
    spec = _kind(kind)
    found = db.get_or_404(spec.model, id) if id else None
    if request.method == "GET":
        values = {}
        if found:
            values = {
                "number": found.number,
                "lines": masterdata.lines_text(found, spec),
                "supplier": getattr(found, "supplier", ""),
                "expected_on": getattr(found, "expected_on", None) or "",
            }
        return _form("document.html", kind=kind, doc=found, values=values, errors={})
    values = request.form.to_dict()
    try:
        saved = masterdata.save_document(current_user, spec, values, id)
    except Invalid as invalid:
        return _form(
            "document.html", 422, kind=kind, doc=found, values=values, errors=invalid.errors
        )
    flash(f"{saved.number} saved.")
    return redirect(url_for("admin.documents", kind=kind))


@bp.post("/<any(receipts, 'pick-lists'):kind>/<int:id>/cancel")
def document_cancel(kind, id):
    """Cancel a receipt or pick list nobody has started."""
    try:
        saved = masterdata.cancel_document(current_user, _kind(kind), id)
        flash(f"{saved.number} cancelled.")
    except Invalid as invalid:
        flash(invalid.message)
    return redirect(url_for("admin.documents", kind=kind))


# --- count tasks -------------------------------------------------------------------------


@bp.route("/counts", methods=["GET", "POST"])
def counts():
    """Open count tasks, and raising new ones by bin, zone or items."""
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
            skipped = f"; {len(made.skipped)} bins already had one" if made.skipped else ""
            flash(f"{len(made.created)} count tasks created{skipped}.")
            return redirect(url_for("admin.counts"))
    tasks = masterdata.open_count_tasks()
    return _form("counts.html", status, tasks=tasks, values=values, errors=errors)


@bp.post("/counts/<int:id>/cancel")
def count_cancel(id):
    """Cancel an open count task."""
    db.get_or_404(CountTask, id)
    try:
        saved = masterdata.cancel_document(current_user, masterdata.COUNT_TASKS, id)
        flash(f"{saved.number} cancelled.")
    except Invalid as invalid:
        flash(invalid.message)
    return redirect(url_for("admin.counts"))


# --- CSV ---------------------------------------------------------------------------------


def _preview(kind: str, text: str) -> csvio.Preview:
    if kind == "items":
        return csvio.preview_items(io.StringIO(text))
    if kind == "locations":
        return csvio.preview_locations(io.StringIO(text))
    return csvio.preview_documents(io.StringIO(text), kind)


def _import(kind: str, text: str) -> csvio.ImportResult:
    if kind == "items":
        return csvio.import_items(io.StringIO(text), user=current_user)
    if kind == "locations":
        return csvio.import_locations(io.StringIO(text), user=current_user)
    return csvio.import_documents(io.StringIO(text), kind, user=current_user)


@bp.get("/import/<any(items, locations, receipts, 'pick-lists'):kind>")
def import_form(kind):
    """Upload a CSV file to see what it would do."""
    return render_template("admin/import.html", kind=kind, title=IMPORTS[kind], preview=None)


@bp.post("/import/<any(items, locations, receipts, 'pick-lists'):kind>")
def import_preview(kind):
    """What the uploaded file would create and update, and every bad row; nothing written."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
        preview = csvio.Preview([csvio.RowError(1, "(file)", "the file is not UTF-8 text")])
    else:
        preview = _preview(kind, text)
    status = 422 if preview.errors else 200
    return render_template(
        "admin/import.html", kind=kind, title=IMPORTS[kind], preview=preview, text=text
    ), status


@bp.post("/import/<any(items, locations, receipts, 'pick-lists'):kind>/confirm")
def import_confirm(kind):
    """Write the previewed file: every row, or none if any is bad now."""
    text = request.form.get("text", "")
    result = _import(kind, text)
    if not result.ok:
        preview = _preview(kind, text)
        return render_template(
            "admin/import.html", kind=kind, title=IMPORTS[kind], preview=preview, text=text
        ), 422
    flash(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
    return redirect(url_for("admin.index"))


@bp.get("/export/<any(items, locations, receipts, 'pick-lists'):kind>.csv")
def export(kind):
    """Everything of this kind in the import format."""
    out = io.StringIO()
    if kind == "items":
        csvio.export_items(out)
    elif kind == "locations":
        csvio.export_locations(out)
    else:
        csvio.export_documents(out, kind)
    headers = {"Content-Disposition": f"attachment; filename={kind}.csv"}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


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
        else audit.page(entity, who.id if who else None, int(before) if before.isdigit() else None)
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
