"""Drawing labels on whole printer dots: bars as SVG and PNG, page sizes, and ZPL.

python-barcode encodes (webapp/label_symbols.py); we draw the pattern ourselves, because
its writers place bars in millimetres (a 0.25 mm module is 1.97 dots at 203 dpi, so bars
come out 1 or 2 dots wide) and its SVG carries `style` attributes that our
Content-Security-Policy refuses. Here a module is a whole number of dots, quiet zones are
kept in modules, and the same pattern feeds SVG, PNG and ZPL.
"""

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from .barcodes import dots_to_mm
from .label_symbols import Symbol

if TYPE_CHECKING:  # labels imports this module to re-export it
    from .labels import Label


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


def render(label: "Label", size: Size, dpi: int) -> Markup:
    """The label's bars sized for `size` on a `dpi` printer."""
    bar_width = size.width_mm - 6
    dots = fit_dots(label.symbol, bar_width, dpi)
    height = max(8.0, min(size.height_mm * 0.4, 60.0))
    return svg(label.symbol, dots_to_mm(dots, dpi), height)


def zpl(label: "Label", size: Size, dpi: int) -> str:
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
