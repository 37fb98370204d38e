"""The scanned text, before anything is looked up: what the scanner added stripped off, the
AIM symbology identifier it announced, and whether the text is to be read as GS1 element
strings, as GTINs or as one of our own codes. No database here; scan.py says what to do
with the answers.
"""

import re

from flask import current_app

from .barcodes import GS, BarcodeError, is_valid_gtin, own_code, to_gtin14, upce_to_upca

DEFAULT_SEPARATORS = ("\x1d", "<GS>", "{GS}", "^]", "~", "|", "\u241d")  # as in settings
GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0", "]J1"}
GTIN_SYMBOLOGIES = {"]E0", "]E3", "]E4", "]I0", "]I1"}
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_HRI = re.compile(r"\(\d{2,4}\)")
OWN_PATTERN = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1c\x1e\x1f\x7f]")


def own_code_of(raw) -> str | None:
    """The code of ours (a bin's, a document's, a badge's) a scan would be looked up as,
    without looking it up; None if the scan cannot be one (GS1, a GTIN, other characters).
    A flow that expects a bin can try this straight away and resolve() only if it fails."""
    try:
        text, symbology = cleaned(raw)
    except BarcodeError:
        return None
    if symbology not in (None, "]C0", "]d1", "]Q1"):
        return None
    if not (text.isascii() and OWN_PATTERN.fullmatch(text)):
        return None
    separators = current_app.config.get("GS1_SEPARATORS") or DEFAULT_SEPARATORS
    if gs1_text(text, symbology, separators) is not None:
        return None
    return own_code(text)


def cleaned(raw) -> tuple[str, str | None]:
    """The scanned text without what a scanner adds, and the AIM symbology it announced."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        raise BarcodeError("Nothing was scanned.")
    text = raw.strip().strip("\x00\x02\x03\x04\r\n\t").strip()
    symbology = None
    if aim := _AIM.match(text):
        symbology = _symbology(aim.group())
        text = text[3:].strip()
    return text, symbology


def _symbology(aim: str) -> str:
    known = GS1_SYMBOLOGIES | GTIN_SYMBOLOGIES
    if aim not in known and aim.swapcase()[:2] + aim[2] in known:
        return aim.swapcase()[:2] + aim[2]  # caps lock inverts the letter
    return aim


def gs1_text(text: str, symbology: str | None, seps) -> tuple[str, bool] | None:
    """(element string, is_hri) when this scan is to be read as GS1, else None."""
    if text.startswith("(") and _HRI.match(text) and symbology in (None, *GS1_SYMBOLOGIES):
        return text, True
    for sep in seps:
        if sep:
            text = text.replace(sep, GS)
    if symbology in GS1_SYMBOLOGIES:
        return text.strip(GS), False
    if symbology is not None and symbology not in ("]C0", "]d1", "]Q1"):
        return None
    # Element strings start with an AI's digits; a free code holding "~" or "|" does not.
    if GS in text.strip(GS) and text.lstrip(GS)[:2].isdigit() and text.isascii():
        return text.strip(GS), False
    if text.isascii() and len(text) > 16 and text[:2] in ("01", "02"):
        return (text, False) if is_valid_gtin(text[2:16]) else None
    if text.isascii() and len(text) >= 20 and text.startswith("00") and text[2:20].isdigit():
        return (text, False) if is_valid_gtin(text[2:20]) else None
    return None


def gtins_of(text: str, symbology: str | None) -> list[str]:
    """The GTIN-14s a digits-only text can stand for, by what the scanner said it read."""
    if not (text.isascii() and text.isdigit()):
        return []
    if symbology == "]E0" and len(text) == 8:  # UPC-E
        upca = upce_to_upca(text)
        return [upca.zfill(14)] if upca else []
    if symbology == "]E4" and len(text) != 8:
        return []
    if symbology in ("]I0", "]I1") and len(text) != 14:
        return []
    found = [to_gtin14(text)] if len(text) in (8, 12, 13, 14) else []
    if symbology is None and len(text) == 8:  # typed: EAN-8 first, else UPC-E
        upca = upce_to_upca(text)
        found.append(upca.zfill(14) if upca else None)
    return [gtin for gtin in found if gtin]


def misread(text: str) -> str:
    return f"Check digit wrong: {text} is a misread; scan it again."


def as_shown(text: str) -> str:
    """The scan as a worker may see it: separators visible, junk replaced, kept short."""
    shown = CONTROL_CHARACTERS.sub("\ufffd", (text or "").replace(GS, "<GS>"))
    return shown if len(shown) <= 60 else shown[:57] + "…"
