"""Times are stored in UTC and shown, and filtered by day, in the warehouse's zone (TZ)."""

import time
from datetime import date, datetime

import pytest

from tests.conftest import sign_in
from tests.helpers import make_list
from webapp import clock, picking
from webapp.db import db


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_stored_utc_time_is_shown_in_the_local_zone(berlin):
    assert clock.local(datetime(2026, 12, 1, 18, 52)) == "01 Dec 19:52"  # CET, UTC+1
    assert clock.local(datetime(2026, 7, 1, 18, 52), "%H:%M") == "20:52"  # CEST, UTC+2
    assert clock.local(None) == ""


def test_a_day_begins_at_local_midnight(berlin):
    assert clock.utc_midnight(date(2026, 12, 1)) == datetime(2026, 11, 30, 23, 0)


def test_pages_show_local_times(berlin, client, site):
    make_list(site, "PL2001", [(site.widget, 1)])
    taken = picking.take_next(site.worker)
    taken.assigned_at = datetime(2026, 12, 1, 6, 5)  # UTC
    db.session.commit()
    sign_in(client, "sam")
    assert "01 Dec 07:05" in client.get("/supervisor/picking").text


def test_column_headers_name_the_zone_the_times_are_in(berlin, client, site):
    make_list(site, "PL2001", [(site.widget, 1)])
    picking.take_next(site.worker)
    db.session.commit()
    sign_in(client, "sam")
    page = client.get("/reports/").text
    assert "Since (CET)" in page and "UTC" not in page
