"""Admin pages over HTTP: forms, 422 refusals, CSV import with preview, the role matrix."""

import html
import io
import re
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, sign_in
from tests.helpers import make_list, receive
from webapp import masterdata, picking, receipts, users
from webapp.db import db
from webapp.models import (
    AuditEntry,
    CountTask,
    Item,
    Location,
    PickList,
    Receipt,
    ReceiptLine,
    User,
)

ADMIN_PASSWORD = "admin-pass-1"


@pytest.fixture
def admin(site):
    return users.create_user("ada", "Ada Admin", role="admin", password=ADMIN_PASSWORD)


@pytest.fixture
def office(client, admin):
    """A client signed in as the admin."""
    sign_in(client, "ada", ADMIN_PASSWORD)
    return client


def counts() -> dict:
    models = (Item, Location, User, Receipt, PickList, CountTask, AuditEntry)
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models
    }


def text(response) -> str:
    return response.get_data(as_text=True)


def upload(client, kind: str, content: str):
    data = {"file": (io.BytesIO(content.encode()), f"{kind}.csv")}
    return client.post(f"/admin/import/{kind}", data=data, content_type="multipart/form-data")


# --- who may ---------------------------------------------------------------------------


def admin_urls(app) -> list[tuple[str, str]]:
    """Every admin route with sample arguments, once per method it answers."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            args = {name: 1 if name == "id" else "receipts" for name in rule.arguments}
            url = app.url_for(rule.endpoint, **args)
            out += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return out


@pytest.mark.parametrize("username", ["wendy", "sam"])
def test_every_admin_route_refuses_workers_and_supervisors_and_changes_nothing(
    app, client, site, admin, username
):
    sign_in(client, username)
    before = counts()
    routes = admin_urls(app)
    assert len(routes) > 25
    form = {
        "sku": "X1",
        "description": "x",
        "code": "Q-1",
        "kind": "storage",
        "aisle": "Q",
        "role": "worker",
        "pin": "1234",
        "number": "PO9",
        "lines": "1042 1",
        "by": "zone",
        "value": "A",
        "confirm": "1",
        "active": "no",
        "text": "sku,description\nX2,y\n",
    }
    for method, url in routes:
        response = client.open(url, method=method, data=form if method == "POST" else None)
        assert response.status_code == 403, f"{method} {url}"
    assert counts() == before
    assert db.session.get(User, site.worker.id, populate_existing=True).active


def test_label_printing_is_for_supervisors_and_admins_not_workers(client, site, admin):
    sign_in(client, "wendy")
    assert client.get("/admin/labels/").status_code == 403
    sign_in(client, "sam")
    assert client.get("/admin/labels/").status_code == 200
    sign_in(client, "ada", ADMIN_PASSWORD)
    assert client.get("/admin/labels/").status_code == 200


def test_the_admin_index_links_every_admin_page(office):
    page = text(office.get("/admin/"))
    for href in (
        "/admin/items",
        "/admin/locations",
        "/admin/users",
        "/admin/receipts",
        "/admin/pick-lists",
        "/supervisor/count-tasks",
        "/admin/labels/",
        "/admin/audit",
        "/admin/import/items",
        "/admin/export/locations.csv",
    ):
        assert f'href="{href}"' in page


def test_a_form_posted_without_the_csrf_token_is_refused(office):
    response = office.post(
        "/admin/items/new", data={"sku": "X1", "description": "x"}, headers={"X-CSRFToken": ""}
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(Item).where(Item.sku == "X1")) is None


# --- items and bins ----------------------------------------------------------------------


def test_an_item_is_created_through_the_form(office):
    response = office.post(
        "/admin/items/new",
        data={
            "sku": "5001",
            "description": "Bolt",
            "uom": "ea",
            "inventory_type": "finished",
            "tracking": "none",
            "unit_cost": "0.10",
            "reorder_point": "5",
            "safety_stock": "",
            "barcodes": "96385074",
            "active": "yes",
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(sa.select(Item).where(Item.sku == "5001"))
    assert (item.uom, [b.code for b in item.barcodes]) == ("EA", ["00000096385074"])


def test_a_bad_gtin_re_renders_the_item_form_with_422_and_writes_nothing(office):
    before = counts()
    response = office.post(
        "/admin/items/new", data={"sku": "5001", "description": "Bolt", "barcodes": "96385075"}
    )
    assert response.status_code == 422
    assert "check digit is wrong" in text(response)
    assert 'value="Bolt"' in text(response)
    assert counts() == before


def test_a_duplicate_sku_re_renders_with_422(office):
    response = office.post("/admin/items/new", data={"sku": "1042", "description": "Again"})
    assert response.status_code == 422 and "already another item" in text(response)


def test_editing_an_item_through_the_form_shows_its_values_and_saves_them(office, site):
    page = text(office.get(f"/admin/items/{site.widget.id}"))
    assert "05012345678900;15012345678907*12" in page
    response = office.post(
        f"/admin/items/{site.widget.id}",
        data={"sku": "1042", "description": "Widget v2", "barcodes": "05012345678900"},
    )
    assert response.status_code == 302
    assert db.session.get(Item, site.widget.id, populate_existing=True).description == "Widget v2"


def test_an_items_putaway_zone_is_set_in_its_form_and_shown_in_the_list(office, site):
    form = {"sku": "1042", "description": "Widget"}
    response = office.post(f"/admin/items/{site.widget.id}", data={**form, "zone": "Q"})
    assert response.status_code == 422
    assert "No bin is in zone Q; name a zone the bins have, or leave it blank." in text(response)
    response = office.post(f"/admin/items/{site.widget.id}", data={**form, "zone": "A"})
    assert response.status_code == 302
    listed = text(office.get("/admin/items"))
    row = re.search(r"<tr[^>]*>\s*<td><a[^>]*>1042</a></td>.*?</tr>", listed, re.S).group(0)
    assert "<td>A</td>" in row


def test_an_items_putaway_zone_that_the_bins_no_longer_have_is_marked(office, site):
    office.post(f"/admin/items/{site.widget.id}", data={"sku": "1042", "zone": "A"})
    listed = text(office.get("/admin/items"))
    assert "no bin is in this zone" not in listed
    db.session.execute(sa.update(Location).values(zone="PICK"))  # zone A renamed PICK
    db.session.commit()
    listed = text(office.get("/admin/items"))
    row = re.search(r"<tr[^>]*>\s*<td><a[^>]*>1042</a></td>.*?</tr>", listed, re.S).group(0)
    assert "A <small class=\"error\">no bin is in this zone</small>" in row


def test_deactivating_an_item_through_the_list(office, site):
    office.post(f"/admin/items/{site.milk.id}/active", data={"active": "no"})
    assert db.session.get(Item, site.milk.id, populate_existing=True).active is False


def test_a_duplicate_bin_code_re_renders_the_bin_form_with_422(office):
    before = counts()
    response = office.post("/admin/locations/new", data={"code": "A-01-01-A", "kind": "storage"})
    assert response.status_code == 422 and "exists already" in text(response)
    assert counts() == before


def test_a_range_is_previewed_then_created_on_confirm(office):
    form = {"aisle": "C", "bay": "01-02", "level": "1-2", "position": "A", "kind": "storage"}
    preview = office.post("/admin/locations/range", data=form)
    assert preview.status_code == 200
    assert "C-02-2-A" in text(preview) and "Create 4 bins" in text(preview)
    assert counts()["Location"] == 6
    created = office.post("/admin/locations/range", data={**form, "confirm": "1"})
    assert created.status_code == 302
    assert counts()["Location"] == 10


def test_a_range_overlapping_existing_bins_is_shown_and_confirming_it_writes_nothing(office):
    form = {"aisle": "A", "bay": "01", "level": "01-03", "position": "A", "kind": "storage"}
    preview = office.post("/admin/locations/range", data=form)
    assert preview.status_code == 422 and "exist already" in text(preview)
    assert "Create" not in text(preview)
    before = counts()
    confirmed = office.post("/admin/locations/range", data={**form, "confirm": "1"})
    assert confirmed.status_code == 422
    assert counts() == before


# --- users -------------------------------------------------------------------------------


def test_a_user_is_created_and_can_sign_in_with_the_pin(app, office):
    response = office.post(
        "/admin/users/new",
        data={"username": "kim", "name": "Kim", "role": "worker", "pin": "5566", "badge": ""},
    )
    assert response.status_code == 302
    other = app.test_client()
    sign_in(other, "kim", "5566")


def test_a_user_with_a_bad_role_is_refused_with_422(office):
    response = office.post(
        "/admin/users/new", data={"username": "kim", "role": "boss", "pin": "5566"}
    )
    assert response.status_code == 422 and "Role must be one of" in text(response)


def test_deactivating_a_user_ends_their_session_at_once(app, office, site):
    wendy = app.test_client()
    sign_in(wendy, "wendy")
    assert wendy.get("/").status_code == 200
    response = office.post(f"/admin/users/{site.worker.id}/deactivate", data={"reason": "left"})
    assert response.status_code == 302
    after = wendy.get("/")
    assert after.status_code == 302 and "/signin" in after.headers["Location"]
    refused = wendy.post(
        "/signin", data={"username": "wendy", "pin": "1111", "csrf_token": csrf_token(wendy)}
    )
    assert refused.status_code == 403 and "switched off" in text(refused)



def test_switching_a_user_off_puts_their_work_back_on_the_floor(office, site):
    receive(site, "A-01-01-A", 5)
    make_list(site, "PL2001", [(site.widget, 2)])
    picking.take_next(site.worker)
    # A count of another bin to have a last counter for the recount's bin.
    db.session.add_all([
        CountTask(number="CT1", location_id=site.a1.id, assigned_to_id=site.worker.id),
        CountTask(number="RC2", location_id=site.a2.id, source="recount",
                  assigned_to_id=site.worker.id),
    ])
    db.session.commit()
    office.post(f"/admin/users/{site.worker.id}/deactivate", data={"reason": "left"})
    page = text(office.get("/admin/users"))
    assert ("User switched off and signed out. Their work is back on the floor: PL2001 back "
            "in the queue; CT1 for any worker; RC2 for Oscar Other.") in html.unescape(page)
    assert picking.under_way() == []
    tasks = dict(db.session.execute(sa.select(CountTask.number, CountTask.assigned_to_id)).all())
    assert tasks == {"CT1": None, "RC2": site.other.id}
    actions = db.session.scalars(
        sa.select(AuditEntry.action).order_by(AuditEntry.id)
    ).all()
    assert actions == ["deactivate", "hand_back", "give", "give"]


def test_a_recount_with_no_other_worker_left_stays_and_says_so(admin, site):
    db.session.add(CountTask(number="RC2", location_id=site.a2.id, source="recount",
                             assigned_to_id=site.worker.id))
    db.session.commit()
    assert masterdata.deactivate_user(admin, site.other.id) == []
    assert masterdata.deactivate_user(admin, site.worker.id) == [
        "RC2 still theirs (no other worker is active to recount it)"
    ]

def test_changing_a_role_takes_effect_at_the_users_next_request(app, office, site):
    sam = app.test_client()
    sign_in(sam, "sam")
    assert sam.get("/admin/").status_code == 403
    office.post(f"/admin/users/{site.boss.id}", data={"role": "admin"})
    assert sam.get("/admin/").status_code == 200


def test_resetting_a_pin_signs_the_user_out_and_the_new_pin_works(app, office, site):
    wendy = app.test_client()
    sign_in(wendy, "wendy")
    office.post(f"/admin/users/{site.worker.id}/pin", data={"pin": "8080"})
    assert wendy.get("/").status_code == 302
    sign_in(wendy, "wendy", "8080")


def _user_form(office, user_id) -> dict:
    """The details form of a user's page, as the admin's browser would send it back."""
    page = text(office.get(f"/admin/users/{user_id}"))
    form = page[page.index('id="user-form"'):]
    form = form[:form.index("</form>")]
    values = dict(re.findall(r'<input name="([a-z]+)" type="text" value="([^"]*)"', form))
    values["role"] = re.search(r'<option value="([a-z]+)" selected', form).group(1)
    values["seen"] = re.search(r'name="seen" value="([0-9a-f]+)"', form).group(1)
    return values


def test_a_lost_badge_is_replaced_and_only_the_new_one_signs_in(app, office, site):
    db.session.get(User, site.worker.id).badge = "W0001"
    db.session.commit()
    values = _user_form(office, site.worker.id)
    assert values["badge"] == "W0001" and values["name"] == "Wendy Worker"
    response = office.post(f"/admin/users/{site.worker.id}",
                           data={**values, "badge": " ]C0w0002 ", "name": "Wendy Wu"})
    assert response.status_code == 302
    assert "Saved." in text(office.get(response.headers["Location"]))
    wendy = db.session.get(User, site.worker.id, populate_existing=True)
    assert (wendy.badge, wendy.name, wendy.role.value) == ("W0002", "Wendy Wu", "worker")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "user")
                               .order_by(AuditEntry.id.desc())).first()
    assert (entry.before, entry.after) == ({"badge": "W0001", "name": "Wendy Worker"},
                                           {"badge": "W0002", "name": "Wendy Wu"})
    handheld = app.test_client()
    old = handheld.post("/signin/badge", data={
        "badge": "W0001", "pin": "1111", "csrf_token": csrf_token(handheld)})
    assert old.status_code != 302
    new = handheld.post("/signin/badge", data={
        "badge": "W0002", "pin": "1111", "csrf_token": csrf_token(handheld)})
    assert new.status_code == 302


def test_a_user_page_left_open_while_another_admin_saved_saves_nothing(office, site):
    stale = _user_form(office, site.worker.id)
    fresh = _user_form(office, site.worker.id)
    assert office.post(f"/admin/users/{site.worker.id}",
                       data={**fresh, "role": "supervisor"}).status_code == 302
    # The first admin still sees "worker" and means to change only the name.
    response = office.post(f"/admin/users/{site.worker.id}", data={**stale, "name": "W. Wu"})
    assert response.status_code == 422
    assert "changed by someone else since you opened it" in text(response)
    wendy = db.session.get(User, site.worker.id, populate_existing=True)
    assert (wendy.name, wendy.role.value) == ("Wendy Worker", "supervisor")
    assert 'value="supervisor" selected' in text(response)  # shown as it is now


@pytest.mark.parametrize("badge, said", [
    ("S0001", "Badge S0001 belongs to sam."),
    ("A0101A", "A0101A is the barcode of bin A-01-01-A; a badge needs a code of its own."),
    ("5012345678900", "5012345678900 is the barcode of item 1042"),
    ("W-1", "A badge code is 4-30 characters of 0-9 and A-Z."),
])
def test_a_badge_that_cannot_be_told_apart_is_refused(app, office, site, badge, said):
    db.session.get(User, site.boss.id).badge = "S0001"
    db.session.commit()
    values = _user_form(office, site.worker.id)
    response = office.post(f"/admin/users/{site.worker.id}", data={**values, "badge": badge})
    assert response.status_code == 422 and said in html.unescape(text(response))
    assert db.session.get(User, site.worker.id, populate_existing=True).badge is None
    created = office.post("/admin/users/new", data={
        "username": "kim", "role": "worker", "pin": "5566", "badge": badge})
    assert created.status_code == 422 and said in html.unescape(text(created))


def test_an_admin_cannot_change_their_own_role_on_their_page(office, admin):
    values = _user_form(office, admin.id)
    response = office.post(f"/admin/users/{admin.id}", data={**values, "role": "worker"})
    assert response.status_code == 422 and "cannot change your own role" in text(response)
    assert db.session.get(User, admin.id, populate_existing=True).role.value == "admin"


def test_a_user_switched_off_by_mistake_is_switched_back_on(app, office, site):
    office.post(f"/admin/users/{site.worker.id}/deactivate", data={"reason": "wrong row"})
    page = text(office.get(f"/admin/users/{site.worker.id}"))
    assert "Switch back on" in page and "Switch off and sign out now" not in page
    response = office.post(f"/admin/users/{site.worker.id}/activate")
    assert response.status_code == 302
    assert "Switched back on" in text(office.get(response.headers["Location"]))
    wendy = app.test_client()
    sign_in(wendy, "wendy")
    assert wendy.get("/").status_code == 200
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.entity == "user", AuditEntry.entity_id == site.worker.id)
        .order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["deactivate", "activate"]


# --- documents and counts ------------------------------------------------------------------


def test_a_receipt_is_created_and_edited_through_the_form(office):
    office.post(
        "/admin/receipts/new",
        data={"number": "PO7", "supplier": "Acme", "expected_on": "2026-12-01", "lines": "1042 5"},
    )
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.number == "PO7"))
    page = text(office.get(f"/admin/receipts/{receipt.id}"))
    assert "1042 5" in page
    office.post(
        f"/admin/receipts/{receipt.id}",
        data={"number": "PO7", "supplier": "Acme", "lines": "1042 6\n3001 1"},
    )
    receipt = db.session.get(Receipt, receipt.id, populate_existing=True)
    assert [(line.item.sku, line.expected_qty) for line in receipt.lines] == [
        ("1042", 6),
        ("3001", 1),
    ]


def test_a_pick_list_with_a_bad_line_is_refused_with_422(office):
    response = office.post("/admin/pick-lists/new", data={"number": "PL7", "lines": "1042 zero"})
    assert response.status_code == 422 and "Line 1" in text(response)
    assert counts()["PickList"] == 0



# --- CSV ---------------------------------------------------------------------------------

GOOD_ITEMS = "sku,description,barcodes\n7001,Nut,96385074\n1042,Widget renamed,\n"
BAD_ITEMS = "sku,description,barcodes\n7001,Nut,96385074\n7002,Washer,96385075\n"


def test_an_items_csv_is_previewed_then_imported_on_confirm(office):
    preview = upload(office, "items", GOOD_ITEMS)
    assert preview.status_code == 200
    assert "1 to create, 1 to update" in text(preview)
    assert counts()["Item"] == 3  # a preview writes nothing
    confirmed = office.post("/admin/import/items/confirm", data={"text": GOOD_ITEMS})
    assert confirmed.status_code == 302
    assert counts()["Item"] == 4
    widget = db.session.scalar(sa.select(Item).where(Item.sku == "1042"))
    assert widget.description == "Widget renamed" and widget.barcodes == []


def test_a_bad_items_csv_shows_its_row_errors_and_confirming_it_writes_nothing(office):
    preview = upload(office, "items", BAD_ITEMS)
    assert preview.status_code == 422
    assert "Row 3, barcodes" in text(preview) and "Import all" not in text(preview)
    before = counts()
    confirmed = office.post("/admin/import/items/confirm", data={"text": BAD_ITEMS})
    assert confirmed.status_code == 422
    assert counts() == before


def test_a_bins_csv_is_imported_through_the_ui(office):
    csv_text = "warehouse,code,kind,zone\nWH1,D-01-01-A,pick,D\nWH1,A-01-01-A,storage,A\n"
    assert "1 to create" in text(upload(office, "locations", csv_text))
    office.post("/admin/import/locations/confirm", data={"text": csv_text})
    assert counts()["Location"] == 7


def test_a_receipts_csv_makes_one_receipt_per_number(office):
    csv_text = (
        "number,supplier,expected_on,sku,qty\n"
        "PO1,Acme,2026-12-01,1042,10\nPO1,Acme,2026-12-01,2001,4\nPO2,Bolt Co,,3001,1\n"
    )
    preview = upload(office, "receipts", csv_text)
    assert preview.status_code == 200 and "2 to create" in text(preview)
    office.post("/admin/import/receipts/confirm", data={"text": csv_text})
    po1 = db.session.scalar(sa.select(Receipt).where(Receipt.number == "PO1"))
    assert [(line.item.sku, line.expected_qty) for line in po1.lines] == [("1042", 10), ("2001", 4)]
    exported = text(office.get("/admin/export/receipts.csv"))
    assert exported.splitlines()[0] == "number,warehouse,supplier,expected_on,sku,qty"
    assert "PO1,WH1,Acme,2026-12-01,2001,4" in exported


def test_a_pick_lists_csv_with_one_unknown_sku_writes_no_pick_list(office):
    csv_text = "number,sku,qty\nPL1,1042,2\nPL2,9999,1\n"
    preview = upload(office, "pick-lists", csv_text)
    assert preview.status_code == 422 and "no active item 9999" in text(preview)
    office.post("/admin/import/pick-lists/confirm", data={"text": csv_text})
    assert counts()["PickList"] == 0


def test_a_file_that_is_not_utf8_is_refused_by_the_preview(office):
    data = {"file": (io.BytesIO("sku\n\xe9\n".encode("latin-1")), "x.csv")}
    response = office.post("/admin/import/items", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "not UTF-8" in text(response)


def test_a_utf16_file_without_its_byte_order_mark_is_refused_by_the_preview(office):
    # It reads as UTF-8 with a NUL in every other place, which PostgreSQL refuses in text.
    csv = "sku,description\n5001,Bolt\n".encode("utf-16-le")
    data = {"file": (io.BytesIO(csv), "x.csv")}
    response = office.post("/admin/import/items", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "NUL characters (UTF-16?)" in text(response)


@pytest.mark.parametrize(
    "method, url, data",
    [  # numbers past a database integer, and digits that are not ASCII ("²".isdigit())
        ("get", "/admin/items/99999999999999999999", None),
        ("post", "/admin/users/99999999999999999999/deactivate", {}),
        ("post", "/supervisor/counts/99999999999999999999/approve", {}),
        ("post", "/supervisor/counts/approve", {"line": ["99999999999999999999", "²"]}),
        ("get", "/admin/audit?before=99999999999999999999", None),
        ("get", "/reports/movements?before=99999999999999999999&after=²", None),
        ("get", "/reports/expiring?days=²", None),
        ("get", "/admin/labels/location/1?copies=²", None),
        ("get", "/admin/labels/location/1.svg?dpi=²", None),
    ],
)
def test_ids_and_numbers_no_row_can_have_are_answered_not_failed(office, method, url, data):
    response = getattr(office, method)(url, data=data)
    assert response.status_code in (200, 400, 404, 422), response.status
    assert "/labels/" not in url or response.status_code != 404  # a real page was asked


def test_items_are_exported_in_the_import_format(office):
    exported = text(office.get("/admin/export/items.csv"))
    assert exported.startswith("sku,description,uom,")
    assert "1042,Item 1042" in exported


# --- a page left open while someone else saved -------------------------------------------

def form_values(page: str) -> dict:
    """What the page's edit form would send as it stands: its inputs' values (a checkbox
    only when ticked), each select's chosen option, the textarea's text."""
    form = page[page.index('class="admin-form"'):]
    form = form[: form.index("</form>")]
    values = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            values[name[1]] = html.unescape(value[1] if value else "")
    for name, body in re.findall(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen[1] if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form,
                                 re.S):
        values[name] = html.unescape(body)
    return values


@pytest.mark.parametrize(
    "url, field, theirs, mine",
    [
        ("/admin/items/{widget}", "description", "Widget, blue", "Widget, red"),
        ("/admin/locations/{a1}", "zone", "B", "C"),
        ("/admin/receipts/{po}", "supplier", "Acme Ltd", "Acme plc"),
    ],
)
def test_an_edit_page_left_open_while_another_saved_refuses_and_shows_theirs(
    office, site, url, field, theirs, mine
):
    po = Receipt(number="PO5", warehouse_id=site.warehouse.id, supplier="Acme")
    po.lines = [ReceiptLine(item_id=site.widget.id, expected_qty=5)]
    db.session.add(po)
    db.session.commit()
    url = url.format(widget=site.widget.id, a1=site.a1.id, po=po.id)
    left_open = form_values(text(office.get(url)))
    meanwhile = form_values(text(office.get(url)))  # another tab, another supervisor
    assert office.post(url, data={**meanwhile, field: theirs}).status_code == 302
    refused = office.post(url, data={**left_open, field: mine})
    assert refused.status_code == 422
    assert "changed by someone else since you opened it" in text(refused)
    assert f'value="{theirs}"' in text(refused)  # the form now shows what they saved
    again = office.post(url, data={**form_values(text(refused)), field: mine})
    assert again.status_code == 302  # made again on what is there now, it is saved


def test_a_receipt_started_since_its_edit_page_was_opened_says_it_cannot_change(office, site):
    po = Receipt(number="PO6", warehouse_id=site.warehouse.id, supplier="Acme")
    po.lines = [ReceiptLine(item_id=site.widget.id, expected_qty=5)]
    db.session.add(po)
    db.session.commit()
    left_open = form_values(text(office.get(f"/admin/receipts/{po.id}")))
    receipts.receive_on_receipt(site.worker, "PO6", to_bin="DOCK-1", sku="1042", qty=1,
                                key=uuid.uuid4().hex)  # a worker starts unloading
    refused = office.post(f"/admin/receipts/{po.id}", data={**left_open, "supplier": "Other"})
    assert refused.status_code == 422
    assert "PO6 has been started on the floor; it cannot change." in text(refused)
