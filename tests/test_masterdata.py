"""Master data use cases: items, bins and ranges, users, documents, count tasks."""

import pytest
import sqlalchemy as sa

from tests.conftest import sign_in
from webapp import masterdata, users
from webapp.db import db
from webapp.masterdata import PICK_LISTS, RECEIPTS, Invalid
from webapp.models import (
    AuditEntry,
    CountTask,
    DocStatus,
    Item,
    ItemBarcode,
    Location,
    Receipt,
    Role,
    StockBalance,
    User,
)


@pytest.fixture
def admin(site):
    return users.create_user("ada", "Ada Admin", role="admin", password="adminpass")


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_new_item_gets_its_gtins_as_14_digits_and_its_case_quantity(admin):
    item = masterdata.save_item(
        admin,
        {"sku": "5001", "description": "Bolt", "barcodes": "4006381333986; 96385074*6"},
    )
    codes = {(b.code, b.pack_qty) for b in db.session.get(Item, item.id).barcodes}
    assert codes == {("04006381333986", 1), ("00000096385074", 6)}


def test_a_gtin_with_a_wrong_check_digit_is_refused_and_nothing_is_written(admin):
    before = count(Item)
    with pytest.raises(Invalid) as refused:
        masterdata.save_item(
            admin, {"sku": "5001", "description": "Bolt", "barcodes": "4006381333932"}
        )
    assert "check digit" in refused.value.errors["barcodes"]
    assert count(Item) == before


def test_a_duplicate_sku_is_refused(admin, site):
    with pytest.raises(Invalid) as refused:
        masterdata.save_item(admin, {"sku": "1042", "description": "Again"})
    assert "1042" in refused.value.errors["sku"]
    assert count(Item) == 3


def test_a_barcode_of_another_item_is_refused(admin, site):
    with pytest.raises(Invalid) as refused:
        masterdata.save_item(
            admin, {"sku": "5001", "description": "X", "barcodes": "5012345678900"}
        )
    assert "1042" in refused.value.errors["barcodes"]


def test_editing_an_item_changes_its_fields_and_replaces_its_barcodes(admin, site):
    masterdata.save_item(
        admin,
        {"sku": "1042", "description": "Widget, blue", "barcodes": "05012345678900*2"},
        site.widget.id,
    )
    item = db.session.get(Item, site.widget.id)
    assert item.description == "Widget, blue"
    assert [(b.code, b.pack_qty) for b in item.barcodes] == [("05012345678900", 2)]
    assert count(ItemBarcode) == 2  # milk's own barcode is untouched


def test_an_items_putaway_zone_is_one_the_bins_have_or_none(admin, site):
    with pytest.raises(Invalid) as refused:
        masterdata.save_item(admin, {"sku": "1042", "zone": "RESERVE"}, site.widget.id)
    assert refused.value.errors == {
        "zone": "No bin is in zone RESERVE; name a zone the bins have, or leave it blank."
    }
    assert masterdata.save_item(admin, {"sku": "1042", "zone": "A"}, site.widget.id).zone == "A"
    assert masterdata.save_item(admin, {"sku": "1042", "zone": ""}, site.widget.id).zone == ""


def test_deactivating_an_item_keeps_it_but_switches_it_off(admin, site):
    masterdata.set_item_active(admin, site.widget.id, False)
    assert db.session.get(Item, site.widget.id).active is False


def test_a_new_bin_continues_the_walking_order_after_the_last(admin, site):
    loc = masterdata.save_location(admin, {"code": "c-01-01-a", "kind": "pick", "sequence": ""})
    assert (loc.code, loc.barcode, loc.sequence) == ("C-01-01-A", "C0101A", 40)


def test_a_duplicate_bin_code_is_refused(admin, site):
    with pytest.raises(Invalid) as refused:
        masterdata.save_location(admin, {"code": "A-01-01-A", "kind": "storage"})
    assert "exists already" in refused.value.errors["code"]


def test_a_bin_holding_stock_cannot_be_switched_off(admin, site):
    with db.session.begin():
        db.session.add(StockBalance(item_id=site.widget.id, location_id=site.a1.id, quantity=3))
    with pytest.raises(Invalid):
        masterdata.set_location_active(admin, site.a1.id, False)
    assert db.session.get(Location, site.a1.id, populate_existing=True).active


def test_a_range_is_previewed_in_walking_order_numbered_after_the_last_bin(site):
    plan = masterdata.plan_range(
        {"aisle": "C", "bay": "01-20", "level": "1-4", "position": "A-B", "kind": "storage"}
    )
    assert len(plan.bins) == 160
    assert [b["code"] for b in plan.bins[:3]] == ["C-01-1-A", "C-01-1-B", "C-01-2-A"]
    assert plan.bins[0]["sequence"] == 40 and plan.bins[-1]["sequence"] == 40 + 159 * 10
    assert plan.clashes == []
    assert count(Location) == 6  # a preview writes nothing


def test_creating_a_range_makes_every_bin(admin, site):
    made = masterdata.create_range(
        admin, {"aisle": "C", "bay": "01-02", "level": "1", "position": "A-B", "kind": "pick"}
    )
    assert [m.code for m in made] == ["C-01-1-A", "C-01-1-B", "C-02-1-A", "C-02-1-B"]
    assert count(Location) == 10


def test_a_range_overlapping_existing_bins_writes_nothing(admin, site):
    values = {"aisle": "A", "bay": "01", "level": "01-02", "position": "A-B", "kind": "storage"}
    with pytest.raises(Invalid) as refused:
        masterdata.create_range(admin, values)
    assert "A-01-01-A" in refused.value.errors["form"]
    assert count(Location) == 6
    assert count(AuditEntry) == 0


def test_a_range_that_is_not_a_range_is_refused(site):
    with pytest.raises(Invalid) as refused:
        masterdata.plan_range({"aisle": "A", "bay": "20-01", "kind": "storage"})
    assert "bay" in refused.value.errors


def test_a_range_without_a_kind_is_refused(admin, site):
    with pytest.raises(Invalid) as refused:  # the form always sends one; a crafted post not
        masterdata.create_range(admin, {"aisle": "C", "bay": "01", "level": "1"})
    assert refused.value.errors["kind"] == "a value is required"
    assert count(Location) == 6


def test_a_user_is_created_with_role_badge_and_a_hashed_pin(admin):
    user = masterdata.create_user(
        admin,
        {"username": "Pat", "name": "Pat", "role": "supervisor", "pin": "4455", "badge": "b123"},
    )
    assert (user.username, user.role, user.badge) == ("pat", Role.SUPERVISOR, "B123")
    assert user.password_hash and "4455" not in user.password_hash


def test_a_user_with_a_short_pin_or_a_taken_badge_is_refused(admin):
    masterdata.create_user(
        admin, {"username": "pat", "role": "worker", "pin": "4455", "badge": "B123"}
    )
    with pytest.raises(Invalid) as refused:
        masterdata.create_user(
            admin, {"username": "kim", "role": "worker", "pin": "12", "badge": "B123"}
        )
    assert set(refused.value.errors) == {"pin", "badge"}
    assert db.session.scalar(sa.select(User).where(User.username == "kim")) is None


def test_an_admin_cannot_change_their_own_role_or_switch_themselves_off(admin):
    with pytest.raises(Invalid):
        masterdata.save_user(admin, admin.id, {"role": "worker"})
    with pytest.raises(Invalid):
        masterdata.deactivate_user(admin, admin.id)


def test_a_reset_pin_ends_the_users_sessions_and_clears_the_lock(admin, site):
    version = site.worker.session_version
    user = masterdata.reset_pin(admin, site.worker.id, "9876")
    assert user.session_version == version + 1 and user.failed_signins == 0


def test_a_receipt_is_created_with_lines_by_sku(admin, site):
    receipt = masterdata.save_document(
        admin,
        RECEIPTS,
        {
            "number": "po100",
            "supplier": "Acme",
            "expected_on": "2026-12-24",
            "lines": "1042 12\n2001, 4",
        },
    )
    receipt = db.session.get(Receipt, receipt.id)
    assert receipt.number == "PO100"
    assert [(line.item.sku, line.expected_qty) for line in receipt.lines] == [
        ("1042", 12),
        ("2001", 4),
    ]


def test_a_document_with_an_unknown_sku_or_a_taken_number_is_refused(admin, site):
    masterdata.save_document(admin, PICK_LISTS, {"number": "PL1", "lines": "1042 1"})
    with pytest.raises(Invalid) as refused:
        masterdata.save_document(admin, RECEIPTS, {"number": "PL1", "lines": "9999 1"})
    assert set(refused.value.errors) == {"number", "lines"}
    assert count(Receipt) == 0


def test_a_cancelled_receipt_cannot_be_edited(admin, site):
    receipt = masterdata.save_document(admin, RECEIPTS, {"number": "PO1", "lines": "1042 1"})
    masterdata.cancel_document(admin, RECEIPTS, receipt.id)
    with pytest.raises(Invalid):
        masterdata.save_document(admin, RECEIPTS, {"number": "PO1", "lines": "1042 2"}, receipt.id)


def test_counting_by_items_makes_one_task_per_bin_holding_any_of_them(admin, site):
    with db.session.begin():
        for loc, item in ((site.a1, site.widget), (site.a2, site.milk), (site.b1, site.widget)):
            db.session.add(StockBalance(item_id=item.id, location_id=loc.id, quantity=2))
    made = masterdata.create_count_tasks(admin, "items", "1042 2001")
    assert sorted(t.location.code for t in made.created) == ["A-01-01-A", "A-01-02-A", "B-01-01-A"]
    again = masterdata.create_count_tasks(admin, "bin", "a-01-01-a")
    assert again.created == [] and again.skipped == ["A-01-01-A"]


def test_counting_a_zone_makes_a_task_per_active_bin_of_the_zone(admin, site):
    made = masterdata.create_count_tasks(admin, "zone", "A")
    assert len(made.created) == 5  # the switched-off bin is left out
    assert count(CountTask) == 5
    assert {t.status for t in db.session.scalars(sa.select(CountTask))} == {DocStatus.OPEN}


def test_counting_an_unknown_bin_is_refused(admin, site):
    with pytest.raises(Invalid):
        masterdata.create_count_tasks(admin, "bin", "NOPE-1")
    assert count(CountTask) == 0


@pytest.mark.parametrize("path", ["/admin/items/new", "/admin/locations/new"])
def test_a_new_record_posted_without_its_key_field_is_refused_not_a_server_error(
    app, client, site, path
):
    users.create_user("ada", "Ada Admin", role="admin", password="4444")
    sign_in(client, "ada", "4444")
    response = client.post(path, data={"description": "no key given"})
    assert response.status_code == 422


@pytest.mark.parametrize("level", ["³", "1-³", "١-٣"])  # digits to str.isdigit(), not to int()
def test_a_range_in_other_digits_is_refused_in_words(site, level):
    with pytest.raises(Invalid) as refused:
        masterdata.plan_range({"aisle": "C", "bay": "01", "level": level, "kind": "storage"})
    assert refused.value.errors["level"].endswith("is not a range: write 01-20, 1-4 or A-B.")


def test_a_range_of_a_billion_bays_is_refused_before_it_is_spelled_out(site):
    with pytest.raises(Invalid) as refused:
        masterdata.plan_range({"aisle": "C", "bay": "1-999999999", "kind": "storage"})
    assert refused.value.errors["bay"] == (
        "1-999999999 is 999,999,999 bays; make at most 2,000 bins at a time."
    )
