"""CSV import and export of items and bins, on both databases, through the module and the CLI."""

import io
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from webapp import csvio, stock
from webapp.db import db
from webapp.models import Item, ItemBarcode, Location, LocationKind, Tracking, Warehouse

ITEMS_HEADER = (
    "sku,description,uom,inventory_type,tracking,unit_cost,reorder_point,safety_stock,"
    "active,barcodes\n"
)
GOOD_ITEMS = ITEMS_HEADER + (
    '5001,"Hex bolt M8x40 zinc, box of 100",BX,component,none,12.50,10,5,yes,'
    "05012345000015;15012345000012*12\n"
    "5002,Nitrile gloves size L,BX,mro,none,7.9,0,0,yes,0036000291452\n"
    "5003,Epoxy adhesive 50 ml,EA,resale,lot,6.90,4,2,no,\n"
)
LOCATIONS_HEADER = "warehouse,code,kind,zone,aisle,bay,level,position,sequence,active\n"


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def items() -> dict[str, Item]:
    return {i.sku: i for i in db.session.scalars(sa.select(Item))}


def barcodes_of(sku: str) -> set[tuple[str, int]]:
    rows = db.session.execute(
        sa.select(ItemBarcode.code, ItemBarcode.pack_qty).join(Item).where(Item.sku == sku)
    )
    return {(code, pack_qty) for code, pack_qty in rows}


def bins() -> dict[str, Location]:
    return {loc.code: loc for loc in db.session.scalars(sa.select(Location))}


# --- items -----------------------------------------------------------------------------


def test_a_good_items_file_creates_every_item_with_its_barcodes_and_counts_them(app):
    result = csvio.import_items(csv_file(GOOD_ITEMS))
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 3, 0, 0)
    got = items()
    bolt = got["5001"]
    assert (bolt.description, bolt.uom, bolt.unit_cost) == (
        "Hex bolt M8x40 zinc, box of 100",
        "BX",
        Decimal("12.50"),
    )
    assert (bolt.reorder_point, bolt.safety_stock, bolt.active) == (10, 5, True)
    assert barcodes_of("5001") == {("05012345000015", 1), ("15012345000012", 12)}
    # A UPC-A is stored as its GTIN-14.
    assert barcodes_of("5002") == {("00036000291452", 1)}
    assert got["5003"].tracking == Tracking.LOT and got["5003"].active is False


def test_importing_existing_skus_updates_them_and_replaces_their_barcodes(site):
    text = ITEMS_HEADER + "1042,Widget blue,EA,finished,none,3.10,20,5,yes,05012345678900\n"
    result = csvio.import_items(csv_file(text))
    assert (result.created, result.updated) == (0, 1)
    widget = items()["1042"]
    assert (widget.description, widget.unit_cost, widget.reorder_point) == (
        "Widget blue",
        Decimal("3.10"),
        20,
    )
    assert barcodes_of("1042") == {("05012345678900", 1)}


def test_a_column_left_out_of_the_file_leaves_that_field_alone(site):
    result = csvio.import_items(csv_file("sku,description,reorder_point\n1042,Widget,30\n"))
    assert result.ok and result.updated == 1
    assert items()["1042"].reorder_point == 30
    assert items()["1042"].unit_cost == Decimal("2.50")
    assert barcodes_of("1042") == {("05012345678900", 1), ("15012345678907", 12)}


def test_one_bad_row_among_good_rows_writes_nothing_and_names_that_row_and_column(app):
    text = GOOD_ITEMS + "5004,Cable tie 4.8x200,PK,mro,none,twelve,0,0,yes,\n"
    result = csvio.import_items(csv_file(text))
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(5, "unit_cost")]
    assert "twelve" in result.errors[0].message
    assert items() == {}


BAD_ITEM_ROWS = [
    # (what is wrong, the row, the column, words the message must contain)
    ("5009,Thing,EA,gizmo,none,1,0,0,yes,", "inventory_type", "not one of"),
    ("5009,Thing,EA,finished,batch,1,0,0,yes,", "tracking", "not one of"),
    ("5009,Thing,EA,finished,none,1,0,0,yes,05012345000014", "barcodes", "check digit"),
    ("5001,Thing,EA,finished,none,1,0,0,yes,", "sku", "also on row 2"),
    ("5009,Thing,EA,finished,none,1,0,0,yes,05012345678900", "barcodes", "belongs to item 1042"),
    ("5009,Thing,EA,finished,none,1,0,0,yes,05012345000015", "barcodes", "also on row 2"),
    ("5009,Thing,EA,finished,none,1,0,0,yes,A0101A", "barcodes", "bin's barcode"),
    ("5009,Thing,EA,finished,none,1,0,0,yes,05012345000022*0", "barcodes", "pack quantity"),
    ("5009,Thing,EA,finished,none,€4,0,0,yes,", "unit_cost", "not a number"),
    ("5009,Thing,EA,finished,none,-1,0,0,yes,", "unit_cost", "negative"),
    ("5009,Thing,EA,finished,none,1,-5,0,yes,", "reorder_point", "negative"),
    ("5009,Thing,EA,finished,none,1,0,2.5,yes,", "safety_stock", "whole number"),
    ("5009,Thing,EA,finished,none,1,0,0,maybe,", "active", "yes or no"),
    ("5009,,EA,finished,none,1,0,0,yes,", "description", "required"),
    ("bad sku!,Thing,EA,finished,none,1,0,0,yes,", "sku", "not a SKU"),
    ("5009,Thing,each unit,finished,none,1,0,0,yes,", "uom", "unit of measure"),
    ("5009,Thing,EA,finished,none,1,0,0,yes,,extra", "(end)", "more cells"),
]


@pytest.mark.parametrize(("row", "column", "words"), BAD_ITEM_ROWS)
def test_each_kind_of_bad_item_value_is_reported_on_its_row_and_column(site, row, column, words):
    first = "5001,Bolt,BX,component,none,1,0,0,yes,05012345000015\n"
    result = csvio.import_items(csv_file(ITEMS_HEADER + first + row + "\n"))
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert words in result.errors[0].message
    assert "5001" not in items()


def test_a_missing_required_column_is_reported_on_the_header_row(app):
    result = csvio.import_items(csv_file("description,uom\nBolt,EA\n"))
    assert [(e.row, e.column) for e in result.errors] == [(1, "sku")]
    assert "missing" in result.errors[0].message
    assert items() == {}


def test_a_file_without_descriptions_can_update_items_but_not_create_them(site):
    result = csvio.import_items(csv_file("sku,reorder_point\n1042,8\n5001,8\n"))
    assert [(e.row, e.column) for e in result.errors] == [(3, "description")]
    assert "new item" in result.errors[0].message
    assert items()["1042"].reorder_point == 0


def test_an_unknown_column_is_reported_so_a_typo_is_not_silently_ignored(app):
    result = csvio.import_items(csv_file("sku,description,reorder_piont\n5001,Bolt,5\n"))
    assert [(e.row, e.column) for e in result.errors] == [(1, "reorder_piont")]
    assert items() == {}


def test_a_barcode_can_move_to_another_item_when_the_same_file_takes_it_off_the_first(site):
    text = (
        "sku,barcodes\n"
        "1042,15012345678907*12\n"  # 05012345678900 leaves 1042 ...
        "2001,04006381333931;05012345678900\n"  # ... and goes to 2001
    )
    result = csvio.import_items(csv_file(text))
    assert result.ok, [str(e) for e in result.errors]
    assert barcodes_of("1042") == {("15012345678907", 12)}
    assert barcodes_of("2001") == {("04006381333931", 1), ("05012345678900", 1)}


def test_tracking_cannot_change_once_an_item_has_stock_movements(site):
    stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=5, key=uuid.uuid4().hex)
    result = csvio.import_items(csv_file("sku,description,tracking\n1042,Widget,lot\n"))
    assert [(e.row, e.column) for e in result.errors] == [(2, "tracking")]
    assert items()["1042"].tracking == Tracking.NONE


def test_a_spreadsheet_file_with_a_bom_semicolons_and_blank_rows_imports(app):
    text = "\ufeffsku;description;unit_cost\n5001;Bolt, zinc;1.25\n;;\n\n5002;Nut;0.10\n"
    result = csvio.import_items(csv_file(text))
    assert (result.ok, result.created) == (True, 2)
    assert items()["5001"].description == "Bolt, zinc"


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message(app):
    result = csvio.import_items(io.BytesIO("sku,description\n5001,Écrou\n".encode("cp1252")))
    assert not result.ok and "UTF-8" in result.errors[0].message
    assert items() == {}


def test_check_items_reports_the_same_errors_as_an_import_and_writes_nothing(site):
    sheet = csvio.read_sheet(io.StringIO(GOOD_ITEMS + "5004,,EA,finished,none,1,0,0,yes,\n"))
    errors = csvio.check_items(sheet)
    assert [(e.row, e.column) for e in errors] == [(5, "description")]
    assert str(errors[0]).startswith("Row 5, description:")
    assert "5001" not in items()


def test_exported_items_import_back_unchanged_and_export_the_same_text(app):
    assert csvio.import_items(csv_file(GOOD_ITEMS)).ok
    exported = io.StringIO()
    assert csvio.export_items(exported) == 3
    text = exported.getvalue()
    again = csvio.import_items(csv_file(text))
    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, 3)
    second = io.StringIO()
    csvio.export_items(second)
    assert second.getvalue() == text
    lines = text.splitlines()
    assert lines[0] == ITEMS_HEADER.strip().replace("safety_stock,", "safety_stock,zone,")
    assert lines[1] == (
        '5001,"Hex bolt M8x40 zinc, box of 100",BX,component,none,12.50,10,5,,yes,'
        "05012345000015;15012345000012*12"
    )
    assert lines[2].endswith(",mro,none,7.90,0,0,,yes,00036000291452")
    assert lines[3].endswith(",resale,lot,6.90,4,2,,no,")


def test_an_items_putaway_zone_must_be_a_zone_the_bins_have(site):
    text = "sku,zone\n1042,A\n2001,\n3001,RESERVE\n"
    result = csvio.import_items(csv_file(text))
    assert [(e.row, e.column) for e in result.errors] == [(4, "zone")]
    assert result.errors[0].message == (
        "no bin is in zone RESERVE; name a zone the bins have, or leave it blank"
    )
    assert csvio.import_items(csv_file(text.replace("RESERVE", "A"))).ok
    zones = {sku: item.zone for sku, item in items().items()}
    assert zones == {"1042": "A", "2001": "", "3001": "A"}


# --- bins ------------------------------------------------------------------------------

GOOD_BINS = LOCATIONS_HEADER + (
    "WH1,C-01-01-A,pick,PICK,C,01,01,A,100,yes\n"
    "WH1,C-01-03-A,storage,RESERVE,C,01,03,A,110,yes\n"
    "WH1,QUAR-02,quarantine,,,,,,5,no\n"
)


def test_a_good_bins_file_creates_bins_with_their_barcodes_and_updates_existing_ones(site):
    text = GOOD_BINS + "WH1,A-01-01-A,pick,PICK,A,01,01,A,15,yes\n"
    result = csvio.import_locations(csv_file(text))
    assert (result.ok, result.created, result.updated) == (True, 3, 1)
    got = bins()
    assert (got["C-01-01-A"].barcode, got["C-01-01-A"].kind) == ("C0101A", LocationKind.PICK)
    assert (got["C-01-03-A"].zone, got["C-01-03-A"].sequence) == ("RESERVE", 110)
    assert got["QUAR-02"].active is False
    assert (got["A-01-01-A"].sequence, got["A-01-01-A"].zone) == (15, "PICK")


BAD_BIN_ROWS = [
    ("WH1,C-01-01-X,shelf,,,,,,0,yes", "kind", "not one of"),
    ("WH1,C_01 01,pick,,,,,,0,yes", "code", "not a bin code"),
    ("WH1,C-01-01-Ä,pick,,,,,,0,yes", "code", "not a bin code"),
    ("WH1,-C01,pick,,,,,,0,yes", "code", "not a bin code"),
    ("WH1,C-01-01-A,pick,,,,,,0,yes", "code", "also on row 2"),
    ("WH1,C0101A,pick,,,,,,0,yes", "code", "also made by row 2"),
    ("WH1,A01-01-A,pick,,,,,,0,yes", "code", "is bin A-01-01-A"),
    ("WH9,C-01-02-A,pick,,,,,,0,yes", "warehouse", "no warehouse WH9"),
    ("WH1,C-01-02-A,pick,,,,,,first,yes", "sequence", "whole number"),
    ("WH1,C-01-02-A,,,,,,,0,yes", "kind", "required"),
    ("WH1,C-01-02-A,pick,ZONE-NAME-FAR-TOO-LONG,,,,,0,yes", "zone", "too long"),
]


@pytest.mark.parametrize(("row", "column", "words"), BAD_BIN_ROWS)
def test_each_kind_of_bad_bin_value_is_reported_on_its_row_and_column(site, row, column, words):
    first = "WH1,C-01-01-A,pick,PICK,C,01,01,A,100,yes\n"
    result = csvio.import_locations(csv_file(LOCATIONS_HEADER + first + row + "\n"))
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert words in result.errors[0].message
    assert "C-01-01-A" not in bins()


def test_a_bins_file_with_a_missing_required_column_writes_nothing(site):
    result = csvio.import_locations(csv_file("warehouse,kind\nWH1,pick\n"))
    assert [(e.row, e.column) for e in result.errors] == [(1, "code")]
    assert "missing" in result.errors[0].message


def test_a_bins_file_without_kinds_can_update_bins_but_not_create_them(site):
    text = "warehouse,code,sequence\nWH1,A-01-01-A,15\nWH1,C-01-01-A,20\n"
    result = csvio.import_locations(csv_file(text))
    assert [(e.row, e.column) for e in result.errors] == [(3, "kind")]
    assert "C-01-01-A" not in bins()
    assert bins()["A-01-01-A"].sequence == 10


def test_a_new_warehouse_is_created_only_when_asked(app):
    text = LOCATIONS_HEADER + "WH2,DOCK-01,dock,,,,,,0,yes\n"
    assert not csvio.import_locations(csv_file(text)).ok
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Warehouse)) == 0
    assert csvio.import_locations(csv_file(text), new_warehouses=True).created == 1
    assert bins()["DOCK-01"].warehouse.code == "WH2"


def test_exported_bins_import_back_unchanged_in_walking_order(site):
    assert csvio.import_locations(csv_file(GOOD_BINS)).ok
    exported = io.StringIO()
    assert csvio.export_locations(exported) == 9
    text = exported.getvalue()
    again = csvio.import_locations(csv_file(text))
    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, 9)
    lines = text.splitlines()
    assert lines[0] == LOCATIONS_HEADER.strip()
    assert "WH1,QUAR-02,quarantine,,,,,,5,no" in lines
    assert "WH1,C-01-01-A,pick,PICK,C,01,01,A,100,yes" in lines
    sequences = [int(line.split(",")[8]) for line in lines[1:]]
    assert sequences == sorted(sequences)


# --- the commands ----------------------------------------------------------------------


def test_import_items_command_reports_counts_and_exits_zero(app, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(GOOD_ITEMS)
    result = app.test_cli_runner().invoke(args=["import-items", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged" in result.output
    assert set(items()) == {"5001", "5002", "5003"}


def test_import_items_command_prints_each_row_error_and_exits_non_zero(app, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(GOOD_ITEMS + "5004,Thing,EA,gizmo,none,x,0,0,yes,\n")
    result = app.test_cli_runner().invoke(args=["import-items", str(path)])
    assert result.exit_code == 1
    assert "Row 5, inventory_type:" in result.output
    assert "Row 5, unit_cost:" in result.output
    assert "no items were imported" in result.output
    assert items() == {}


def test_export_then_import_through_the_commands_round_trips(app, site, tmp_path):
    runner = app.test_cli_runner()
    items_path, bins_path = tmp_path / "items.csv", tmp_path / "bins.csv"
    assert runner.invoke(args=["export-items", str(items_path)]).exit_code == 0
    assert runner.invoke(args=["export-locations", str(bins_path)]).exit_code == 0
    to_stdout = runner.invoke(args=["export-items"])
    assert to_stdout.output == items_path.read_text()
    result = runner.invoke(args=["import-items", str(items_path)])
    assert result.exit_code == 0 and "0 created, 0 updated, 3 unchanged" in result.output
    result = runner.invoke(args=["import-locations", str(bins_path)])
    assert result.exit_code == 0 and "0 created, 0 updated, 6 unchanged" in result.output


def test_import_locations_command_refuses_a_bad_code_with_exit_status_one(app, site, tmp_path):
    path = tmp_path / "bins.csv"
    path.write_text(LOCATIONS_HEADER + "WH1,c 01,pick,,,,,,0,yes\n")
    result = app.test_cli_runner().invoke(args=["import-locations", str(path)])
    assert result.exit_code == 1
    assert "Row 2, code:" in result.output
    assert "C 01" not in bins()
