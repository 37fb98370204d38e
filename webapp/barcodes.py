"""Barcode text rules shared by scanning, printing and imports: GTINs and our own codes."""

import re

OWN_CODE = re.compile(r"[0-9A-Z]{1,30}")  # what our location/badge/document labels encode


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for the digits before it (any GTIN length)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    return (
        code.isascii()
        and code.isdigit()
        and len(code) in (8, 12, 13, 14)
        and gtin_check_digit(code[:-1]) == code[-1]
    )


def to_gtin14(code: str) -> str | None:
    """EAN-8, UPC-A, EAN-13 or GTIN-14 as 14 digits, or None if it is not a valid GTIN."""
    code = code.strip()
    return code.zfill(14) if is_valid_gtin(code) else None


def normalize_item_barcode(code: str) -> str:
    """How an item barcode is stored: a GTIN as 14 digits; anything else as given, trimmed.

    A numeric code of GTIN length with a wrong check digit is refused: it is a typo.
    """
    code = (code or "").strip()
    if not code:
        raise ValueError("a barcode cannot be empty")
    if code.isascii() and code.isdigit() and len(code) in (8, 12, 13, 14):
        gtin = to_gtin14(code)
        if gtin is None:
            raise ValueError(f"{code} is not a valid GTIN (its check digit is wrong)")
        return gtin
    return code


def own_code(printed: str) -> str:
    """The encoded form of one of our codes: A-01-02-B is encoded A0102B."""
    return re.sub(r"[^0-9A-Z]", "", printed.upper())


def upce_to_upca(code: str) -> str | None:
    """A UPC-E code (8 digits: number system 0/1, six digits, check) as 12-digit UPC-A,
    or None when it is not a valid UPC-E."""
    if not (code.isascii() and code.isdigit() and len(code) == 8 and code[0] in "01"):
        return None
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = f"{d[0:2]}{last}0000{d[2:5]}"
    elif last == "3":
        body = f"{d[0:3]}00000{d[3:5]}"
    elif last == "4":
        body = f"{d[0:4]}00000{d[4]}"
    else:
        body = f"{d[0:5]}0000{last}"
    upca = ns + body + check
    return upca if is_valid_gtin(upca) else None


def check_value(code: str) -> str:
    """Two digits derived from one of our codes, printed on its label so a worker can
    confirm a bin by voice or keyboard without reading the whole code.

    ISO 7064 MOD 97-10 (as in IBANs): catches every single wrong character and nearly
    every swapped pair.
    """
    digits = "".join(str(int(ch, 36)) for ch in own_code(code)) or "0"
    return f"{98 - (int(digits) * 100) % 97:02d}"


# --- printing: bar widths that land on whole printer dots ---------------------------

MM_PER_INCH = 25.4


def dots_to_mm(dots: int, dpi: int) -> float:
    return dots * MM_PER_INCH / dpi


def module_mm(target_mm: float, dpi: int) -> float:
    """The narrow-bar width nearest `target_mm` that is a whole number of printer dots
    (at least two, so one burnt-out or smeared dot cannot erase a bar)."""
    dots = max(2, round(target_mm * dpi / MM_PER_INCH))
    return dots_to_mm(dots, dpi)


# --- GS1 element strings --------------------------------------------------------------


class BarcodeError(ValueError):
    """A scan that cannot be right. `message` is the sentence a worker is shown."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


GS = "\x1d"

# AIs that commonly follow a lot or serial on a label; a tail of a variable-length value
# that reads as these is evidence the separator before them went missing.
_DATE_AIS = {"11", "13", "15", "16", "17"}
_TAIL_AIS = _DATE_AIS | {"01", "02", "30", "37"}


def parse_gs1(text: str, *, hri: bool = False) -> dict:
    """GS1 element strings (GS already standing for FNC1) as a dict of AI -> value.

    Dates come back as `date` (keys "17"/"15"/...), GTINs as 14 digits, counts as int,
    net weight (310n) as Decimal kilograms under "310". Raises BarcodeError with a
    worker's sentence for anything wrong, including a missing separator (see
    `_swallowed_fields`).
    """
    from biip import BiipException
    from biip.gs1_messages import GS1Message

    try:
        message = GS1Message.parse_hri(text) if hri else GS1Message.parse(text)
    except BiipException as exc:
        raise BarcodeError(f"Not a readable GS1 code: {_first_line(exc)}") from exc
    fields: dict = {}
    for es in message.element_strings:
        ai = es.ai.ai
        if es.gtin_error or es.sscc_error:
            raise BarcodeError(f"Check digit wrong in ({ai}) {es.value}: a misread; scan it again.")
        if es.ai.separator_required and not hri:
            _refuse_swallowed_fields(ai, es.value)
        if ai in fields:
            raise BarcodeError(f"GS1 code repeats ({ai}); scan it again.")
        if es.date is not None:
            fields[ai] = es.date
        elif ai in ("30", "37"):
            fields[ai] = int(es.value)
        elif ai.startswith("310"):
            fields["310"] = es.decimal
        else:
            fields[ai] = es.value
    return fields


def _refuse_swallowed_fields(ai: str, value: str) -> None:
    """Refuse a variable-length value that looks like it swallowed following fields.

    Without a GS after it, `10LOT42` + `3712` reads as lot `LOT423712`. The rule: the
    value is refused when some tail of it parses, to the end, as element strings of AIs
    that commonly follow a lot ((11)-(17) valid dates, (01)/(02) GTINs with a valid check
    digit, (30)/(37) counts), and either the tail starts with a date or GTIN (strong
    structure), or the part before it contains a letter (a count after a purely numeric
    lot cannot be told from a longer numeric lot, so that case is let through).
    """
    from biip import BiipException
    from biip.gs1_messages import GS1Message

    for cut in range(1, len(value) - 2):
        tail = value[cut:]
        if tail[:2] not in _TAIL_AIS:
            continue
        try:
            tail_fields = GS1Message.parse(tail).element_strings
        except BiipException:
            continue
        if any(es.ai.ai not in _TAIL_AIS or es.gtin_error for es in tail_fields):
            continue
        strong = tail[:2] in _DATE_AIS or tail[:2] in ("01", "02")
        if strong or not value[:cut].isdigit():
            raise BarcodeError(
                f"GS1 separator missing: ({ai}) would read “{value}”. Scan it again; if "
                "it repeats, set the scanner to send GS (or ~) between fields."
            )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160]
