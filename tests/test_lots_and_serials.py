"""The lot or serial number step of every flow, on both databases: what a scan there may
be, the words a serial-tracked item is asked for in, and a serial counted as one unit."""

import uuid

import pytest
import sqlalchemy as sa

from tests.flowdriver import Worker
from tests.helpers import make_list, receive
from webapp import counting, lookup, moving, picking, receiving, stock
from webapp.db import db
from webapp.models import CountLine, CountTask, ItemBarcode, Lot

DRILL_GTIN = "08712345002701"


def gs1(serial: str) -> str:
    """A GS1 DataMatrix on a power tool: the drill's GTIN (01) and its serial number (21)."""
    return f"]d201{DRILL_GTIN}21{serial}"


@pytest.fixture
def drills(site):
    """The serial-tracked drill with a GTIN, two of them in bin A-01-01-A."""
    db.session.add(ItemBarcode(item_id=site.drill.id, code=DRILL_GTIN, pack_qty=1))
    db.session.commit()
    for serial in ("SN1", "SN2"):
        stock.receive(site.worker, to_bin="A-01-01-A", sku="3001", qty=1, lot=serial,
                      key=uuid.uuid4().hex)
    return site


def lot_codes() -> set[str]:
    return set(db.session.scalars(sa.select(Lot.code)))


def test_the_items_own_barcode_scanned_again_on_the_lot_step_is_not_taken_as_a_lot(site):
    w = Worker(receiving, site.worker)
    w(action="blind")
    assert w("04006381333931").prompt == "Scan or type the lot"
    step = w("04006381333931")  # the same label, scanned twice
    assert step.ok is False
    assert step.message == "That is item 2001 (Item 2001); scan or type the lot."
    assert "lot" not in step.state and step.prompt == "Scan or type the lot"
    step = w("5012345678900")  # another item's barcode
    assert step.ok is False and step.message.startswith("That is item 1042 (Item 1042)")
    # A lot number that only happens to be another item's SKU is a lot number.
    assert w("1042").context[-2:] == [("Lot", "1042"), ("Quantity", "1")]


def test_a_serial_item_is_received_from_its_gs1_code_one_unit_per_serial(drills):
    w = Worker(receiving, drills.worker)
    w(action="blind")
    step = w(gs1("SN77"))
    assert step.ok and step.prompt == "Scan where it goes"
    assert ("Serial number", "SN77") in step.context and not step.qty_field
    again = w(gs1("SN77"))
    assert again.ok is False and again.message == (
        "Each 3001 has its own serial number: scan where this one goes, then receive the next."
    )
    assert dict(again.context)["Quantity"] == "1"
    assert w("DOCK1").message == "Received: 1 × 3001 serial SN77 into DOCK-1."
    # Its plain barcode first, then the code with the serial, on the serial number step.
    assert w(DRILL_GTIN).prompt == "Scan or type the serial number"
    assert ("Serial number", "SN78") in w(gs1("SN78")).context
    assert w("DOCK1").ok
    assert {"SN77", "SN78"} <= lot_codes()
    assert not any(code.startswith("01") for code in lot_codes())


def test_moving_a_serial_asks_for_the_serial_number_and_moves_one(drills):
    w = Worker(moving, drills.worker)
    w("A0101A")
    step = w(DRILL_GTIN)
    assert step.prompt == "Scan the serial number"
    assert step.message == "3001 is here in 2 serial numbers: scan the serial number."
    assert w(DRILL_GTIN).message == "That is item 3001 (Item 3001); scan or type the serial number."
    assert w("SN9").message == (
        "Bin A-01-01-A holds no serial number SN9 of 3001; scan a serial number it holds."
    )
    step = w(gs1("SN2"))
    assert step.prompt == "Scan the destination bin" and not step.qty_field
    assert ("Serial number", "SN2") in step.context
    assert w(DRILL_GTIN).message.startswith("Each 3001 has its own serial number")
    assert w("A0102A").message == "Moved: 1 × 3001 serial SN2 from A-01-01-A to A-01-02-A."
    assert stock.on_hand("3001", "A-01-02-A", lot="SN2") == 1


def test_a_serial_item_scanned_with_its_serial_goes_straight_to_the_destination(drills):
    w = Worker(moving, drills.worker)
    w("A0101A")
    assert w(gs1("SN1")).prompt == "Scan the destination bin"


def test_a_serial_is_counted_as_one_unit(drills):
    db.session.add(CountTask(number="CT3001", location_id=drills.a1.id))
    db.session.commit()
    w = Worker(counting, drills.worker)
    w("CT3001")
    w("A0101A")
    step = w(DRILL_GTIN)
    assert step.prompt == "Scan the serial number of 3001"
    assert step.message == "3001: scan its serial number."
    assert w(DRILL_GTIN).message.endswith("; scan or type the serial number.")
    assert w("SN1").message == "3001 serial number SN1: 1."
    twice = w(gs1("SN1"))
    assert twice.ok is False
    assert twice.message == "3001 serial number SN1 is counted already: a serial is one unit."
    assert w(action="qty", qty="2").message == (
        "A serial number is one unit: type 1, or 0 if SN1 is not here."
    )
    assert w(gs1("SN2")).message == "3001 serial number SN2: 1."
    w(action="done")
    counted = db.session.scalars(sa.select(CountLine).order_by(CountLine.id)).all()
    assert sorted((line.lot.code, line.counted_qty) for line in counted) == [("SN1", 1), ("SN2", 1)]


def test_a_pick_of_a_serial_item_records_the_serial_number_taken(drills):
    receive(drills, "B-01-01-A", 3)
    make_list(drills, "PL2001", [(drills.drill, 2)])
    w = Worker(picking, drills.worker)
    w(action="take")
    step = w("A0101A")
    assert not step.qty_field and not any(k == "Serial number" for k, _ in step.context)
    assert w(action="qty", qty="1").message == "Scan the serial number of each 3001 you take."
    # Its plain barcode: the serial number is asked for, and the item's barcode refused there.
    step = w(DRILL_GTIN)
    assert step.prompt == "Scan the serial number of 3001" and step.ok is None
    # Any of them will do: named, for the worker whose unit's label has to be typed.
    assert ("Serials here", "SN1, SN2") in step.context
    assert w(DRILL_GTIN).message.endswith("; scan or type the serial number.")
    refused = w("SN9")
    assert refused.message == (
        "Bin A-01-01-A holds no serial number SN9 of 3001; scan the one you take."
    )
    assert refused.prompt == "Scan the serial number of 3001"
    assert w("SN2").message == "Picked: 1 × 3001 serial SN2 from A-01-01-A to SHIP-1."
    # The code with the serial in it, for the other one.
    w("A0101A")
    assert w(gs1("SN1")).message == "Picked: 1 × 3001 serial SN1 from A-01-01-A to SHIP-1."
    assert stock.on_hand("3001", "SHIP-1", lot="SN1") == 1
    assert stock.on_hand("3001", "SHIP-1", lot="SN2") == 1


def test_a_bin_of_many_serials_names_the_first_four_and_counts_the_rest(drills):
    for serial in ("SN3", "SN4", "SN5"):
        stock.receive(drills.worker, to_bin="A-01-01-A", sku="3001", qty=1, lot=serial,
                      key=uuid.uuid4().hex)
    make_list(drills, "PL2001", [(drills.drill, 1)])
    w = Worker(picking, drills.worker)
    w(action="take")
    w("A0101A")
    step = w(DRILL_GTIN)
    assert ("Serials here", "SN1, SN2, SN3, SN4 and 1 more") in step.context


def test_looking_up_a_serial_number_says_so(drills):
    step = Worker(lookup, drills.worker)("SN2")
    assert step.message == "Serial number SN2: 1 in 1 place."


def test_a_typed_count_waits_until_the_lot_of_the_item_scanned_is_given(site):
    receive(site, "A-01-01-A", 13)
    receive(site, "A-01-01-A", 5, sku="2001", lot="L1")
    db.session.add(CountTask(number="CT3001", location_id=site.a1.id))
    db.session.commit()
    w = Worker(counting, site.worker)
    w("CT3001")
    w("A0101A")
    assert w("5012345678900").qty_field
    step = w("04006381333931")  # a lot-tracked item: its lot comes next
    assert not step.qty_field
    # Typed now, the quantity would have set the item counted before, 1042.
    refused = w(action="qty", qty="5")
    assert refused.ok is False
    assert refused.message == "Scan the lot of 2001 first, then type how many."
    assert w("L1").message == "2001 lot L1: 1."
    assert w(action="qty", qty="5").message == "2001 lot L1: set to 5."
    assert dict(((sku, lot), qty) for sku, _named, lot, qty in w().data["counted"]) == {
        ("1042", ""): 1, ("2001", "L1"): 5}


def test_a_serial_numbers_own_label_counts_its_unit_in_one_scan(drills):
    receive(drills, "A-01-01-A", 2, sku="2001", lot="L1")
    db.session.add(CountTask(number="CT3001", location_id=drills.a1.id))
    db.session.commit()
    w = Worker(counting, drills.worker)
    w("CT3001")
    w("A0101A")
    assert w("SN1").message == "3001 serial number SN1: 1."
    assert w("SN1").message == "3001 serial number SN1 is counted already: a serial is one unit."
    # A lot's label alone does not say how many: the item is scanned for each unit.
    assert w("L1").message == "That is lot L1; scan an item in the bin."


def test_a_serial_numbers_label_is_called_a_serial_number_when_refused(drills):
    step = Worker(moving, drills.worker)("SN1")
    assert step.message == "That is serial number SN1; scan the bin to move from."


def test_a_serial_numbers_own_label_is_the_item_on_a_move_and_a_pick(drills):
    w = Worker(moving, drills.worker)
    w("A0101A")
    step = w("SN2")
    assert step.prompt == "Scan the destination bin" and ("Serial number", "SN2") in step.context
    assert w("A0102A").message == "Moved: 1 × 3001 serial SN2 from A-01-01-A to A-01-02-A."
    make_list(drills, "PL2001", [(drills.drill, 1)])
    p = Worker(picking, drills.worker)
    p(action="take")
    p("A0101A")
    assert p("SN1").message == "Picked: 1 × 3001 serial SN1 from A-01-01-A to SHIP-1."
