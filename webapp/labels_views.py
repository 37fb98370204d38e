"""Label printing for the office: bins by zone, aisle or range, and any one thing's label."""

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from . import labels
from .auth import role_required
from .models import Role
from .request_input import whole_number

bp = Blueprint("labels", __name__, url_prefix="/admin/labels")


@bp.before_request
@role_required(Role.SUPERVISOR)
def _supervisors_and_admins_only():
    """Every label route: a supervisor reprints a torn bin label on the spot; workers don't
    print (a label is as good as a bin or badge, so printing is not for everyone)."""


def _size_and_dpi():
    size = labels.SIZES.get(request.args.get("size", "2x1"))
    dpi = request.args.get("dpi", "203")
    if size is None or whole_number(dpi) not in labels.DPIS:
        abort(400, "Unknown label size or printer resolution.")
    return size, int(dpi)


def _sheet(found: list, title: str):
    size, dpi = _size_and_dpi()
    if request.args.get("format") == "zpl":
        body = "".join(labels.zpl(label, size, dpi) for label in found)
        return Response(body, mimetype="text/plain")
    rendered = [(label, labels.render(label, size, dpi)) for label in found]
    return render_template("labels/sheet.html", title=title, size=size, dpi=dpi, rendered=rendered)


@bp.get("/")
def index():
    """Forms: bins by zone/aisle/range, or one label by kind and code."""
    return render_template(
        "labels/index.html", sizes=labels.SIZES, dpis=labels.DPIS, kinds=labels.KINDS
    )


@bp.get("/locations")
def locations():
    """A print sheet of every bin in a zone, an aisle or a range of codes."""
    args = request.args
    bins = labels.locations(
        args.get("zone", "").strip(),
        args.get("aisle", "").strip(),
        args.get("first", "").strip(),
        args.get("last", "").strip(),
    )
    return _sheet([labels.location_label(b) for b in bins], f"{len(bins)} bin labels")


@bp.get("/find")
def find():
    """One label by kind and the code an office user knows."""
    kind, code = request.args.get("kind", ""), request.args.get("code", "")
    found = labels.find(kind, code)
    if found is None:
        return render_template(
            "labels/index.html",
            sizes=labels.SIZES,
            dpis=labels.DPIS,
            kinds=labels.KINDS,
            error=f"No {labels.KINDS.get(kind, 'label').lower()} “{code}”.",
        ), 404
    keep = {k: v for k, v in request.args.items() if k in ("size", "dpi", "copies")}
    return redirect(url_for("labels.one", kind=kind, id=found, **keep))


def _label(kind: str, id: int):
    label = labels.label_for(kind, id)
    if label is None:
        abort(404)
    return label


@bp.get("/<kind>/<int:id>")
def one(kind, id):
    """A print sheet of one label, `copies` times."""
    label = _label(kind, id)
    copies = min(whole_number(request.args.get("copies")) or 1, 500)
    return _sheet([label] * copies, f"{labels.KINDS[kind]} {label.big}")


@bp.get("/<kind>/<int:id>.svg")
def one_svg(kind, id):
    """The label's barcode as SVG, with its text, for other documents to embed."""
    label = _label(kind, id)
    _, dpi = _size_and_dpi()
    dots = 3 if dpi == 203 else 4
    body = labels.svg(label.symbol, labels.dots_to_mm(dots, dpi), 15, text=True)
    return Response(str(body), mimetype="image/svg+xml")


@bp.get("/<kind>/<int:id>.png")
def one_png(kind, id):
    """The label's barcode as PNG at the printer's resolution."""
    label = _label(kind, id)
    _, dpi = _size_and_dpi()
    dots = 3 if dpi == 203 else 4
    return Response(
        labels.png(label.symbol, dots, round(15 * dpi / 25.4), dpi), mimetype="image/png"
    )
