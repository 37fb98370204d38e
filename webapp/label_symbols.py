"""Bar patterns from python-barcode: it encodes (the bar/space pattern, check characters,
GS1-128's FNC1), with two of its Code 128 bugs fixed here. A Symbol is what
webapp/label_printing.py draws: the pattern, its quiet zones and the human-readable text.
"""

from dataclasses import dataclass

from barcode.codex import Code128, Gs1_128
from barcode.ean import EuropeanArticleNumber8, EuropeanArticleNumber13
from barcode.upc import UniversalProductCodeA

from .barcodes import is_valid_gtin


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
