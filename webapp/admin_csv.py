"""Admin pages for CSV files: upload to preview, confirm to import, and export in the
same format. Views on admin's blueprint, imported by admin."""

import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import csvio
from .admin import IMPORTS, bp
from .masterdata_forms import once_more_if_beaten

# --- CSV ---------------------------------------------------------------------------------


def _preview(kind: str, text: str) -> csvio.Preview:
    if kind == "items":
        return csvio.preview_items(io.StringIO(text))
    if kind == "locations":
        return csvio.preview_locations(io.StringIO(text))
    return csvio.preview_documents(io.StringIO(text), kind)


@once_more_if_beaten  # a double click on Import: the second finds the rows made
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
