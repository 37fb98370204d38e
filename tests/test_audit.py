"""The audit log: every master-data change recorded with who, what, before and after."""

import pytest
import sqlalchemy as sa

from tests.conftest import sign_in
from webapp import audit, auth, masterdata, stock, users
from webapp.db import db, write_transaction
from webapp.masterdata import RECEIPTS
from webapp.models import AuditEntry, CountLine, CountStatus, CountTask

ADMIN_PASSWORD = "admin-pass-1"


@pytest.fixture
def admin(site):
    return users.create_user("ada", "Ada Admin", role="admin", password=ADMIN_PASSWORD)


def entries(entity: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return list(db.session.scalars(query))


def test_an_entry_is_written_in_the_callers_transaction_and_rolled_back_with_it(admin):
    with pytest.raises(RuntimeError), write_transaction():
        audit.record(admin, "update", "item", 1, {"a": 1}, {"a": 2})
        raise RuntimeError("the change failed")
    assert entries() == []
    with write_transaction():
        audit.record(admin, "update", "item", 1, {"a": 1, "b": 2}, {"a": 3, "b": 2}, "typo")
    (entry,) = entries()
    assert (entry.user_id, entry.before, entry.after, entry.reason) == (
        admin.id,
        {"a": 1},
        {"a": 3},
        "typo",
    )


def test_editing_an_item_records_only_the_changed_fields_before_and_after(admin, site):
    masterdata.save_item(
        admin, {"sku": "1042", "description": "Widget v2", "unit_cost": "3"}, site.widget.id
    )
    (entry,) = entries("item")
    assert (entry.action, entry.entity_id, entry.user_id) == ("update", site.widget.id, admin.id)
    assert entry.before == {"description": "Item 1042", "unit_cost": "2.5"}
    assert entry.after == {"description": "Widget v2", "unit_cost": "3"}


def test_changing_an_items_barcodes_is_recorded(admin, site):
    masterdata.save_item(admin, {"sku": "2001", "barcodes": ""}, site.milk.id)
    (entry,) = entries("item")
    assert entry.before == {"barcodes": "04006381333931"} and entry.after == {"barcodes": ""}


def test_creating_bins_users_documents_and_counts_is_recorded(admin, site):
    masterdata.create_range(admin, {"aisle": "C", "bay": "1-2", "kind": "pick"})
    user = masterdata.create_user(admin, {"username": "kim", "role": "worker", "pin": "1234"})
    masterdata.save_user(admin, user.id, {"role": "supervisor"})
    masterdata.deactivate_user(admin, user.id, reason="left the company")
    masterdata.save_document(admin, RECEIPTS, {"number": "PO1", "lines": "1042 3"})
    masterdata.create_count_tasks(admin, "bin", "A-01-01-A")
    got = [(e.action, e.entity) for e in entries()]
    assert got == [
        ("create", "location"),
        ("create", "location"),
        ("create", "user"),
        ("update", "user"),
        ("deactivate", "user"),
        ("create", "receipt"),
        ("create", "count_task"),
    ]
    role, off = entries("user")[1:]
    assert (role.before, role.after) == ({"role": "worker"}, {"role": "supervisor"})
    assert (off.after, off.reason) == ({"active": False}, "left the company")
    assert entries("receipt")[0].after["lines"] == "1042 3"


def test_a_refused_change_records_nothing(admin, site):
    with pytest.raises(masterdata.Invalid):
        masterdata.save_item(admin, {"sku": "1042", "description": "dup"})
    assert entries() == []


def test_a_csv_import_through_the_ui_is_recorded_as_the_admin(client, admin, site):
    sign_in(client, "ada", ADMIN_PASSWORD)
    client.post(
        "/admin/import/items/confirm", data={"text": "sku,description\n1042,New\n7001,Nut\n"}
    )
    got = {(e.action, e.entity_id, e.user_id, e.reason) for e in entries("item")}
    new_id = db.session.scalar(
        sa.select(sa.text("id")).select_from(sa.text("item")).where(sa.text("sku = '7001'"))
    )
    assert got == {
        ("update", site.widget.id, admin.id, "CSV import"),
        ("create", new_id, admin.id, "CSV import"),
    }


def test_a_command_line_import_is_recorded_as_the_system_user(admin, site):
    import io

    from webapp import csvio

    csvio.import_locations(io.StringIO("warehouse,code,kind\nWH1,Q-1,storage\n"))
    (entry,) = entries("location")
    assert entry.user.username == "system"


def test_the_audit_page_pages_newest_first_and_filters_by_entity_and_user(client, admin, site):
    with write_transaction():
        for n in range(audit.PAGE_SIZE + 5):
            audit.record(admin, "update", "item", n, {"n": n}, {"n": n + 1})
        audit.record(site.boss, "approve", "count_line", 7, None, {"status": "approved"})
    sign_in(client, "ada", ADMIN_PASSWORD)
    first = client.get("/admin/audit").get_data(as_text=True)
    assert first.index("count_line 7") < first.index("item 54")
    assert "item 4<" not in first and "before=" in first
    older = client.get("/admin/audit?before=6").get_data(as_text=True)
    assert "item 4<" in older and "item 0<" in older and "item 5<" not in older
    assert "before=" not in older
    by_sam = client.get("/admin/audit?user=sam").get_data(as_text=True)
    assert "count_line 7" in by_sam and "item 1<" not in by_sam
    items_only = client.get("/admin/audit?entity=item").get_data(as_text=True)
    assert "count_line 7" not in items_only


def test_a_bins_history_shows_who_moved_stock_and_who_approved_a_count_newest_first(
    client, admin, site
):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key="rcv-00001")
    with write_transaction() as session:
        task = CountTask(number="CT1", location_id=site.a1.id)
        task.lines = [
            CountLine(
                item_id=site.widget.id, system_qty=5, counted_qty=4, status=CountStatus.APPROVED
            )
        ]
        session.add(task)
        session.flush()
        audit.record(
            site.boss,
            "approve",
            "count_line",
            task.lines[0].id,
            {"status": "pending"},
            {"status": "approved"},
            reason="found damaged",
        )
    masterdata.save_location(admin, {"code": "A-01-01-A", "zone": "B"}, site.a1.id)
    events = audit.bin_history(site.a1.id)
    assert [e.who for e in events] == ["ada", "sam", "wendy"]
    assert events[1].reason == "found damaged" and events[2].detail == "+5 1042"
    sign_in(client, "ada", ADMIN_PASSWORD)
    page = client.get(f"/admin/locations/{site.a1.id}/history").get_data(as_text=True)
    assert "found damaged" in page and "zone: A → B" in page and "+5 1042" in page


def test_creating_and_switching_off_a_user_is_audited_in_the_same_transaction(app, site):
    made = users.create_user("vic", "Vic Worker", "worker", "5555", created_by=site.boss)
    auth.deactivate_user(made.id, by=site.boss, reason="left the company")
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "user").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.entity_id, e.user_id, e.reason) for e in entries] == [
        ("create", made.id, site.boss.id, ""),
        ("deactivate", made.id, site.boss.id, "left the company"),
    ]
