"""Labels that scan: bars from python-barcode, drawn here on whole printer dots.

python-barcode encodes (the bar/space pattern, check characters, GS1-128's FNC1); we draw
the pattern ourselves, because its writers place bars in millimetres (a 0.25 mm module is
1.97 dots at 203 dpi, so bars come out 1 or 2 dots wide) and its SVG carries `style`
attributes that our Content-Security-Policy refuses. Here a module is a whole number of
dots, quiet zones are kept in modules, and the same pattern feeds SVG, PNG and ZPL.

Our own codes (bins, badges, documents) are Code 128 of 0-9 A-Z; the human-readable form
may add dashes. Items print EAN-13/UPC-A/EAN-8 when they have a GTIN, else Code 128 of the
SKU; lots print GS1-128 (01)(17)(10), with the lot last so no separator is needed.
"""

import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from barcode.codex import Code128, Gs1_128
from barcode.ean import EuropeanArticleNumber8, EuropeanArticleNumber13
from barcode.upc import UniversalProductCodeA
from markupsafe import Markup, escape

from .barcodes import check_value, dots_to_mm, is_valid_gtin, own_code
from .db import db
from .models import CountTask, Item, Location, Lot, PickList, Receipt, User


class FixedCode128(Code128):
    """Code 128 without python-barcode 0.16.1's two bugs.

    It starts in code set C and then "optimises" a leading code-set switch away; a
    leading "99" is value 99, which is also "switch to C" in sets A/B, so "99123" was
    printed as "123". Only a real switch (100 to B, 101 to A) may be folded into the
    start. And it kept the code set between builds, so a second build differed.
    """

    def _build(self) -> list[int]:
        self._charset, self._buffer = "C", ""
        return super()._build()

    def _try_to_optimize(self, encoded: list[int]) -> list[int]:
        if encoded[0] == 105 and encoded[1] in (100, 101):
            encoded[:2] = [{100: 104, 101: 103}[encoded[1]]]
        return encoded


class FixedGs1128(FixedCode128, Gs1_128):
    """GS1-128 (leading FNC1 added by python-barcode) with the fixes above."""


QUIET = {"code128": 10, "gs1_128": 10, "ean13": 11, "upca": 9, "ean8": 7}
GS1_LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")  # GS1 character set 82


@dataclass(frozen=True)
class Symbol:
    symbology: str
    data: str  # what a scanner reads (GS1: element string with GS between fields)
    modules: str  # "1" bar, "0" space, without quiet zones
    hri: str  # human-readable text under the bars

    @property
    def quiet(self) -> int:
        return QUIET[self.symbology]

    @property
    def width_modules(self) -> int:
        return len(self.modules) + 2 * self.quiet


def encode(symbology: str, data: str) -> Symbol:
    """The bar pattern of `data`. GS1 data is an element string with GS between fields."""
    if symbology == "code128":
        modules, hri = FixedCode128(data).build()[0], data
    elif symbology == "gs1_128":
        modules = FixedGs1128(data.replace("\x1d", "\xf1")).build()[0]
        hri = gs1_hri(data)
    elif symbology in ("ean13", "upca", "ean8"):
        if not is_valid_gtin(data):  # python-barcode would silently "correct" it
            raise ValueError(f"{data} is not a valid GTIN")
        cls = {
            "ean13": EuropeanArticleNumber13,
            "upca": UniversalProductCodeA,
            "ean8": EuropeanArticleNumber8,
        }[symbology]
        modules, hri = cls(data[:-1]).build()[0], data
    else:
        raise ValueError(f"unknown symbology {symbology}")
    return Symbol(symbology, data, modules, hri)


def gs1_hri(data: str) -> str:
    """(01)05012345678900(17)270331(10)L42 from an element string."""
    from biip.gs1_messages import GS1Message

    return GS1Message.parse(data).as_hri()


# --- drawing ---------------------------------------------------------------------


def runs(modules: str) -> list[tuple[int, int]]:
    """(start, width) of each bar, in modules."""
    return [(m.start(), m.end() - m.start()) for m in re.finditer("1+", modules)]


def svg(symbol: Symbol, module_mm: float, height_mm: float, *, text: bool = False) -> Markup:
    """The bars as SVG in millimetres; one module is `module_mm` wide, quiet zones kept."""
    q, width = symbol.quiet, symbol.width_modules
    bar_h = height_mm / module_mm
    text_h = 12 if text else 0
    path = "".join(f"M{q + x} 0h{w}v{bar_h:.2f}h-{w}z" for x, w in runs(symbol.modules))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" '
        f'width="{width * module_mm:.3f}mm" height="{(bar_h + text_h) * module_mm:.3f}mm" '
        f'viewBox="0 0 {width} {bar_h + text_h:.2f}" shape-rendering="crispEdges">',
        f'<rect width="{width}" height="{bar_h + text_h:.2f}" fill="#fff"/>',
        f'<path fill="#000" d="{path}"/>',
    ]
    if text:
        parts.append(
            f'<text x="{width / 2}" y="{bar_h + 10:.2f}" font-size="10" '
            f'font-family="monospace" text-anchor="middle">{escape(symbol.hri)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def png(symbol: Symbol, dots_per_module: int = 3, height_dots: int = 120, dpi: int = 203):
    """The bars as a PNG whose modules are exactly `dots_per_module` pixels wide."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (symbol.width_modules * dots_per_module, height_dots), 255)
    draw = ImageDraw.Draw(image)
    for x, w in runs(symbol.modules):
        left = (symbol.quiet + x) * dots_per_module
        draw.rectangle([left, 0, left + w * dots_per_module - 1, height_dots - 1], fill=0)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def fit_dots(symbol: Symbol, width_mm: float, dpi: int, most_mm: float = 1.0) -> int:
    """The widest whole-dot module (at least 2 dots, at most `most_mm`) that fits."""
    fits = int(width_mm * dpi / 25.4 / symbol.width_modules)
    most = max(2, int(most_mm * dpi / 25.4))
    return max(2, min(fits, most))


# --- what goes on each label ---------------------------------------------------------


@dataclass
class Label:
    kind: str
    big: str  # the text to read from afar
    symbol: Symbol
    lines: list[str] = field(default_factory=list)
    check: str | None = None


def location_label(loc: Location) -> Label:
    parts = [("Zone", loc.zone), ("Aisle", loc.aisle), ("Bay", loc.bay), ("Level", loc.level)]
    return Label(
        "location",
        loc.code,
        encode("code128", own_code(loc.barcode)),
        [" · ".join(f"{name} {value}" for name, value in parts if value)],
        check=check_value(loc.barcode),
    )


def item_gtin(item: Item) -> str | None:
    """The GTIN of a single unit of the item, if it has one."""
    for barcode in item.barcodes:
        if barcode.pack_qty == 1 and is_valid_gtin(barcode.code) and len(barcode.code) == 14:
            return barcode.code
    return None


def item_label(item: Item) -> Label:
    gtin = item_gtin(item)
    if gtin is None or gtin[0] != "0":
        symbol = encode("code128", item.sku) if gtin is None else gtin_128(gtin)
    elif gtin.startswith("000000"):
        symbol = encode("ean8", gtin[6:])
    elif gtin.startswith("00"):
        symbol = encode("upca", gtin[2:])
    else:
        symbol = encode("ean13", gtin[1:])
    return Label("item", item.sku, symbol, [item.description])


def gtin_128(gtin: str) -> Symbol:
    return encode("gs1_128", f"01{gtin}")


def lot_label(lot: Lot) -> Label:
    """GS1-128 (01)(17)(10) when the item has a GTIN and the lot fits GS1; else Code 128."""
    gtin = item_gtin(lot.item)
    lines = [f"{lot.item.sku} {lot.item.description}"]
    if lot.expiry:
        lines.append(f"Expires {lot.expiry:%Y-%m-%d}")
    if gtin and GS1_LOT.fullmatch(lot.code):
        expiry = f"17{lot.expiry:%y%m%d}" if lot.expiry else ""
        symbol = encode("gs1_128", f"01{gtin}{expiry}10{lot.code}")
    else:
        symbol = encode("code128", lot.code)
    return Label("lot", lot.code, symbol, lines)


def badge_label(user: User) -> Label:
    return Label("badge", user.name, encode("code128", own_code(user.badge or "")), [])


DOCUMENTS = {"receipt": Receipt, "pick-list": PickList, "count-task": CountTask}
NOUNS = {"receipt": "Receipt", "pick-list": "Pick list", "count-task": "Count task"}


def document_label(kind: str, doc) -> Label:
    return Label(kind, doc.number, encode("code128", own_code(doc.number)), [NOUNS[kind]])


def label_for(kind: str, id_: int) -> Label | None:
    """The label of one thing by kind and id, or None if there is no such thing."""
    if kind == "location":
        loc = db.session.get(Location, id_)
        return loc and location_label(loc)
    if kind == "item":
        item = db.session.get(Item, id_)
        return item and item_label(item)
    if kind == "lot":
        lot = db.session.get(Lot, id_)
        return lot and lot_label(lot)
    if kind == "badge":
        user = db.session.get(User, id_)
        return user and user.badge and badge_label(user)
    if kind in DOCUMENTS:
        doc = db.session.get(DOCUMENTS[kind], id_)
        return doc and document_label(kind, doc)
    return None


def locations(zone="", aisle="", first="", last="") -> list[Location]:
    """Bins to label, in code order: a zone, an aisle, and/or a range of codes."""
    q = sa.select(Location).order_by(Location.code)
    if zone:
        q = q.where(Location.zone == zone)
    if aisle:
        q = q.where(Location.aisle == aisle)
    if first:
        q = q.where(Location.code >= first.upper())
    if last:
        q = q.where(Location.code <= last.upper())
    return list(db.session.scalars(q))


# --- page sizes and ZPL ----------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    name: str
    width_mm: float  # one label
    height_mm: float
    title: str


SIZES = {
    "2x1": Size("2x1", 50.8, 25.4, "2 × 1 in thermal label"),
    "4x6": Size("4x6", 101.6, 152.4, "4 × 6 in thermal label"),
    "a4": Size("a4", 70.0, 37.0, "A4 sheet, 3 × 8 labels of 70 × 37 mm"),
    "letter": Size("letter", 66.7, 25.4, "Letter sheet, 3 × 10 labels (Avery 5160)"),
}
DPIS = (203, 300)


def render(label: Label, size: Size, dpi: int) -> Markup:
    """The label's bars sized for `size` on a `dpi` printer."""
    bar_width = size.width_mm - 6
    dots = fit_dots(label.symbol, bar_width, dpi)
    height = max(8.0, min(size.height_mm * 0.4, 60.0))
    return svg(label.symbol, dots_to_mm(dots, dpi), height)


def zpl(label: Label, size: Size, dpi: int) -> str:
    """Raw ZPL for a Zebra printer: the same bars, module width in dots (^BY)."""
    dots_mm = dpi / 25.4
    width, height = round(size.width_mm * dots_mm), round(size.height_mm * dots_mm)
    dots = fit_dots(label.symbol, size.width_mm - 6, dpi)
    quiet = label.symbol.quiet * dots
    bar_h = round(min(size.height_mm * 0.4, 60.0) * dots_mm)
    font = max(20, round(min(size.height_mm * 0.25, 40) * dots_mm))
    if label.symbol.symbology == "gs1_128":
        # Mode D: the printer adds FNC1s itself from the parenthesised AIs.
        barcode = f"^BY{dots}^BCN,{bar_h},N,N,N,D^FD{label.symbol.hri}^FS"
    elif label.symbol.symbology == "code128":
        barcode = f"^BY{dots}^BCN,{bar_h},N,N,N,A^FD{label.symbol.data}^FS"
    elif label.symbol.symbology == "ean8":
        barcode = f"^BY{dots}^B8N,{bar_h},N,N^FD{label.symbol.data[:-1]}^FS"
    elif label.symbol.symbology == "upca":
        barcode = f"^BY{dots}^BUN,{bar_h},N,N,Y^FD{label.symbol.data[:-1]}^FS"
    else:
        barcode = f"^BY{dots}^BEN,{bar_h},N,N^FD{label.symbol.data[:-1]}^FS"
    lines = [
        "^XA",
        "^CI28",
        f"^PW{width}^LL{height}",
        f"^FO{quiet},{round(2 * dots_mm)}^A0N,{font},{font}^FD{_zpl_text(label.big)}^FS",
        f"^FO{quiet},{round(2 * dots_mm) + font + 10}{barcode}",
    ]
    y = round(2 * dots_mm) + font + 20 + bar_h
    for line in [*label.lines, f"Check {label.check}" if label.check else ""]:
        if line:
            lines.append(f"^FO{quiet},{y}^A0N,30,30^FD{_zpl_text(line)}^FS")
            y += 36
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


def _zpl_text(text: str) -> str:
    return re.sub(r"[\^~]", " ", text)


def find(kind: str, code: str) -> int | None:
    """The id of what an office user typed: a bin code, SKU, lot code, username or number."""
    code = code.strip()
    if kind == "location":
        q = sa.select(Location.id).where(Location.barcode == own_code(code))
    elif kind == "item":
        q = sa.select(Item.id).where(Item.sku == code)
    elif kind == "lot":
        q = sa.select(Lot.id).where(Lot.code == code).order_by(Lot.id)
    elif kind == "badge":
        q = sa.select(User.id).where(sa.or_(User.username == code, User.badge == code.upper()))
    elif kind in DOCUMENTS:
        model = DOCUMENTS[kind]
        q = sa.select(model.id).where(model.number == code.upper())
    else:
        return None
    return db.session.scalars(q.limit(1)).first()


KINDS = {
    "location": "Bin",
    "item": "Item",
    "lot": "Lot",
    "badge": "Badge",
    "receipt": "Receipt",
    "pick-list": "Pick list",
    "count-task": "Count task",
}
