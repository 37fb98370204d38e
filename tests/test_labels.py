"""Labels decode back to what they encode, and the label pages print them."""

import io
import re
from datetime import date

import pytest
import zxingcpp
from barcode.codex import Code128
from PIL import Image

from webapp import labels
from webapp.barcodes import to_gtin14
from webapp.db import db
from webapp.models import CountTask, Item, ItemBarcode, Lot, PickList, Receipt
from webapp.scan import ScanKind, resolve

try:  # the sign-in work adds this helper; until then pages are open
    from tests.conftest import sign_in
except ImportError:  # pragma: no cover
    sign_in = None


def decode(symbol, dots=2):
    image = Image.open(io.BytesIO(labels.png(symbol, dots, 80)))
    found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    assert len(found) == 1, f"{symbol.data!r} did not decode"
    return found[0]


def test_python_barcode_still_drops_a_leading_99_and_our_code_128_keeps_it():
    stock = labels.Symbol("code128", "99123", Code128("99123").build()[0], "")
    assert decode(stock).text == "123"  # when this fails, upstream has released the fix
    assert decode(labels.encode("code128", "99123")).text == "99123"


@pytest.mark.parametrize("data", ["99", "9912", "99A1", "A0102B", "DOCK1", "PL2001", "1", "12345"])
def test_code_128_decodes_to_exactly_what_was_encoded(data):
    found = decode(labels.encode("code128", data))
    assert (found.text, found.symbology_identifier) == (data, "]C0")


def test_building_the_same_code_128_twice_gives_the_same_bars():
    code = labels.FixedCode128("A99")
    assert code.build() == code.build()


@pytest.mark.parametrize("dots", [2, 3, 4])
def test_gs1_128_decodes_with_its_fnc1_and_group_separators(dots):
    symbol = labels.encode("gs1_128", "01040063813339311727033110L42\x1d3712")
    found = decode(symbol, dots)
    assert found.symbology_identifier == "]C1"
    assert found.text == "01040063813339311727033110L42\x1d3712"
    assert symbol.hri == "(01)04006381333931(17)270331(10)L42(37)12"


@pytest.mark.parametrize(
    ("symbology", "data", "decoded", "aim"),
    [
        ("ean13", "5012345678900", "5012345678900", "]E0"),
        ("upca", "042100005264", "0042100005264", "]E0"),
        ("ean8", "96385074", "96385074", "]E4"),
    ],
)
def test_retail_symbols_decode_to_their_gtin(symbology, data, decoded, aim):
    found = decode(labels.encode(symbology, data))
    assert (found.text, found.symbology_identifier) == (decoded, aim)


def test_a_gtin_with_a_wrong_check_digit_is_never_printed():
    with pytest.raises(ValueError, match="not a valid GTIN"):
        labels.encode("ean13", "4006381333932")


@pytest.mark.parametrize("dpi", [203, 300])
def test_bars_fill_whole_dots_and_keep_their_quiet_zones(dpi):
    symbol = labels.encode("code128", "A0102B")
    dots = labels.fit_dots(symbol, 44.8, dpi)
    svg = str(labels.svg(symbol, labels.dots_to_mm(dots, dpi), 10))
    width_mm = float(re.search(r'width="([\d.]+)mm"', svg).group(1))
    assert width_mm * dpi / 25.4 == pytest.approx(symbol.width_modules * dots, abs=0.01)
    assert width_mm <= 44.8
    assert 'd="M10 0h' in svg  # the first bar starts after ten modules of quiet zone


@pytest.fixture
def things(site):
    """One of everything that gets a label, each scanned back through the resolver."""
    with db.session.begin():
        site.worker.badge = "B0001"
        site.lot = Lot(item_id=site.milk.id, code="L42", expiry=date(2027, 3, 31))
        site.plain_lot = Lot(item_id=site.drill.id, code="SN-7")
        site.soda = Item(sku="4001", description="Soda")
        site.soda.barcodes = [ItemBarcode(code="00042100005264")]
        site.gum = Item(sku="5001", description="Gum")
        site.gum.barcodes = [ItemBarcode(code="00000096385074")]
        site.receipt = Receipt(number="R1001", warehouse_id=site.warehouse.id)
        site.pick_list = PickList(number="PL2001", warehouse_id=site.warehouse.id)
        site.count = CountTask(number="CT3001", location_id=site.a1.id)
        db.session.add_all([site.lot, site.plain_lot, site.soda, site.gum])
        db.session.add_all([site.receipt, site.pick_list, site.count])
    return site


def scan_label(label):
    found = decode(label.symbol, 3)
    return found, resolve(found.symbology_identifier + found.text)


def test_every_label_kind_scans_back_to_what_it_labels(things):
    cases = [
        (labels.location_label(things.a1), ScanKind.LOCATION, "bin A-01-01-A"),
        (labels.item_label(things.widget), ScanKind.ITEM, "item 1042 (Item 1042)"),
        (labels.item_label(things.soda), ScanKind.ITEM, "item 4001 (Soda)"),
        (labels.item_label(things.gum), ScanKind.ITEM, "item 5001 (Gum)"),
        (labels.item_label(things.drill), ScanKind.ITEM, None),  # no GTIN: SKU in Code 128
        (labels.lot_label(things.plain_lot), ScanKind.LOT, "serial number SN-7"),  # a drill
        (labels.badge_label(things.worker), ScanKind.USER, "a badge"),
        (labels.document_label("receipt", things.receipt), ScanKind.DOCUMENT, "receipt R1001"),
        (labels.document_label("pick-list", things.pick_list), ScanKind.DOCUMENT, None),
        (labels.document_label("count-task", things.count), ScanKind.DOCUMENT, None),
    ]
    for label, kind, phrase in cases:
        found, scan = scan_label(label)
        # A UPC-A comes back as its EAN-13 form (a leading 0): the same GTIN.
        assert found.text == label.symbol.data or to_gtin14(found.text) == to_gtin14(
            label.symbol.data
        )
        assert scan.kind is kind, (label.big, scan.message)
        if phrase:
            assert scan.describe() == phrase


def test_a_lot_label_is_gs1_128_that_fills_item_lot_and_expiry(things):
    label = labels.lot_label(things.lot)
    found, scan = scan_label(label)
    assert found.symbology_identifier == "]C1"
    assert found.text == "01040063813339311727033110L42"
    assert (scan.item.sku, scan.lot, scan.expiry) == ("2001", "L42", date(2027, 3, 31))
    assert [lot.id for lot in scan.lots] == [things.lot.id]


def test_an_item_without_a_gtin_prints_its_sku(things):
    assert labels.item_label(things.drill).symbol.data == "3001"


def test_a_bin_label_shows_its_code_zone_and_check_value(things):
    label = labels.location_label(things.a1)
    assert (label.big, label.symbol.data, label.lines, label.check) == (
        "A-01-01-A",
        "A0101A",
        ["Zone A"],
        labels.check_value("A0101A"),
    )


# --- pages ---------------------------------------------------------------------------


@pytest.fixture
def office(client, things):
    if sign_in is not None:
        sign_in(client, "sam")
    return client


def test_the_label_page_offers_bin_ranges_and_single_labels(office):
    page = office.get("/admin/labels/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/admin/labels/locations"' in html and "4 × 6 in" in html


def test_a_sheet_for_aisle_a_lists_every_bin_of_zone_a_with_its_bars(office, things):
    page = office.get("/admin/labels/locations?zone=A&first=A&last=A-99&size=a4&dpi=300")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.findall(r'<div class="big">([^<]+)</div>', html) == ["A-01-01-A", "A-01-02-A"]
    assert html.count("<svg") == 2 and "sheet-a4" in html
    assert "style=" not in html  # the CSP allows no inline styles


def test_the_svg_of_a_label_is_an_svg_image(office, things):
    response = office.get(f"/admin/labels/lot/{things.lot.id}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "(01)04006381333931(17)270331(10)L42" in response.get_data(as_text=True)


def test_the_png_of_a_bin_label_decodes(office, things):
    response = office.get(f"/admin/labels/location/{things.b1.id}.png?dpi=300")
    assert response.mimetype == "image/png"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))
    assert [f.text for f in found] == ["B0101A"]


def test_finding_a_label_by_code_leads_to_its_sheet_and_a_missing_one_says_so(office, things):
    response = office.get("/admin/labels/find?kind=pick-list&code=pl2001&size=2x1&copies=3")
    assert response.status_code == 302
    sheet = office.get(response.headers["Location"]).get_data(as_text=True)
    assert sheet.count('<div class="big">PL2001</div>') == 3
    missing = office.get("/admin/labels/find?kind=item&code=nope")
    assert missing.status_code == 404 and "No item “nope”." in missing.get_data(as_text=True)


def test_zpl_for_a_bin_range_has_one_label_per_bin(office):
    response = office.get("/admin/labels/locations?zone=A&format=zpl&dpi=203")
    body = response.get_data(as_text=True)
    assert body.count("^XA") == 6 and "^FDA0101A^FS" in body and "^BY" in body


def test_an_unknown_label_is_not_found(office):
    assert office.get("/admin/labels/item/9999").status_code == 404
    assert office.get("/admin/labels/nothing/1").status_code == 404
