"""Admin pages for the office's documents: receipts and pick lists (header and lines by
SKU), and count tasks. Views on admin's blueprint, imported by admin."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import masterdata
from .admin import _form, bp
from .db import db
from .masterdata import PICK_LISTS, RECEIPTS, Invalid
from .models import CountTask

DOCS = {"receipts": RECEIPTS, "pick-lists": PICK_LISTS}

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
