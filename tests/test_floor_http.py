"""The floor screens over HTTP, on both databases: pages, fragments, refusals, resends."""

import html
import re
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import sign_in
from tests.helpers import make_list
from webapp import picking, stock
from webapp.db import db
from webapp.models import (
    CountTask,
    Location,
    LocationKind,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    StockMovement,
)

HIDDEN = re.compile(r'<input type="hidden" name="s_([a-z_]+)" value="([^"]*)">')
SCAN_QUEUE = {"HX-Request": "true", "HX-Target": "step"}


def page_state(page: str) -> dict[str, str]:
    """The step's hidden state, as a browser reads the fields' values (unescaped)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


class Scanner:
    """Posts to a floor screen as scan.js does: the page's hidden state plus one scan."""

    def __init__(self, client, url):
        self.client, self.url, self.state = client, url, {}

    def __call__(self, scan="", action="", key=None, js=True, **fields):
        data = {f"s_{k}": v for k, v in self.state.items()}
        data.update(scan=scan, action=action, key=key or uuid.uuid4().hex, device="gun-7",
                    **fields)
        response = self.client.post(self.url, data=data, headers=SCAN_QUEUE if js else {})
        self.state = page_state(response.get_data(as_text=True))
        return response


def text(response) -> str:
    return response.get_data(as_text=True)


def reads(response) -> str:
    """What the worker reads: the answer's text without its tags."""
    return re.sub(r"<[^>]+>", "", text(response))


@pytest.fixture
def po(site):
    receipt = Receipt(number="PO1001", warehouse_id=site.warehouse.id, supplier="Acme")
    receipt.lines = [ReceiptLine(item_id=site.widget.id, expected_qty=24)]
    db.session.add(receipt)
    db.session.commit()
    return receipt


def movements():
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


@pytest.mark.parametrize("url", ["/receive", "/move", "/pick", "/count"])
def test_each_floor_screen_is_a_whole_page_with_one_scan_input(signed_in_client, url):
    response = signed_in_client.get(url)
    page = text(response)
    assert response.status_code == 200
    assert page.count('id="scan"') == 1 and 'id="step"' in page
    assert "htmx-2.0.11.min.js" in page and "scan.js" in page
    assert page.index('id="scan"') < page.index('id="step"')  # the input is not swapped


def test_the_floor_needs_a_signed_in_user(client, site):
    response = client.get("/receive")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert movements() == 0


def test_a_scan_step_returns_only_a_small_fragment(signed_in_client, po):
    scan = Scanner(signed_in_client, "/receive")
    response = scan("PO1001")
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="step"') and "<html" not in body
    assert len(response.data) < 4096
    assert "HX-Target" in response.headers["Vary"]
    assert "Scan the item" in body


def test_a_refusal_is_a_422_with_the_message_and_writes_nothing(signed_in_client, po):
    scan = Scanner(signed_in_client, "/receive")
    response = scan("DOCK1")
    assert response.status_code == 422
    assert "That is bin DOCK-1; scan a receipt, or choose one below." in reads(response)
    assert 'data-status="error"' in text(response) and movements() == 0


@pytest.mark.parametrize(
    "typed, said",
    [
        ("9" * 5000, "far too long for a quantity"),  # a 2D code read into the field
        ("1.000", "“1.000” is not a quantity"),  # one unit, or a thousand?
        ("0", "Quantity must be at least 1"),
    ],
)
def test_a_bad_typed_quantity_is_refused_in_words(signed_in_client, site, typed, said):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    scan = Scanner(signed_in_client, "/move")
    scan("A0101A")
    scan("5012345678900")
    response = scan(action="qty", qty=typed)
    assert response.status_code == 422 and said in reads(response)
    assert scan.state["qty"] != typed and movements() == 1


@pytest.mark.parametrize(
    "url, state, said",
    [
        # Hidden state this version would not write: a page left open across an upgrade.
        ("/receive", {"blind": "1", "sku": "1042"}, "out of date"),
        ("/move", {"from": "A-01-01-A", "sku": "1042", "qty": "two"}, "“two” is not a quantity"),
        # A document the page names is gone (or the page was edited).
        ("/pick", {"list": "PL404"}, "There is no pick list PL404; press Take next."),
        ("/count", {"task": "CT404"}, "There is no count task CT404"),
    ],
)
def test_a_page_with_state_it_cannot_use_starts_again_in_words(
    signed_in_client, site, url, state, said
):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    scan = Scanner(signed_in_client, url)
    scan.state = state
    response = scan("A0102A")
    assert response.status_code == 422 and said in reads(response)
    assert movements() == 1
    assert scan.state == ({} if url != "/move" else state)  # the worker can type a quantity


def test_a_count_the_handheld_kept_is_carried_on_where_it_was_left(signed_in_client, site):
    # scan.js keeps the step's state on the device and sends it back with "resume" when
    # the screen opens again (a reload, a look-up on the way, a sign-in after an idle
    # sign-out): the worker's count is not lost with the page.
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    db.session.add(CountTask(number="CT1", location_id=site.a1.id))
    db.session.commit()
    count = Scanner(signed_in_client, "/count")
    count("CT1")
    count("A0101A")
    count("5012345678900")
    kept = dict(count.state)
    again = Scanner(signed_in_client, "/count")
    assert "Counted so far" not in reads(signed_in_client.get("/count"))
    again.state = kept
    said = reads(again(action="resume"))
    assert "Carried on where you left off." in said and "Counted so far" in said
    assert "1042 Item 1042" in said  # named as on the shelf
    assert again.state == kept
    again(action="qty", qty="5")  # the item scanned before the page was left, set to 5
    assert "Counted A-01-01-A: it matches." in reads(again(action="done"))


def test_the_undo_a_handheld_kept_is_offered_again_naming_its_movement(signed_in_client, site):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    move = Scanner(signed_in_client, "/move")
    move("A0101A")
    move("5012345678900")
    page = text(move("A0102A"))
    undo = re.search(r'name="undo" value="(\d+)"', page).group(1)
    again = Scanner(signed_in_client, "/move")
    said = reads(again(action="resume", undo=undo))
    assert "Carried on where you left off. Last recorded: 1 × 1042 from A-01-01-A to " \
        "A-01-02-A." in said
    assert f'name="undo" value="{undo}"' in text(again(action="resume", undo=undo))
    assert "Undone: 1 × 1042 from A-01-02-A to A-01-01-A." in reads(
        again(action="undo", undo=undo))
    assert stock.on_hand("1042", "A-01-01-A") == 5
    answer = again(action="resume", undo=undo)  # undone since: nothing to offer, no news
    assert "Carried on" not in reads(answer) and 'name="undo"' not in text(answer)


def test_a_kept_step_that_no_longer_holds_opens_the_screen_afresh(signed_in_client, site):
    db.session.add(CountTask(number="CT1", location_id=site.a1.id))
    db.session.commit()
    count = Scanner(signed_in_client, "/count")
    count.state = {"task": "CT1", "bin": "A-01-01-A", "counts": "[[\"1042\", \"\", 2]]"}
    db.session.execute(sa.update(CountTask).values(status="cancelled"))
    db.session.commit()
    answer = count(action="resume")  # cancelled by a supervisor meanwhile
    assert answer.status_code == 200 and "Scan a count task or its bin" in reads(answer)
    assert "Carried on" not in reads(answer) and count.state == {}
    count.state = {"task": "CT1", "counts": "not what a page writes"}
    answer = count(action="resume")
    assert answer.status_code == 200 and count.state == {}


def test_a_nul_character_in_a_scan_or_the_page_is_dropped(signed_in_client, site):
    # PostgreSQL refuses NUL in text; no page of ours sends one, a fuzzer or a bad
    # scanner configuration might.
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    scan = Scanner(signed_in_client, "/move")
    scan.state = {"from": "A-01-\x0001-A", "sku": "10\x0042", "qty": "1"}
    assert "Moved: 1 × 1042" in reads(scan("A01\x0002A"))


def test_a_badge_scanned_on_a_floor_screen_says_who_is_signed_in_and_how_to_switch(
    signed_in_client, site
):
    """A shift change on a shared handheld: the next worker scans their badge. Carrying on
    under the name shown would record their scans as the last worker's."""
    site.worker.badge, site.other.badge = "B0001", "B0002"
    db.session.commit()
    scan = Scanner(signed_in_client, "/move")
    assert (
        "That is Oscar Other's badge, and Wendy Worker is signed in here: sign out (top "
        "right), then scan it to sign in."
    ) in html.unescape(reads(scan("B0002")))
    assert "That is your badge; scan the bin to move from." in reads(scan("B0001"))


def test_a_message_keeps_each_code_on_one_line_and_shows_a_scan_as_plain_text(
    signed_in_client, po
):
    def band(response) -> str:
        return re.search(r'role="alert">(.*?)</p>', text(response)).group(1)

    scan = Scanner(signed_in_client, "/receive")
    assert band(scan("DOCK1")).startswith('That is bin <span class="code">DOCK-1</span>; scan')
    assert band(scan("<b>A-1</b>")) == (
        'Unknown barcode “&lt;b&gt;<span class="code">A-1</span>&lt;/b&gt;”; '
        "scan a receipt, or choose one below."
    )


def test_receiving_over_http_posts_to_the_ledger_with_user_and_device(signed_in_client, site, po):
    scan = Scanner(signed_in_client, "/receive")
    scan("PO1001")
    scan("5012345678900")
    response = scan("DOCK1")
    assert "Received: 1 × 1042 into DOCK-1." in reads(response)
    m = db.session.scalar(sa.select(StockMovement))
    assert (m.user_id, m.device_id, m.reference) == (site.worker.id, "gun-7", "PO1001")


def test_a_double_submit_posts_once(signed_in_client, site, po):
    scan = Scanner(signed_in_client, "/receive")
    scan("PO1001")
    scan("5012345678900")
    state, key = dict(scan.state), uuid.uuid4().hex
    scan("DOCK1", key=key)
    scan.state = state
    assert "Already recorded: 1 × 1042 into DOCK-1." in reads(scan("DOCK1", key=key))
    assert movements() == 1 and stock.on_hand("1042", "DOCK-1") == 1


def test_without_javascript_a_plain_post_gets_the_whole_page(signed_in_client, po):
    scan = Scanner(signed_in_client, "/receive")
    response = scan("PO1001", js=False)
    assert response.status_code == 200 and "<html" in text(response)
    assert scan.state == {"receipt": "PO1001"}
    response = scan("", js=False, qty="")
    assert "Scan the item" in text(response)


def test_a_post_without_the_csrf_token_is_refused(signed_in_client, po):
    response = signed_in_client.post(
        "/receive", data={"scan": "PO1001", "key": uuid.uuid4().hex},
        headers={"X-CSRFToken": ""},
    )
    assert response.status_code in (400, 403)


def test_moving_picking_and_counting_over_http(signed_in_client, site):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    move = Scanner(signed_in_client, "/move")
    move("A0101A")
    move("5012345678900")
    assert "Moved: 1 × 1042 from A-01-01-A to A-01-02-A." in reads(move("A0102A"))

    pick_list = PickList(number="PL2001", warehouse_id=site.warehouse.id)
    pick_list.lines = [PickLine(item_id=site.widget.id, ordered_qty=2)]
    db.session.add(pick_list)
    db.session.commit()
    pick = Scanner(signed_in_client, "/pick")
    assert "Go to A-01-01-A, scan the bin" in reads(pick(action="take"))
    pick("A0101A")
    pick("5012345678900")
    assert "Picked: 2 × 1042 from A-01-01-A to SHIP-1." in reads(pick("5012345678900"))

    count = Scanner(signed_in_client, "/count")
    assert count("A0101A").status_code == 422  # no count task for that bin
    assert stock.on_hand("1042", "SHIP-1") == 2


def test_the_putaway_list_names_the_dock_each_line_waits_on(signed_in_client, site):
    # The worker scans the dock first: the list tells a newcomer its code.
    db.session.add(Location(warehouse_id=site.warehouse.id, code="DOCK-2", barcode="DOCK2",
                            kind=LocationKind.DOCK))
    db.session.commit()
    for dock, qty in (("DOCK-2", 4), ("DOCK-1", 6)):
        stock.receive(site.worker, to_bin=dock, sku="1042", qty=qty, key=uuid.uuid4().hex)
    page = reads(signed_in_client.get("/putaway"))
    assert re.search(r"On DOCK-1.*1042 Item 1042\s*6\s*A-01-01-A.*"
                     r"On DOCK-2.*1042 Item 1042\s*4\s*A-01-01-A", page, re.S), page
    # Each dock's lines are put away from there, the dock already chosen.
    html = text(signed_in_client.get("/putaway"))
    assert re.findall(r'href="(/move\?s_from=[^"]+)">Put away from (DOCK-\d)', html) == [
        ("/move?s_from=DOCK-1", "DOCK-1"), ("/move?s_from=DOCK-2", "DOCK-2")]
    opened = reads(signed_in_client.get("/move?s_from=DOCK-2"))
    assert "Scan the item" in opened and re.search(r"From\s*DOCK-2", opened), opened
    # A link gone stale (the dock taken out of use, say) opens the screen afresh, saying why.
    stale = signed_in_client.get("/move?s_from=NOPE")
    assert stale.status_code == 422
    said = reads(stale)
    assert "There is no bin “NOPE”." in said and "Scan the bin to move from" in said, said


def test_the_pick_screen_opened_again_leads_back_into_the_list_the_worker_holds(
    signed_in_client, site
):
    # A handheld that died mid-list: the worker signs in on another and opens Pick.
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    make_list(site, "PL2001", [(site.widget, 2)])
    make_list(site, "PL2002", [(site.widget, 1)])
    fresh = reads(signed_in_client.get("/pick"))
    assert "Take the next pick list" in fresh and "2 pick lists waiting" in fresh
    picking.take_next(site.worker)
    page = signed_in_client.get("/pick")
    assert 'name="s_list" value="PL2001"' in text(page)
    said = reads(page)
    assert "Carrying on with PL2001." in said and "Go to A-01-01-A, scan the bin" in said



def test_leaving_a_step_is_a_quiet_button_beside_the_next_step(signed_in_client, po):
    # Cancel is never what the worker does next: it must not look like the way on.
    receive = Scanner(signed_in_client, "/receive")
    receive("PO1001")
    page = text(receive("5012345678900"))
    assert '<button name="action" value="cancel" class="secondary">Cancel item</button>' in page
    receive("DOCK1")
    assert '<button name="action" value="close">Close receipt</button>' in text(receive())


def test_a_picker_hands_back_their_list_from_the_pick_screen(signed_in_client, site):
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    make_list(site, "PL2001", [(site.widget, 2)])
    pick = Scanner(signed_in_client, "/pick")
    page = pick(action="take")
    assert ('<button name="action" value="release" class="secondary">Hand back list</button>'
            in text(page))
    assert "Press Hand back list again to confirm." in reads(pick(action="release"))
    said = reads(pick(action="release"))
    assert "PL2001 is back in the queue" in said and "1 pick list waiting" in said
    assert picking.under_way() == []

def test_the_count_list_marks_a_bin_held_from_picking_and_another_workers_task(
    signed_in_client, site
):
    db.session.add_all([
        CountTask(number="CT2", location_id=site.a2.id, source="recount",
                  assigned_to_id=site.other.id),
        CountTask(number="CT3", location_id=site.b1.id, source="short_pick", holds_picking=True),
    ])
    db.session.commit()
    said = " ".join(reads(signed_in_client.get("/count")).split())
    assert "B-01-01-A CT3 short pick · picking waits for this count" in said
    assert "A-01-02-A CT2 recount · for Oscar Other" in said



def test_the_count_list_shows_the_workers_own_tasks_first_then_anyones_then_others(
    signed_in_client, site
):
    # Wendy's recount is last in walking order, behind more tasks than the list shows.
    db.session.add_all([
        CountTask(number=f"CC{n}", location_id=site.a1.id, source="cycle") for n in range(60)
    ] + [
        CountTask(number="RC1", location_id=site.b1.id, source="recount",
                  assigned_to_id=site.worker.id),
        CountTask(number="RC2", location_id=site.a2.id, source="recount",
                  assigned_to_id=site.other.id),
    ])
    db.session.commit()
    said = " ".join(reads(signed_in_client.get("/count")).split())
    assert said.index("B-01-01-A RC1 recount · for you") < said.index("A-01-01-A CC0 cycle")
    assert said.index("CC0 cycle") < said.index("A-01-02-A RC2 recount · for Oscar Other")

def test_a_scan_of_what_the_step_asks_for_runs_few_statements(signed_in_client, site):
    # The statement budget of the scan path (benchmarked in bench/scan_bench.py): a worker
    # scanning what the screen asks for must not pay for searches or re-reads.
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    stock.move(site.worker, from_bin="A-01-01-A", to_bin="A-01-02-A", sku="1042", qty=1,
               key=uuid.uuid4().hex)  # both balance rows exist, as on a working floor
    seen = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda _conn, _cur, sql, *_a: seen.append(sql.split()[0]))
    move = Scanner(signed_in_client, "/move")
    steps = {}
    # The item as a handheld set to send AIM identifiers reads it: ]E0 then the EAN-13.
    for name, scan in (("bin", "A0101A"), ("item", "]E05012345678900"), ("post", "A0102A")):
        seen.clear()
        assert move(scan).status_code == 200
        steps[name] = list(seen)
    assert stock.on_hand("1042", "A-01-02-A") == 2
    if db.engine.dialect.name == "postgresql":
        # Reads run outside a transaction: no BEGIN, and no ROLLBACK at the end.
        # The user; the bin, found and loaded at once; what the bin holds.
        assert steps["bin"] == ["SELECT"] * 3
        # The user; then in one transaction the bins and the item, the movement and the
        # two balances (the driver sends the COMMIT).
        assert steps["post"] == ["SELECT", "BEGIN", "SELECT", "INSERT", "UPDATE", "UPDATE"]
    else:
        # SQLite's transactions are local calls, not round trips: only statements count.
        statements = {name: [sql for sql in seen if sql not in ("BEGIN", "COMMIT")]
                      for name, seen in steps.items()}
        assert statements["bin"] == ["SELECT"] * 3
        assert statements["post"] == ["SELECT"] * 2 + ["INSERT", "UPDATE", "UPDATE"]
    # The user; the item, found and loaded at once; the bin; what it holds.
    assert [sql for sql in steps["item"] if sql not in ("BEGIN", "COMMIT")] == ["SELECT"] * 4


def test_an_item_scan_at_a_pick_line_runs_few_statements(signed_in_client, site):
    # The floor's most frequent scan: the line's own barcode is matched in memory against
    # the barcodes that came with the list, so the scan itself costs no query.
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    pick_list = PickList(number="PL3001", warehouse_id=site.warehouse.id)
    pick_list.lines = [PickLine(item_id=site.widget.id, ordered_qty=3)]
    db.session.add(pick_list)
    db.session.commit()
    pick = Scanner(signed_in_client, "/pick")
    pick(action="take")
    pick("A0101A")
    seen = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda _conn, _cur, sql, *_a: seen.append(sql.split()[0]))
    assert "1 of 3." in text(pick("]E05012345678900"))
    assert "2 of 3." in text(pick("5012345678900"))  # the same, sent without AIM prefix
    # Per scan: the user; the list, its lines, items and barcodes; what has been picked;
    # where the stock is.
    assert [sql for sql in seen if sql not in ("BEGIN", "COMMIT")] == ["SELECT"] * 8
    assert "Wrong item" in text(pick("4006381333931"))  # another item: looked up, named


def test_a_posting_refused_after_its_movement_was_written_leaves_nothing(
    signed_in_client, site
):
    # The ledger writes the movement row, then takes the units with a conditional UPDATE.
    # When another worker took them in between (here: the page's quantity is stale), the
    # refusal must roll the movement back, over HTTP too, where reads run outside a
    # transaction on PostgreSQL and only the write opens one.
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=2, key=uuid.uuid4().hex)
    before = movements()
    move = Scanner(signed_in_client, "/move")
    move.state = {"from": "A-01-01-A", "sku": "1042", "qty": "3"}
    response = move("A0102A")
    assert response.status_code == 422
    assert "holds 2 of 1042; you tried to take 3." in text(response)
    assert movements() == before
    assert stock.on_hand("1042", "A-01-01-A") == 2 and stock.on_hand("1042", "A-01-02-A") == 0


def test_two_workers_asking_for_the_next_list_get_different_lists(app, site):
    for number in ("PL2001", "PL2002"):
        pick_list = PickList(number=number, warehouse_id=site.warehouse.id)
        pick_list.lines = [PickLine(item_id=site.widget.id, ordered_qty=1)]
        db.session.add(pick_list)
    db.session.commit()
    stock.receive(site.worker, to_bin="A-01-01-A", sku="1042", qty=5, key=uuid.uuid4().hex)
    wendy, oscar = app.test_client(), app.test_client()
    sign_in(wendy, "wendy")
    sign_in(oscar, "oscar")
    first = Scanner(wendy, "/pick")
    second = Scanner(oscar, "/pick")
    first(action="take")
    second(action="take")
    assert {first.state["list"], second.state["list"]} == {"PL2001", "PL2002"}


def test_the_start_page_shows_the_office_only_to_supervisors(app, client, site):
    sign_in(client, "wendy")
    page = text(client.get("/"))
    assert "Receive" in page and "Count variances" not in page
    assert re.search(r"\d+ bins, \d+ items\.", page)  # the counts, not a method's repr
    sign_in(client, "sam")
    page = text(client.get("/"))
    assert "Count variances" in page and "/supervisor/counts" in page



def test_the_start_page_tells_a_worker_of_the_work_that_is_theirs(client, site):
    db.session.add_all([
        CountTask(number="RC1", location_id=site.a1.id, assigned_to_id=site.worker.id),
        CountTask(number="CT2", location_id=site.a2.id),
    ])
    db.session.commit()
    make_list(site, "PL2001", [(site.widget, 1)])
    picking.take_next(site.worker)
    sign_in(client, "wendy")
    page = " ".join(reads(client.get("/")).split())
    assert "2 Count open count tasks, 1 for you" in page
    # The tile counts the lists there are to take, as the pick screen does: not hers.
    make_list(site, "PL2002", [(site.widget, 1)])
    page = " ".join(reads(client.get("/")).split())
    assert "1 Pick pick lists waiting, you hold PL2001" in page
    sign_in(client, "oscar")
    page = " ".join(reads(client.get("/")).split())
    assert "1 Pick pick lists waiting 2 Count" in page
    assert "2 Count open count tasks Look up" in page and "you hold" not in page


def test_static_files_and_pages_are_compressed_but_scan_fragments_are_not(signed_in_client, po):
    import gzip
    from pathlib import Path

    htmx = signed_in_client.get("/static/vendor/htmx-2.0.11.min.js",
                                headers={"Accept-Encoding": "gzip"})
    assert htmx.headers["Content-Encoding"] == "gzip"
    on_disk = (Path(__file__).parent.parent / "static/vendor/htmx-2.0.11.min.js").read_bytes()
    assert gzip.decompress(htmx.data) == on_disk and len(htmx.data) < len(on_disk) / 2
    htmx.close()
    step = signed_in_client.post(
        "/receive", data={"scan": "PO1001", "key": uuid.uuid4().hex},
        headers={**SCAN_QUEUE, "Accept-Encoding": "gzip"},
    )
    assert "Content-Encoding" not in step.headers and b"Scan the item" in step.data


def test_an_item_scan_on_a_receipt_runs_few_statements(signed_in_client, site, po):
    receive = Scanner(signed_in_client, "/receive")
    receive("PO1001")
    seen = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda _conn, _cur, sql, *_a: seen.append(sql.split()[0]))
    assert "1042 Item 1042: 1." in text(receive("5012345678900"))
    first, seen[:] = list(seen), []
    assert "2 of 1042." in text(receive("5012345678900"))
    # The user; the scan, found and loaded at once; the receipt with its lines, read once
    # for both the "not on this receipt" check and the progress table; what it has had; the
    # dock's code, shown for where the item goes.
    assert [sql for sql in first if sql not in ("BEGIN", "COMMIT")] == ["SELECT"] * 5
    # The user; the step's item with its barcodes, read once, and the scan matched against
    # them in memory; the receipt; what it has had; the dock.
    assert [sql for sql in seen if sql not in ("BEGIN", "COMMIT")] == ["SELECT"] * 5
