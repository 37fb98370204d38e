"""Admin pages for the office's documents: receipts and pick lists (header and lines by
SKU). Views on admin's blueprint, imported by admin. (Count tasks are the supervisors':
webapp/supervisor.py.)"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import masterdata
from .admin import _form, bp
from .db import db
from .masterdata import PICK_LISTS, RECEIPTS, ChangedMeanwhile, Invalid

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
        values = _as_saved(found, spec) if found else {}
        return _form("document.html", kind=kind, doc=found, values=values, errors={})
    values = request.form.to_dict()
    try:
        saved = masterdata.save_document(current_user, spec, values, id)
    except ChangedMeanwhile as changed:  # show theirs, to make the change again on
        values = _as_saved(found, spec)
        return _form(
            "document.html", 422, kind=kind, doc=found, values=values, errors=changed.errors
        )
    except Invalid as invalid:
        return _form(
            "document.html", 422, kind=kind, doc=found, values=values, errors=invalid.errors
        )
    flash(f"{saved.number} saved.")
    return redirect(url_for("admin.documents", kind=kind))


def _as_saved(doc, spec) -> dict:
    """A document's values for its edit form, with the version the form sends back."""
    return {
        "number": doc.number,
        "lines": masterdata.lines_text(doc, spec),
        "supplier": getattr(doc, "supplier", ""),
        "expected_on": getattr(doc, "expected_on", None) or "",
        "seen": masterdata.version_of(masterdata.document_state(doc, spec)),
    }


@bp.post("/<any(receipts, 'pick-lists'):kind>/<int:id>/cancel")
def document_cancel(kind, id):
    """Cancel a receipt or pick list nobody has started."""
    try:
        saved = masterdata.cancel_document(current_user, _kind(kind), id)
        flash(f"{saved.number} cancelled.")
    except Invalid as invalid:
        flash(invalid.message)
    return redirect(url_for("admin.documents", kind=kind))
