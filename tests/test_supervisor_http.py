"""The supervisor's count-variance desk over HTTP: page and fragment, decisions, refusals,
and who may use it. On both databases."""

import re
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import sign_in
from tests.helpers import make_list
from tests.test_approvals import adjustments, count, line_of, pick, receive
from webapp import picking, stock
from webapp.db import db
from webapp.models import AuditEntry, CountStatus, CountTask, DocStatus, Location, PickList

HTMX = {"HX-Request": "true", "HX-Target": "queue"}
QUEUE = "/supervisor/counts"


@pytest.fixture
def counted(site):
    """13 of 1042 in A-01-01-A, counted 11 by wendy: a variance of -2 (-5.00)."""
    receive(site, "A-01-01-A", 13)
    site.task = count(site, "A-01-01-A", {("1042", ""): 11})
    site.line_id = line_of(site.task).id
    return site


@pytest.fixture
def boss(client, counted):
    sign_in(client, "sam")
    return client


def test_the_queue_page_shows_each_variance_with_its_value_and_who_counted(boss, counted):
    response = boss.get(QUEUE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "HX-Request" in response.headers["Vary"]
    assert 'href="/static/supervisor.css"' in html
    row = html[html.index(f'id="line-{counted.line_id}"') :]
    for shown in ("A-01-01-A", "1042", ">13<", ">11<", ">-2<", "-5.00", "Wendy Worker"):
        assert shown in row
    assert 'id="zone"' in html and '<option value="A">A</option>' in html


def test_the_zone_filter_answers_htmx_with_the_queue_fragment_alone(boss, counted):
    response = boss.get(QUEUE, query_string={"zone": "B"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="queue"')
    assert "<html" not in html and "No variances are waiting in zone B." in html
    assert "A-01-01-A" in boss.get(QUEUE, query_string={"zone": "A"}, headers=HTMX).text


def test_the_pages_carry_no_inline_script_or_style(boss, counted):
    html = boss.get(QUEUE).get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_approving_over_htmx_posts_the_difference_and_says_stock_moved(boss, counted):
    pick(counted, 5)
    response = boss.post(
        f"/supervisor/counts/{counted.line_id}/approve", data={"zone": "A"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Stock moved since the count: applying the counted difference of -2." in html
    assert "No variances are waiting in zone A." in html
    assert stock.on_hand("1042", "A-01-01-A") == 6
    # A double click, or the request sent again: one adjustment.
    again = boss.post(f"/supervisor/counts/{counted.line_id}/approve", headers=HTMX)
    assert again.status_code == 200 and "Already approved by Sam Supervisor" in again.text
    assert len(adjustments()) == 1


def test_a_plain_form_post_without_javascript_answers_with_the_whole_page(client, counted):
    sign_in(client, "sam")
    response = client.post(f"/supervisor/counts/{counted.line_id}/approve", data={"reason": "ok"})
    assert response.status_code == 200 and "<html" in response.text
    assert "Approved A-01-01-A 1042: -2 posted against count" in response.text


def test_a_refusal_is_shown_in_the_queue_with_422_and_posts_nothing(boss, counted):
    receive(counted, "A-01-02-A", 60)
    task = count(counted, "A-01-02-A", {("1042", ""): 10})  # 125.00: needs a reason
    url = f"/supervisor/counts/{line_of(task).id}/approve"
    refused = boss.post(url, data={"reason": ""}, headers=HTMX)
    assert refused.status_code == 422
    assert "a variance worth 125.00 needs a reason" in refused.text
    assert 'placeholder="Reason (required)" required' in refused.text
    assert adjustments() == []
    assert boss.post(url, data={"reason": "crushed"}, headers=HTMX).status_code == 200
    assert stock.on_hand("1042", "A-01-02-A") == 10


def test_a_supervisor_may_not_approve_their_own_count_over_http(boss, counted):
    task = count(counted, "A-01-02-A", {("1042", ""): 1}, by=counted.boss)
    response = boss.post(f"/supervisor/counts/{line_of(task).id}/approve", headers=HTMX)
    assert response.status_code == 422
    assert "You counted A-01-02-A yourself" in response.text and adjustments() == []


def test_rejecting_over_http_raises_a_recount_for_another_worker(boss, counted):
    response = boss.post(
        f"/supervisor/counts/{counted.line_id}/reject", data={"reason": "recheck"}, headers=HTMX
    )
    assert response.status_code == 200
    recount = db.session.scalar(sa.select(CountTask).where(CountTask.source == "recount"))
    assert f"recount {recount.number} raised for Oscar Other" in response.text
    assert recount.assigned_to_id == counted.other.id
    assert line_of(counted.task).status == CountStatus.REJECTED and adjustments() == []


def test_bulk_approve_over_http_reports_each_line(boss, counted):
    receive(counted, "A-01-02-A", 60)
    large = line_of(count(counted, "A-01-02-A", {("1042", ""): 10})).id
    form = {"line": [str(counted.line_id), str(large)], "zone": ""}
    response = boss.post("/supervisor/counts/approve", data=form, headers=HTMX)
    assert response.status_code == 422  # one of the two was refused
    html = response.get_data(as_text=True)
    assert 'class="status status-ok">Approved A-01-01-A 1042: -2 posted' in html
    assert 'class="status status-error">A-01-02-A 1042: a variance worth 125.00' in html
    assert len(adjustments()) == 1
    nothing = boss.post("/supervisor/counts/approve", data={}, headers=HTMX)
    assert nothing.status_code == 422 and "Select the variances to approve first." in nothing.text


def supervisor_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("supervisor."):
            url = rule.rule.replace("<int:line_id>", "{line_id}").replace("<number>", "PL2001")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url


@pytest.mark.parametrize("hx", [False, True], ids=["page", "htmx"])
def test_a_worker_gets_403_on_every_supervisor_route_and_nothing_changes(app, client, counted, hx):
    sign_in(client, "wendy")
    routes = list(supervisor_routes(app))
    assert len(routes) == 11
    for method, url in routes:
        response = client.open(
            url.format(line_id=counted.line_id),
            method=method,
            data={"line": str(counted.line_id), "reason": "mine"},
            headers=HTMX if hx else {},
        )
        assert response.status_code == 403, (method, url)
    line = line_of(counted.task)
    assert (line.status, line.decided_by_id) == (CountStatus.PENDING, None)
    assert adjustments() == [] and stock.on_hand("1042", "A-01-01-A") == 13
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountTask)) == 1


def test_signed_out_the_desk_sends_to_sign_in(client, counted):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_a_decision_without_the_csrf_token_is_refused(boss, counted):
    url = f"/supervisor/counts/{counted.line_id}/approve"
    assert boss.post(url, headers={"X-CSRFToken": ""}).status_code == 400
    assert adjustments() == []


# --- pick lists under way --------------------------------------------------------------


@pytest.fixture
def held(site):
    """PL2001 taken by wendy, 2 of its 5 units picked."""
    receive(site, "A-01-01-A", 5)
    make_list(site, "PL2001", [(site.widget, 5)])
    picking.take_next(site.worker)
    stock.pick(site.worker, from_bin="A-01-01-A", to_bin="SHIP-1", sku="1042", qty=2,
               key=uuid.uuid4().hex, reference="PL2001")
    return site


def test_the_desk_shows_who_holds_each_list_and_hands_one_back(client, held):
    sign_in(client, "sam")
    assert "1</span> Picking under way" in client.get("/").text
    page = client.get("/supervisor/picking").text
    row = page[page.index('id="list-PL2001"') :]
    for shown in ("Wendy Worker", "2 of 5", f'name="picker" value="{held.worker.id}"'):
        assert shown in row
    answer = client.post("/supervisor/picking/PL2001/hand-back",
                         data={"picker": held.worker.id, "reason": "shift over"})
    assert answer.status_code == 302
    page = client.get("/supervisor/picking").text
    assert "PL2001 is back in the queue: the next worker to take it picks the rest." in page
    assert "No pick list is being picked now." in page
    assert db.session.scalar(sa.select(PickList.status).where(PickList.number == "PL2001")) == (
        DocStatus.OPEN
    )


def test_a_list_taken_over_meanwhile_is_left_with_its_new_picker(client, held):
    sign_in(client, "sam")
    picking.hand_back(held.boss, "PL2001", picker_id=held.worker.id)
    picking.take_next(held.other)
    client.post("/supervisor/picking/PL2001/hand-back", data={"picker": held.worker.id})
    page = client.get("/supervisor/picking").text
    assert ('class="status status-error" role="status">PL2001 is being picked by Oscar Other '
            "now, not by Wendy Worker: nothing was changed.") in page
    assert 'id="list-PL2001"' in page and "Oscar Other" in page



# --- count tasks given to another worker -----------------------------------------------


def test_the_desk_gives_a_count_task_from_an_absent_worker_to_another(client, site):
    db.session.add(CountTask(number="CT3001", location_id=site.a1.id,
                             assigned_to_id=site.worker.id))
    db.session.commit()
    sign_in(client, "sam")
    assert "1</span> Count tasks" in client.get("/").text
    page = client.get("/supervisor/count-tasks").text
    row = page[page.index('id="task-CT3001"'):]
    assert "Wendy Worker" in row and f'<option value="{site.worker.id}" selected>' in row
    answer = client.post("/supervisor/count-tasks/CT3001/give",
                         data={"to": site.other.id, "reason": "wendy is off"})
    assert answer.status_code == 302
    page = client.get("/supervisor/count-tasks").text
    assert "CT3001 (A-01-01-A) is for Oscar Other now." in page
    assert db.session.scalar(
        sa.select(CountTask.assigned_to_id).where(CountTask.number == "CT3001")
    ) == site.other.id


def test_a_recount_offers_no_any_worker_and_a_forged_choice_is_refused(client, site):
    db.session.add(CountTask(number="RC3002", location_id=site.a1.id, source="recount",
                             assigned_to_id=site.worker.id))
    db.session.commit()
    sign_in(client, "sam")
    row = client.get("/supervisor/count-tasks").text
    assert '<option value="">any worker</option>' not in row
    for forged in ("", "abc", "99999"):
        client.post("/supervisor/count-tasks/RC3002/give", data={"to": forged})
        page = client.get("/supervisor/count-tasks").text
        assert 'class="status status-error"' in page, forged
    assert db.session.scalar(
        sa.select(CountTask.assigned_to_id).where(CountTask.number == "RC3002")
    ) == site.worker.id


def test_a_supervisor_raises_count_tasks_for_a_zone_and_cancels_one(client, site):
    sign_in(client, "sam")
    answer = client.post("/supervisor/count-tasks", data={"by": "zone", "value": "A"})
    assert answer.status_code == 302
    page = client.get("/supervisor/count-tasks").text
    assert "5 count tasks raised." in page
    tasks = db.session.scalars(sa.select(CountTask).order_by(CountTask.id)).all()
    assert len(tasks) == 5 and {t.source for t in tasks} == {"manual"}
    client.post("/supervisor/count-tasks", data={"by": "bin", "value": "A-01-01-A"})
    assert "0 count tasks raised; 1 bin already had one." in client.get(
        "/supervisor/count-tasks").text
    first = tasks[0].number
    client.post(f"/supervisor/count-tasks/{first}/cancel", data={"reason": "raised twice"})
    page = client.get("/supervisor/count-tasks").text
    assert f"{first} cancelled." in page and f'id="task-{first}"' not in page
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "cancel"))
    assert (entry.entity, entry.reason, entry.user.username) == ("count_task", "raised twice",
                                                                 "sam")
    client.post(f"/supervisor/count-tasks/{first}/cancel")
    assert 'class="status status-error"' in client.get("/supervisor/count-tasks").text


def test_raising_count_tasks_for_nothing_says_why_with_422(client, site):
    sign_in(client, "sam")
    answer = client.post("/supervisor/count-tasks", data={"by": "bin", "value": "Z-99"})
    assert answer.status_code == 422 and "No active bin Z-99." in answer.text
    assert 'value="Z-99"' in answer.text  # kept, to correct
    assert client.post("/supervisor/count-tasks", data={"by": "bin"}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountTask)) == 0


def test_a_supervisor_raises_the_cycle_counts_due(client, site):
    receive(site, "A-01-01-A", 3)
    receive(site, "B-01-01-A", 2)
    sign_in(client, "sam")
    client.post("/supervisor/count-tasks/cycle")
    page = client.get("/supervisor/count-tasks").text
    assert "2 cycle counts due: raised." in page
    assert 'id="task-CC' in page
    client.post("/supervisor/count-tasks/cycle")
    assert "0 cycle counts due: raised." in client.get("/supervisor/count-tasks").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountTask)) == 2


def test_the_count_task_desk_shows_one_zone_and_stays_on_it(client, site):
    update_zone = sa.update(Location).where(Location.id == site.b1.id).values(zone="B")
    db.session.execute(update_zone)
    db.session.add_all([CountTask(number="CT1", location_id=site.a1.id),
                        CountTask(number="CT2", location_id=site.b1.id)])
    db.session.commit()
    sign_in(client, "sam")
    page = client.get("/supervisor/count-tasks?zone=B").text
    assert 'id="task-CT2"' in page and 'id="task-CT1"' not in page
    assert "1 open count task in zone B" in page
    answer = client.post("/supervisor/count-tasks/CT2/give",
                         data={"to": site.other.id, "zone": "B"})
    assert answer.headers["Location"].endswith("/supervisor/count-tasks?zone=B")
