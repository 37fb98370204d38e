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
