"""GTIN forms, bin check values, dot-fitted bar widths and GS1 element strings."""

from datetime import date
from decimal import Decimal

import pytest

from webapp.barcodes import (
    BarcodeError,
    check_value,
    module_mm,
    parse_gs1,
    to_gtin14,
    upce_to_upca,
)

GS = "\x1d"


@pytest.mark.parametrize(
    ("code", "gtin"),
    [
        ("96385074", "00000096385074"),  # EAN-8
        ("042100005264", "00042100005264"),  # UPC-A
        ("5012345678900", "05012345678900"),  # EAN-13
        ("15012345678907", "15012345678907"),  # GTIN-14 / ITF-14
        ("4006381333932", None),  # wrong check digit
        ("042100005265", None),  # UPC-A length, wrong check digit
    ],
)
def test_every_gtin_form_becomes_fourteen_digits_and_a_bad_check_digit_none(code, gtin):
    assert to_gtin14(code) == gtin


@pytest.mark.parametrize(
    ("upce", "upca"),
    [("04252614", "042100005264"), ("01234505", "012000003455"), ("04252615", None)],
)
def test_upc_e_expands_to_upc_a_with_its_check_digit_verified(upce, upca):
    assert upce_to_upca(upce) == upca


def test_a_bin_check_value_is_two_digits_the_same_for_printed_and_encoded_codes():
    assert check_value("A-01-02-B") == check_value("a0102b") == "83"
    assert check_value("A-01-02-C") != check_value("A-01-02-B")
    assert check_value("A-10-02-B") != check_value("A-01-02-B")  # swapped digits


@pytest.mark.parametrize(("dpi", "dots"), [(203, 2), (300, 3)])
def test_bar_widths_are_whole_printer_dots(dpi, dots):
    width = module_mm(0.25, dpi)
    assert width * dpi / 25.4 == pytest.approx(dots)


def test_gs1_fields_are_typed():
    fields = parse_gs1("010501234567890017270300310300125010AB-1" + GS + "3012")
    assert fields == {
        "01": "05012345678900",
        "17": date(2027, 3, 31),  # day 00: the last day of the month
        "310": Decimal("1.250"),
        "10": "AB-1",
        "30": 12,
    }


def test_gs1_hri_text_parses_without_separators():
    assert parse_gs1("(01)05012345678900(10)AB1(21)S9", hri=True)["21"] == "S9"


@pytest.mark.parametrize(
    "text",
    [
        "010501234567890010LOT423712",
        "010501234567890010LOT4215270331",
        "010501234567890021SN10105012345678900",
    ],
)
def test_a_lot_or_serial_that_swallowed_the_next_fields_is_refused(text):
    with pytest.raises(BarcodeError, match="separator missing"):
        parse_gs1(text)
