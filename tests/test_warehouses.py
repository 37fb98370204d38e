"""Two warehouses on one database: a worker who works in one is offered that warehouse's
work only (receipts, pick lists, count tasks, the docks to put away from); a worker with no
warehouse set is offered all of it, as on a single site. On both databases."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import sign_in
from tests.flowdriver import Worker
from tests.helpers import make_list, receive
from webapp import counting, lookup, masterdata, picking, receiving, users
from webapp.db import db
from webapp.masterdata import Invalid
from webapp.models import (
    AuditEntry,
    CountTask,
    DocStatus,
    Location,
    LocationKind,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    User,
    Warehouse,
)


@pytest.fixture
def sites(far):
    """Work waiting in both warehouses; wendy works in WH1, oscar anywhere. WH2's pick list
    is the older one, so that a plain Take next would hand it out first."""
    north = db.session.scalar(sa.select(Warehouse).where(Warehouse.code == "WH2"))
    bins = {b.code: b for b in db.session.scalars(sa.select(Location))}
    dock = Location(warehouse_id=north.id, code="DOCK-N", barcode="DOCKN",
                    kind=LocationKind.DOCK, zone="A")
    db.session.add(dock)
    north_list = PickList(number="PL2901", warehouse_id=north.id)
    north_list.lines = [PickLine(item_id=far.widget.id, ordered_qty=1)]
    db.session.add(north_list)
    for number, warehouse in (("PO1001", far.warehouse), ("PO2901", north)):
        receipt = Receipt(number=number, warehouse_id=warehouse.id, supplier="Acme")
        receipt.lines = [ReceiptLine(item_id=far.widget.id, expected_qty=5)]
        db.session.add(receipt)
    db.session.add_all([
        CountTask(number="CT1", location_id=far.a1.id),
        CountTask(number="CT2901", location_id=bins["N-01-01-A"].id),
    ])
    far.worker.warehouse_id = far.warehouse.id
    db.session.commit()
    make_list(far, "PL2001", [(far.widget, 1)])
    receive(far, "DOCK-1", 3)
    receive(far, "DOCK-N", 2)
    receive(far, "N-01-01-A", 4)
    receive(far, "A-01-01-A", 4)
    return far


def listed(step, name):
    return [row.number for row in step.data[name]]


def test_a_worker_of_one_warehouse_is_offered_its_work_only(sites):
    w = lambda flow: Worker(flow, sites.worker)  # noqa: E731
    assert listed(w(receiving)(), "receipts") == ["PO1001"]
    assert listed(w(counting)(), "tasks") == ["CT1"]
    pick = w(picking)
    assert pick().data["waiting"] == 1
    taken = pick(action="take")
    assert taken.message == "Picking PL2001."  # not WH2's older list
    assert db.session.scalar(sa.select(PickList.status).where(PickList.number == "PL2901")) == (
        DocStatus.OPEN
    )


def test_a_worker_with_no_warehouse_set_is_offered_every_warehouses_work(sites):
    w = lambda flow: Worker(flow, sites.other)  # noqa: E731
    assert listed(w(receiving)(), "receipts") == ["PO1001", "PO2901"]
    assert sorted(listed(w(counting)(), "tasks")) == ["CT1", "CT2901"]
    pick = w(picking)
    assert pick().data["waiting"] == 2
    assert pick(action="take").message == "Picking PL2901."  # the oldest, wherever it is


def test_take_next_with_no_list_waiting_in_the_workers_warehouse_says_so(sites):
    db.session.execute(sa.delete(PickLine).where(PickLine.pick_list_id.in_(
        sa.select(PickList.id).where(PickList.number == "PL2001"))))
    db.session.execute(sa.delete(PickList).where(PickList.number == "PL2001"))
    db.session.commit()
    refused = Worker(picking, sites.worker)(action="take")
    assert refused.ok is False and refused.message == "No pick lists are waiting in WH1."
    assert refused.data["waiting"] == 0


def test_a_document_or_bin_scanned_from_another_warehouse_is_taken_as_where_the_worker_is(sites):
    # Lists are a choice of what to do next; a scan of a document's barcode is the paper in
    # the worker's hand, so it is not refused (a worker lent to the other site for a day).
    w = Worker(receiving, sites.worker)
    assert w("PO2901").message == "Receiving PO2901."
    w("5012345678900")
    assert w("DOCKN").message == "Received: 1 × 1042 into DOCK-N."


def test_the_start_page_and_the_putaway_list_are_the_workers_warehouses(client, sites):
    def tiles(page):
        return {word: n for n, word in re.findall(r'<span class="n">(\d+)</span> (\w+)', page)}

    sign_in(client, "wendy")
    home = client.get("/").get_data(as_text=True)
    assert tiles(home) == {"Receive": "1", "Move": "1", "Pick": "1", "Count": "1"}
    in_use = db.session.scalar(sa.select(sa.func.count()).where(
        Location.active, Location.warehouse_id == sites.warehouse.id))
    assert f"You work in WH1 Main: {in_use} bins" in home
    putaway = client.get("/putaway").get_data(as_text=True)
    assert "DOCK-1" in putaway and "DOCK-N" not in putaway
    sign_in(client, "oscar")
    home = client.get("/").get_data(as_text=True)
    assert tiles(home) == {"Receive": "2", "Move": "2", "Pick": "2", "Count": "2"}
    assert "You work in" not in home
    putaway = client.get("/putaway").get_data(as_text=True)
    assert "DOCK-1" in putaway and "DOCK-N" in putaway


def test_an_admin_sets_where_a_user_works_audited_and_blank_means_every_warehouse(sites):
    admin = users.create_user("ada", "Ada Admin", role="admin", password="admin-pass-1")
    values = masterdata.user_state(sites.other)
    assert values["warehouse"] == ""
    masterdata.save_user(admin, sites.other.id, {**values, "warehouse": "wh2"})
    oscar = db.session.get(User, sites.other.id)
    assert oscar.warehouse.code == "WH2"
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.before, entry.after) == ({"warehouse": ""}, {"warehouse": "WH2"})
    with pytest.raises(Invalid) as refused:
        masterdata.save_user(admin, oscar.id, {**masterdata.user_state(oscar), "warehouse": "WH9"})
    assert refused.value.errors == {"warehouse": "There is no warehouse WH9."}
    assert db.session.get(User, oscar.id).warehouse.code == "WH2"
    masterdata.save_user(admin, oscar.id, {**masterdata.user_state(oscar), "warehouse": ""})
    assert db.session.get(User, oscar.id).warehouse_id is None


def test_the_office_creates_a_user_working_in_a_warehouse_and_lists_where_each_works(
    client, sites
):
    users.create_user("ada", "Ada Admin", role="admin", password="admin-pass-1")
    sign_in(client, "ada", "admin-pass-1")
    new = {"username": "kim", "name": "Kim", "role": "worker", "pin": "5566"}
    refused = client.post("/admin/users/new", data={**new, "warehouse": "WH9"})
    assert refused.status_code == 422 and "There is no warehouse WH9." in refused.text
    assert client.post("/admin/users/new", data={**new, "warehouse": "WH2"}).status_code == 302
    kim = db.session.scalar(sa.select(User).where(User.username == "kim"))
    assert kim.warehouse.code == "WH2"
    created = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert created.after["warehouse"] == "WH2"
    page = client.get(f"/admin/users/{kim.id}").text
    assert 'name="warehouse" type="text" value="WH2"' in page
    rows = re.findall(r"<tr[^>]*><td><a[^>]*>(\w+)</a>.*?</td><td>(\w+)</td><td>[^<]*</td></tr>",
                      client.get("/admin/users").text)
    assert dict(rows) == {"ada": "any", "kim": "WH2", "oscar": "any", "sam": "any", "wendy": "WH1"}


def test_create_user_on_the_command_line_takes_the_warehouse_a_user_works_in(app, sites):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-user", "kim", "--warehouse", "WH2", "--password", "5566"])
    assert made.exit_code == 0, made.output
    assert db.session.scalar(sa.select(User).where(User.username == "kim")).warehouse.code == "WH2"
    refused = runner.invoke(args=["create-user", "lee", "--warehouse", "WH9", "--password", "5566"])
    assert refused.exit_code == 1 and "There is no warehouse WH9." in refused.output
    assert db.session.scalar(sa.select(User).where(User.username == "lee")) is None


def test_look_up_shows_the_workers_warehouse_first_and_names_the_other(client, sites):
    # sites: 1042 on DOCK-1 (3) and A-01-01-A (4) in WH1, DOCK-N (2) and N-01-01-A (4) in WH2.
    wendy = Worker(lookup, sites.worker)("5012345678900")
    assert wendy.message == "1042 Item 1042: 7 in 2 places here; 6 more in other warehouses."
    assert [(loc.code, q) for loc, _, _, q in wendy.data["places"]][:2] == [
        ("DOCK-1", 3), ("A-01-01-A", 4)]
    anyone = Worker(lookup, sites.other)("5012345678900")
    assert anyone.message == "1042 Item 1042: 13 in 4 places."
    sign_in(client, "wendy")
    page = client.post("/lookup", data={"scan": "5012345678900"}).text
    bins = re.findall(r'<td class="code">([^<]+)(?:<small>([^<]+)</small>)?</td>', page)
    assert bins[:2] == [("DOCK-1", ""), ("A-01-01-A", "")]
    assert sorted(bins[2:]) == [("DOCK-N", " WH2"), ("N-01-01-A", " WH2")]
    sign_in(client, "oscar")  # works anywhere: every bin says where it is
    page = client.post("/lookup", data={"scan": "5012345678900"}).text
    bins = re.findall(r'<td class="code">([^<]+)(?:<small>([^<]+)</small>)?</td>', page)
    assert sorted(bins) == [("A-01-01-A", " WH1"), ("DOCK-1", " WH1"), ("DOCK-N", " WH2"),
                            ("N-01-01-A", " WH2")]
    receive(sites, "A-01-02-A", 1, sku="2001", lot="L1")  # held in one warehouse: no labels
    page = client.post("/lookup", data={"scan": "4006381333931"}).text
    assert re.findall(r'<td class="code">[^<]+(<small>)?', page) == [""]


def test_look_up_of_an_item_held_only_in_another_warehouse_says_none_here(sites):
    receive(sites, "N-01-01-A", 2, sku="2001", lot="L9")
    step = Worker(lookup, sites.worker)("4006381333931")
    assert step.message == "2001 Item 2001: none here; 2 in other warehouses."
    assert Worker(lookup, sites.worker)("N0101A").message == "Bin N-01-01-A: 2 lines."


def test_a_blind_receipt_names_the_docks_of_the_workers_warehouse(sites):
    def docks_named(user):
        w = Worker(receiving, user)
        w(action="blind")
        w("5012345678900")
        return dict(w.step.context)["Dock"]

    assert docks_named(sites.worker) == "DOCK-1"
    assert docks_named(sites.other) == "DOCK-1, DOCK-N"
    w = Worker(receiving, sites.worker)
    w(action="blind")
    w("5012345678900")
    assert w("DOCK1").message == "Received: 1 × 1042 into DOCK-1."
    w("5012345678900")  # the next item of the same blind receipt: still WH1's docks
    assert dict(w.step.context)["Dock"] == "DOCK-1"
