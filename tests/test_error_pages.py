"""What a worker sees when a request fails outright: a page of ours, header and all, that
says what happened and leads back to the start page. A handheld in kiosk mode has no
address bar or Back button, so a bare server page would leave the worker stuck on it."""

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import abort

from tests.conftest import csrf_token, sign_in
from webapp import errors
from webapp.db import db, write_transaction
from webapp.models import Warehouse

START_LINK = 'href="/">Back to the start page'


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def failing(app):
    """A route that writes a row and then fails, as a bug would."""

    def fails():
        with write_transaction():
            db.session.add(Warehouse(code="HALF", name="half done"))
            db.session.flush()
            raise RuntimeError("a bug")

    app.add_url_rule("/test/fails", "test_fails", fails, methods=["GET", "POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: answer, not raise
    return "/test/fails"


def test_an_unknown_address_is_a_page_of_ours_that_leads_back(client, site):
    sign_in(client, "wendy")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "There is no page at this address" in page(response)
    assert "Wendy Worker" in page(response) and START_LINK in page(response)


def test_an_unknown_address_before_sign_in_is_answered_the_same_way(client, app):
    response = client.get("/old/bookmark")
    assert response.status_code == 404
    assert "There is no page at this address" in page(response)
    assert START_LINK in page(response)


def test_a_page_opened_the_wrong_way_says_so(client, site):
    sign_in(client, "wendy")
    response = client.get("/signout")  # a form's address, typed in
    assert response.status_code == 405
    assert "This page cannot be opened that way" in page(response)
    assert START_LINK in page(response)


def test_our_own_reason_for_a_refusal_is_shown_as_given(client, site, app):
    app.add_url_rule("/test/bad", "test_bad", lambda: abort(400, "Unknown label size."))
    sign_in(client, "wendy")
    response = client.get("/test/bad")
    assert response.status_code == 400
    assert "Unknown label size." in page(response) and START_LINK in page(response)


def test_an_upload_too_large_names_the_limit(client, site, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    sign_in(client, "wendy")
    response = client.post("/move", data={"csrf_token": csrf_token(client), "scan": "x" * 2000})
    assert response.status_code == 413
    assert "too large to send: 1 KB at most" in page(response)


def test_the_api_answers_its_errors_in_json(client, site):
    sign_in(client, "wendy")
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"].startswith("There is no page at this address.")


def test_a_server_failure_writes_nothing_and_says_what_to_check(client, site, failing):
    sign_in(client, "wendy")
    response = client.get(failing)
    assert response.status_code == 500
    assert "Something went wrong on the server" in page(response)
    assert "Wendy Worker" in page(response) and START_LINK in page(response)
    assert db.session.scalar(sa.select(Warehouse).where(Warehouse.code == "HALF")) is None


def test_a_server_failure_is_still_answered_when_the_page_cannot_be_drawn(
    client, site, failing, monkeypatch
):
    """When the failure is the database itself, drawing the page (which asks who is signed
    in) fails too: the answer is then a plain page, still with its way back."""

    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(errors, "render_template", broken)
    sign_in(client, "wendy")
    response = client.get(failing)
    assert response.status_code == 500
    assert "Something went wrong on the server" in page(response)
    assert '<a href="/">Back to the start page</a>' in page(response)
