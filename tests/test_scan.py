"""Every scanned string resolves to one thing, or to a sentence saying why not."""

from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp import scan as scan_module
from webapp.db import db
from webapp.models import (
    CountTask,
    Item,
    ItemBarcode,
    Lot,
    PickList,
    Receipt,
)
from webapp.scan import ScanKind, resolve

GS = "\x1d"


@pytest.fixture
def floor(site):
    """The site plus lots, documents, a badge and items with UPC-A and EAN-8 codes."""
    with db.session.begin():
        site.lot42 = Lot(item_id=site.milk.id, code="L42", expiry=date(2027, 3, 31))
        site.widget_lot = Lot(item_id=site.widget.id, code="L42")
        site.lower_lot = Lot(item_id=site.milk.id, code="abc7")
        site.worker.badge = "B0001"
        site.receipt = Receipt(number="R1001", warehouse_id=site.warehouse.id)
        site.pick_list = PickList(number="PL2001", warehouse_id=site.warehouse.id)
        site.count = CountTask(number="CT3001", location_id=site.a1.id)
        site.soda = Item(sku="4001", description="Soda")
        site.soda.barcodes = [ItemBarcode(code="00042100005264")]  # UPC-A 042100005264
        site.gum = Item(sku="5001", description="Gum")
        site.gum.barcodes = [ItemBarcode(code="00000096385074"), ItemBarcode(code="gum-x")]
        db.session.add_all(
            [site.lot42, site.widget_lot, site.lower_lot, site.receipt, site.pick_list]
            + [site.count, site.soda, site.gum]
        )
    db.session.expire_all()
    return site


# --- bins, documents, badges: our own codes ----------------------------------------------


@pytest.mark.parametrize("raw", ["A0101A", "A-01-01-A", "a0101a", "a-01-01-a", " A0101A\r\n"])
def test_a_bin_resolves_from_its_barcode_its_printed_code_and_lower_case(floor, raw):
    scan = resolve(raw, "bin")
    assert scan.kind is ScanKind.LOCATION
    assert scan.location.id == floor.a1.id
    assert scan.describe() == "bin A-01-01-A"


def test_an_inactive_bin_still_resolves_so_the_ledger_can_say_why_it_refuses(floor):
    scan = resolve("Z9999Z")
    assert scan.kind is ScanKind.LOCATION and scan.location.active is False


@pytest.mark.parametrize(
    ("raw", "number", "phrase"),
    [
        ("R1001", "R1001", "receipt R1001"),
        ("pl2001", "PL2001", "pick list PL2001"),
        ("]C0CT3001", "CT3001", "count task CT3001"),
    ],
)
def test_document_numbers_resolve_to_their_document(floor, raw, number, phrase):
    scan = resolve(raw, "document")
    assert scan.kind is ScanKind.DOCUMENT
    assert scan.document.number == number
    assert scan.describe() == phrase


def test_a_badge_resolves_to_its_user_in_either_case(floor):
    for raw in ("B0001", "b0001"):
        scan = resolve(raw, "badge")
        assert scan.kind is ScanKind.USER and scan.user.username == "wendy"
        assert scan.describe() == "a badge"


# --- items: every GTIN form, packs, free codes --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "sku", "pack"),
    [
        ("5012345678900", "1042", 1),  # EAN-13
        ("]E05012345678900", "1042", 1),
        ("05012345678900", "1042", 1),  # GTIN-14 as stored
        ("15012345678907", "1042", 12),  # the case
        ("]I115012345678907", "1042", 12),  # ITF-14 on the carton
        ("042100005264", "4001", 1),  # UPC-A
        ("]E00042100005264", "4001", 1),  # UPC-A sent as EAN-13
        ("]E004252614", "4001", 1),  # UPC-E of the same item
        ("96385074", "5001", 1),  # EAN-8
        ("]E496385074", "5001", 1),
        ("GUM-X", "5001", 1),  # a free code, scanned upper-cased by caps lock
        ("gum-x", "5001", 1),
    ],
)
def test_an_item_resolves_from_each_barcode_form_with_its_pack_quantity(floor, raw, sku, pack):
    scan = resolve(raw, "item")
    assert scan.kind is ScanKind.ITEM, scan.message
    assert scan.item.sku == sku
    assert scan.pack_qty == pack
    assert scan.units == pack


def test_an_item_is_described_by_sku_and_description(floor):
    assert resolve("5012345678900").describe() == "item 1042 (Item 1042)"


@pytest.mark.parametrize("raw", ["4006381333932", "]E04006381333932", "5012345678901"])
def test_an_ean_with_a_wrong_check_digit_is_refused_as_a_misread(floor, raw):
    scan = resolve(raw, "item")
    assert scan.kind is ScanKind.INVALID
    assert scan.message == f"Check digit wrong: {raw[-13:]} is a misread; scan it again."


def test_a_thirteen_digit_misread_under_a_gs1_128_identifier_is_read_as_gs1_not_as_ean(floor):
    # ]C1 says the symbol was GS1-128: (400) order number, which names no item.
    scan = resolve("]C14006381333932", "item")
    assert scan.kind is ScanKind.UNKNOWN
    assert "(400)" in scan.message


# --- GS1 element strings --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "]C101040063813339311727033110L42" + GS + "3712",
        "]d201040063813339311727033110L42~3712",
        "]Q301040063813339311727033110L42<GS>3712",
        "01040063813339311727033110L42|3712",  # no identifier: the leading (01) says GS1
        "(01)04006381333931(17)270331(10)L42(37)12",  # the text printed under the bars
        "]C1" + GS + "01040063813339311727033110L42" + GS + "3712\r",
    ],
)
def test_a_gs1_scan_fills_item_lot_expiry_and_quantity_at_once(floor, raw):
    scan = resolve(raw, "item")
    assert scan.kind is ScanKind.ITEM, scan.message
    assert scan.item.sku == "2001"
    assert (scan.lot, scan.expiry, scan.quantity) == ("L42", date(2027, 3, 31), 12)
    assert [lot.id for lot in scan.lots] == [floor.lot42.id]  # the milk's L42, not the widget's


def test_a_gs1_case_code_with_a_count_stands_for_count_times_pack_units(floor):
    scan = resolve("]C10115012345678907373")
    assert (scan.item.sku, scan.pack_qty, scan.quantity, scan.units) == ("1042", 12, 3, 36)


def test_a_gs1_serial_and_net_weight_are_read(floor):
    scan = resolve("]C10104006381333931310300015021SN77")
    assert scan.serial == "SN77" and str(scan.gs1["310"]) == "0.150"
    assert scan.kind is ScanKind.ITEM and scan.lot is None


@pytest.mark.parametrize(
    "raw",
    [
        "]C1010400638133393110L423712",  # count swallowed into the lot
        "]C1010400638133393110L4217270331",  # expiry swallowed
        "010400638133393110L4217270331~3712",
    ],
)
def test_a_gs1_scan_with_a_missing_separator_is_refused_rather_than_misread(floor, raw):
    scan = resolve(raw, "item")
    assert scan.kind is ScanKind.INVALID
    assert scan.message.startswith("GS1 separator missing")


def test_a_numeric_lot_that_ends_in_digits_like_a_count_is_not_refused(floor):
    scan = resolve("]C1010400638133393110230715")
    assert scan.kind is ScanKind.ITEM and scan.lot == "230715"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("]C1010400638133393210L42", "Check digit wrong in (01)"),
        ("]C117271331", "Not a readable GS1 code"),  # month 13
        ("]C1010400638133393199" + "X" * 95, "Not a readable GS1 code"),
        ("]C100123456789012345675", "Pallet SSCC 123456789012345675 is not known"),
        ("]C1010999999999999410L1", "Unknown item: GTIN 09999999999994"),
    ],
)
def test_a_gs1_scan_that_cannot_be_used_says_why(floor, raw, says):
    scan = resolve(raw, "item")
    assert scan.kind in (ScanKind.INVALID, ScanKind.UNKNOWN)
    assert says in scan.message


# --- lots -----------------------------------------------------------------------------


def test_a_plain_lot_code_lists_the_lots_of_every_item_that_has_it(floor):
    scan = resolve("L42", "lot")
    assert scan.kind is ScanKind.LOT
    assert {lot.item_id for lot in scan.lots} == {floor.milk.id, floor.widget.id}
    assert scan.describe() == "lot L42"


def test_a_lot_code_matches_exactly_first_and_in_another_case_only_as_a_fallback(floor):
    with db.session.begin():
        db.session.add(Lot(item_id=floor.widget.id, code="ABC7"))
    assert [lot.code for lot in resolve("abc7", "lot").lots] == ["abc7"]
    assert [lot.code for lot in resolve("ABC7", "lot").lots] == ["ABC7"]
    assert [lot.code for lot in resolve("l42", "lot").lots] == ["L42", "L42"]  # caps lock


def test_an_unseen_lot_code_on_a_lot_step_is_a_new_lot(floor):
    scan = resolve("NEW-LOT-9", "lot")
    assert (scan.kind, scan.lot, scan.lots) == (ScanKind.LOT, "NEW-LOT-9", [])


# --- context, unknowns, junk ----------------------------------------------------------


def test_a_scan_of_the_wrong_kind_says_what_it_is(floor):
    scan = resolve("PL2001", "bin")
    assert scan.kind is ScanKind.DOCUMENT
    assert f"That is {scan.describe()}; scan a bin first" == (
        "That is pick list PL2001; scan a bin first"
    )


def test_an_unknown_barcode_shows_its_text(floor):
    scan = resolve("]C0XYZ", "bin")
    assert (scan.kind, scan.text, scan.message) == (
        ScanKind.UNKNOWN,
        "XYZ",
        "Unknown barcode “XYZ”.",
    )


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "Nothing was scanned"),
        ("   \r\n", "Nothing was scanned"),
        ("]C1", "Nothing was scanned"),
        ("A" * 301, "Too long"),
        ("A01\x0001A", "Unreadable"),
        ("A01\x0701A", "Unreadable"),
        ("\ud800", "Unreadable"),
    ],
)
def test_junk_is_refused_with_a_sentence(floor, raw, says):
    scan = resolve(raw, "bin")
    assert scan.kind is ScanKind.INVALID
    assert says in scan.message


def test_unicode_text_is_looked_up_and_reported_unknown(floor):
    scan = resolve("Ä-01-ß ✓", "bin")
    assert scan.kind is ScanKind.UNKNOWN
    assert scan.message == "Unknown barcode “Ä-01-ß ✓”."


def test_separators_are_configurable(floor, app):
    app.config["GS1_SEPARATORS"] = ["#"]
    scan = resolve("]C1010400638133393110L42#3712")
    assert (scan.lot, scan.quantity) == ("L42", 12)
    assert resolve("]C1010400638133393110L42~3712").kind is ScanKind.INVALID


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.one_of(
        st.text(max_size=60),
        st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
        st.from_regex(r"\A(\][CdQEI][0-4])?[0-9A-Za-z~\x1d()-]{0,40}\Z"),
    ),
    context=st.sampled_from([None, "any", "bin", "item", "lot", "document", "badge"]),
)
def test_any_string_resolves_without_an_exception_to_a_kind_and_a_message(floor, raw, context):
    scan = resolve(raw, context)
    assert isinstance(scan.kind, ScanKind)
    if scan.kind in (ScanKind.UNKNOWN, ScanKind.INVALID):
        assert scan.message
    assert isinstance(scan.describe(), str)


def test_a_stray_trailing_control_character_from_the_scanner_is_ignored(floor):
    assert resolve("A0101A\x04\r\n", "bin").location.id == floor.a1.id


def test_an_item_label_without_a_gtin_resolves_by_its_sku(floor):
    scan = resolve("]C03001", "item")
    assert (scan.kind, scan.item.sku, scan.pack_qty, scan.lots) == (ScanKind.ITEM, "3001", 1, [])


def test_a_statement_that_fails_is_a_scan_to_repeat_and_leaves_the_session_usable(
    floor, monkeypatch
):
    def fails(*_args, **_kwargs):  # a value neither driver can send
        db.session.execute(sa.text("SELECT :x"), {"x": object()})

    monkeypatch.setattr(scan_module, "lookup", fails)
    scan = resolve("5012345678900", "item")
    assert (scan.kind, scan.message) == (
        ScanKind.INVALID, "That scan could not be read; scan it again.")
    monkeypatch.undo()
    assert resolve("5012345678900", "item").item.sku == "1042"


def test_the_database_out_of_reach_is_not_a_scan_to_repeat_but_a_503_to_resend(
    floor, monkeypatch
):
    """errors.py answers it 503, which the handheld resends with the same key."""

    def unreachable(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(scan_module, "lookup", unreachable)
    with pytest.raises(sa.exc.OperationalError):
        resolve("5012345678900", "item")
