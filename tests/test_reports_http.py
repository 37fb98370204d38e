"""Reports over HTTP: supervisors only, pages and fragments, pagination links, CSV, SVG."""

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest

from tests.conftest import sign_in
from webapp import stock
from webapp.db import db
from webapp.models import CountLine, CountStatus, CountTask, DocStatus, utcnow

ROUTES = [
    "/reports/",
    "/reports/on-hand",
    "/reports/on-hand?q=1042",
    "/reports/stock",
    "/reports/movements",
    "/reports/movements?kind=receive&before=99",
    "/reports/movements.csv",
    "/reports/accuracy",
    "/reports/low-stock",
    "/reports/expiring?days=10",
    "/reports/excess",
]


def receive(site, to, qty, sku="1042", lot=None):
    return stock.receive(
        site.worker,
        to_bin=to,
        sku=sku,
        qty=qty,
        lot=lot,
        expiry=site.expiry if lot else None,
        key=uuid.uuid4().hex,
        device="TC52-7",
    ).movement.id


@pytest.fixture
def boss(client, site):
    sign_in(client, "sam")
    return client


@pytest.mark.parametrize("url", ROUTES)
def test_a_worker_is_refused_every_report(client, site, url):
    sign_in(client, "wendy")
    response = client.get(url)
    assert response.status_code == 403
    assert "for supervisors" in response.get_data(as_text=True)


def test_reports_ask_for_sign_in_first(client, site):
    response = client.get("/reports/movements.csv")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


@pytest.mark.parametrize("url", ROUTES)
def test_a_supervisor_sees_every_report_with_no_inline_style_or_script(boss, site, url):
    receive(site, "A-01-01-A", 3)
    receive(site, "A-01-02-A", 2, sku="2001", lot="L1")
    response = boss.get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "style=" not in body
    assert "<script>" not in body and "hx-on" not in body


def test_the_overview_shows_open_work_and_who_moved_what(boss, site):
    receive(site, "A-01-01-A", 3)
    body = boss.get("/reports/").get_data(as_text=True)
    assert "Wendy Worker" in body and "TC52-7" in body
    assert "receive 3 × 1042" in body


def test_on_hand_answers_a_targeted_search_with_only_the_results(boss, site):
    receive(site, "A-01-01-A", 3)
    receive(site, "B-01-01-A", 2, sku="2001", lot="MILK9")
    page = boss.get("/reports/on-hand?q=milk")
    text = page.get_data(as_text=True)
    assert "<html" in text and 'hx-trigger="input changed delay:200ms, search"' in text
    assert "MILK9" in text and "A-01-01-A" not in text
    assert "HX-Request" in page.headers["Vary"]

    part = boss.get(
        "/reports/on-hand?q=a-01", headers={"HX-Request": "true", "HX-Target": "on-hand-results"}
    )
    fragment = part.get_data(as_text=True)
    assert fragment.startswith('<div id="on-hand-results"')
    assert "<html" not in fragment
    assert "A-01-01-A" in fragment and "MILK9" not in fragment
    assert "HX-Request" in part.headers["Vary"]

    # A boosted navigation carries HX-Request without targeting the results: a whole page.
    boosted = boss.get("/reports/on-hand", headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in boosted.get_data(as_text=True)


def test_movement_pages_link_older_and_newer_with_the_same_filters(boss, site, monkeypatch):
    monkeypatch.setattr("webapp.reports_ledger.PAGE", 2)
    ids = [receive(site, "A-01-01-A", n) for n in (1, 2, 3)]
    receive(site, "B-01-01-A", 9)
    first = boss.get("/reports/movements?bin=a-01-01-a").get_data(as_text=True)
    older = f"/reports/movements?before={ids[1]}&amp;bin=A-01-01-A"
    assert older in first and "Newer" not in first
    part = boss.get(
        older.replace("&amp;", "&"),
        headers={"HX-Request": "true", "HX-Target": "movements-results"},
    )
    fragment = part.get_data(as_text=True)
    assert fragment.startswith('<div id="movements-results"')
    assert f"after={ids[0]}" in fragment and "Older" not in fragment
    assert f'<td class="num">{ids[0]}</td>' in fragment
    assert f'<td class="num">{ids[1]}</td>' not in fragment
    assert "/reports/movements.csv?bin=A-01-01-A" in fragment


def test_the_movement_csv_downloads_the_filtered_ledger(boss, site):
    receive(site, "A-01-01-A", 3)
    receive(site, "B-01-01-A", 2, sku="2001", lot="L1")
    response = boss.get("/reports/movements.csv?sku=2001")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "time_utc", "kind", "sku"]
    assert [(r[2], r[3], r[4], r[6], r[7], r[8], r[9]) for r in rows[1:]] == [
        ("receive", "2001", "L1", "B-01-01-A", "2", "wendy", "TC52-7")
    ]


def test_the_accuracy_chart_is_an_svg_bar_per_week(boss, site):
    now = utcnow()
    db.session.rollback()  # end the read the sign-in left open
    with db.session.begin():
        for n, (when, system, count) in enumerate(
            [(now, 4, 4), (now, 4, 3), (now - timedelta(weeks=1), 2, 2)]
        ):
            db.session.add(
                CountTask(
                    number=f"C{n}",
                    location_id=site.a1.id,
                    status=DocStatus.CLOSED,
                    counted_at=when,
                    lines=[
                        CountLine(
                            item_id=site.widget.id,
                            system_qty=system,
                            counted_qty=count,
                            status=CountStatus.MATCHED if system == count else CountStatus.PENDING,
                        )
                    ],
                )
            )
    body = boss.get("/reports/accuracy").get_data(as_text=True)
    weeks = body[body.index('<svg id="chart-weeks"') : body.index("</svg>")]
    bars = re.findall(
        r'<rect class="(chart-bar[^"]*)" x="[^"]+" y="[^"]+" width="48" '
        r'height="([^"]+)"',
        weeks,
    )
    # Last week 100 % (the full 160), this week one bin of two.
    assert bars == [("chart-bar", "160.0"), ("chart-bar chart-bar-low", "80.0")]
    assert ">50%<" in weeks and ">100%<" in weeks
    assert "66.7%" in body  # two of three bins overall


def test_report_parameters_that_are_not_whole_numbers_fall_back_to_defaults(boss, site):
    body = boss.get("/reports/expiring?days=-3").get_data(as_text=True)
    assert 'name="days" value="30"' in body
    body = boss.get("/reports/excess?days=abc").get_data(as_text=True)
    assert 'name="days" value="90"' in body
