"""The look-up screen, on both databases."""

import re
import uuid
from datetime import date, timedelta

from tests.conftest import sign_in
from tests.flowdriver import Worker
from tests.helpers import make_list, receive
from webapp import lookup, picking, stock
from webapp.db import db
from webapp.models import CountTask, Item, Receipt, ReceiptLine


def test_scanning_a_bin_shows_what_it_holds(site):
    receive(site, "A-01-01-A", 7)
    receive(site, "A-01-01-A", 2, sku="2001", lot="L1")
    step = Worker(lookup, site.worker)("A0101A")
    assert step.message == "Bin A-01-01-A: 2 lines."
    assert [(i.sku, lot.code if lot else None, q) for i, lot, q in step.data["contents"]] == [
        ("1042", None, 7),
        ("2001", "L1", 2),
    ]


def test_scanning_an_item_shows_every_bin_holding_it_in_walking_order(site):
    receive(site, "B-01-01-A", 3)
    receive(site, "A-01-01-A", 7)
    step = Worker(lookup, site.worker)("5012345678900")
    assert step.message == "1042 Item 1042: 10 in 2 places."
    assert [(loc.code, q) for loc, _, _, q in step.data["places"]] == [
        ("A-01-01-A", 7),
        ("B-01-01-A", 3),
    ]


def test_scanning_a_lot_shows_where_it_is(site):
    receive(site, "B-01-01-A", 3, sku="2001", lot="L77")
    step = Worker(lookup, site.worker)("L77")
    assert step.message == "Lot L77: 3 in 1 place."
    assert [(loc.code, lot.code, q) for loc, _, lot, q in step.data["places"]] == [
        ("B-01-01-A", "L77", 3)
    ]


def test_an_item_on_hand_nowhere_says_so(site):
    step = Worker(lookup, site.worker)("5012345678900")
    assert step.message == "1042 Item 1042: none on hand."
    assert step.data["places"] == []


def test_an_unknown_code_is_shown_as_scanned(site):
    w = Worker(lookup, site.worker)
    assert w("NOPE99").ok is False
    assert w.step.message == "Unknown barcode “NOPE99”; scan a bin, an item, a lot or a document."


def test_a_lot_past_its_expiry_date_is_marked_expired(site, client):
    receive(site, "A-01-01-A", 2, sku="2001", lot="OLD", expiry=date.today() - timedelta(days=1))
    receive(site, "A-01-01-A", 3, sku="2001", lot="NEW", expiry=date.today())
    sign_in(client, "wendy")
    page = client.post("/lookup", data={"scan": "A0101A"}).get_data(as_text=True)
    old, new = (re.search(rf"<td>{lot}.*?</td>", page).group(0) for lot in ("OLD", "NEW"))
    assert 'class="expired">expired</b>' in old and "expired" not in new  # good through today


def test_scanning_an_items_gs1_label_shows_where_that_lot_is(site):
    receive(site, "B-01-01-A", 3, sku="2001", lot="L77")
    receive(site, "A-01-01-A", 5, sku="2001", lot="L78")
    step = Worker(lookup, site.worker)("]C1010400638133393110L77")
    assert step.message == "2001 lot L77: 3 in 1 place."
    assert [(loc.code, lot.code, q) for loc, _, lot, q in step.data["places"]] == [
        ("B-01-01-A", "L77", 3)
    ]
    step = Worker(lookup, site.worker)("]C1010400638133393110L99")  # a lot not in stock
    assert step.message == "2001 lot L99: none on hand."


def test_scanning_a_document_says_where_it_stands(site):
    receive(site, "A-01-01-A", 7)
    make_list(site, "PL7", [(site.widget, 5), (site.milk, 2)])
    w = Worker(lookup, site.worker)
    assert w("PL7").message == "Pick list PL7: open; 0 of 7 picked."
    picking.take_next(site.other)
    stock.pick(site.other, from_bin="A-01-01-A", to_bin="SHIP-1", sku="1042", qty=3,
               key=uuid.uuid4().hex, reference="PL7")
    db.session.expire_all()  # as a new request would, read the list afresh
    assert w("PL7").message == "Pick list PL7: in progress, picked by Oscar Other; 3 of 7 picked."
    receipt = Receipt(number="PO9", warehouse_id=site.warehouse.id, supplier="Acme")
    receipt.lines = [ReceiptLine(item_id=site.widget.id, expected_qty=24)]
    task = CountTask(number="CT9", location_id=site.b1.id, assigned_to_id=site.other.id)
    db.session.add_all([receipt, task])
    db.session.commit()
    stock.receive(site.worker, to_bin="DOCK-1", sku="1042", qty=4, key=uuid.uuid4().hex,
                  reference="PO9")
    assert w("PO9").message == "Receipt PO9 from Acme: open; 4 of 24 received."
    assert w("CT9").message == "Count CT9 of B-01-01-A: open, for Oscar Other."
    assert w("CT9").ok is True and w("U0001").ok is False  # a badge is nothing to look up


def gloves(site, *skus):
    """Items a worker may know by name only (their label torn off, say)."""
    for sku, description in skus:
        db.session.add(Item(sku=sku, description=description))
    db.session.commit()


def test_a_name_typed_on_the_look_up_screen_finds_the_one_item_named_so(site):
    gloves(site, ("7001", "Leather rigger gloves size 9"), ("7002", "Safety glasses"))
    receive(site, "B-01-01-A", 5, sku="7001")
    step = Worker(lookup, site.worker)("Rigger  GLOVES")  # every word, in any case
    assert step.ok is True
    assert step.message == "7001 Leather rigger gloves size 9 (named like “Rigger GLOVES”): " \
        "5 in 1 place."
    assert [(loc.code, q) for loc, _, _, q in step.data["places"]] == [("B-01-01-A", 5)]


def test_a_name_that_several_items_have_offers_them_to_choose_from(site, client):
    gloves(site, ("7001", "Leather rigger gloves size 9"), ("7002", "Nitrile gloves size 9"),
           ("7003", "Safety glasses"))
    w = Worker(lookup, site.worker)
    step = w("gloves")
    assert step.ok is None  # amber: nothing is wrong, the worker has a choice to make
    assert step.message == "No barcode “gloves”: 2 items are named like it. Choose one."
    assert [item.sku for item in step.data["named"]] == ["7001", "7002"]
    receive(site, "A-01-01-A", 2, sku="7002")
    assert w("7002").message == "7002 Nitrile gloves size 9: 2 in 1 place."  # the choice
    sign_in(client, "wendy")
    page = client.post("/lookup", data={"scan": "gloves"}).get_data(as_text=True)
    assert re.search(r'<button name="choose" value="7002">.*Nitrile gloves', page)


def test_a_name_many_items_have_asks_for_more_of_it(site):
    gloves(site, *[(f"70{n:02}", f"Glove size {n}") for n in range(12)])
    step = Worker(lookup, site.worker)("glove")
    assert step.message == "No barcode “glove”: more than 8 items are named like it. " \
        "Type more of the name, or choose one."
    assert len(step.data["named"]) == 8


def test_a_code_nothing_is_named_like_stays_unknown(site):
    gloves(site, ("7001", "Leather gloves 100% cotton lining"))
    w = Worker(lookup, site.worker)
    for text in ("NOPE99", "%", "g_oves", "gl"):  # wildcards are letters; two are too few
        assert w(text).ok is False, text
        assert w.step.message.startswith(f"Unknown barcode “{text}”"), w.step.message
    assert w("100%").message.startswith("7001 Leather gloves 100% cotton lining")
    assert w("5012345678901").message.startswith("Check digit wrong")  # a misread
