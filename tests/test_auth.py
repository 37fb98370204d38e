"""Signing in and out, locks, idle time, roles, CSRF and security headers, over HTTP."""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import jsonify
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from tests.conftest import PINS, csrf_token, make_app, sign_in
from webapp import create_app, signin_rules
from webapp.auth import deactivate_user, end_sessions, role_required
from webapp.db import db
from webapp.models import Role, User, utcnow
from webapp.security import same_origin_json
from webapp.users import create_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
NO_TOKEN = {"X-CSRFToken": ""}


def post_signin(client, username, pin):
    data = {"username": username, "pin": pin, "csrf_token": csrf_token(client)}
    return client.post("/signin", data=data)


def post_badge(client, badge, pin=""):
    data = {"badge": badge, "pin": pin, "csrf_token": csrf_token(client)}
    return client.post("/signin/badge", data=data)


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in_as(client) -> str | None:
    """The name in the page header, or None when the start page sends us to sign in."""
    response = client.get("/")
    if response.status_code == 302:
        return None
    for user in ("Wendy Worker", "Oscar Other", "Sam Supervisor", "Ada Admin"):
        if f'<span class="who">{user}</span>' in text(response):
            return user
    raise AssertionError("signed in, but no name in the header")


def fetch_user(username) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.username == username))


# Signing in ---------------------------------------------------------------------------


def test_a_worker_signs_in_with_username_and_pin_and_sees_their_name(client, site):
    response = post_signin(client, "Wendy ", "1111")
    assert response.status_code == 302 and response.location == "/"
    assert signed_in_as(client) == "Wendy Worker"
    assert 'action="/signout"' in text(client.get("/"))


def test_a_badge_scan_asks_for_the_pin_and_then_signs_in(client, site):
    with db.session.begin():
        db.session.get(User, site.worker.id).badge = "W0001"
    # The scanner's Enter submits the badge alone: the page keeps it and asks for the PIN.
    page = text(post_badge(client, "]C0w0001"))
    assert 'name="badge" value="W0001"' in page
    assert 'id="badge-pin" name="pin" type="password" inputmode="numeric"' in page
    assert page.index("autofocus") > page.index('id="badge-pin"')
    assert signed_in_as(client) is None

    assert post_badge(client, "W0001", "1111").status_code == 302
    assert signed_in_as(client) == "Wendy Worker"


def test_a_label_that_is_not_a_badge_is_said_at_once_and_an_unknown_code_asks_for_the_pin(
    client, site
):
    response = post_badge(client, "A0101A")  # the bin label beside the charging rack
    assert response.status_code == 422
    assert "That is bin A-01-01-A, not a badge: scan your badge." in text(response)
    assert 'name="badge" value=""' in text(response)
    # A code that names nothing may be a badge: the PIN decides, as for every badge.
    assert 'name="badge" value="ZZZZ9"' in text(post_badge(client, "ZZZZ9"))


def test_the_signin_page_autofocuses_the_badge_field(client, app):
    page = text(client.get("/signin"))
    assert '<input id="badge" name="badge" value=""' in page
    assert page.index("autofocus") < page.index('id="badge-pin"')


def test_a_wrong_pin_is_refused_with_a_message_and_never_logged(client, site, caplog):
    caplog.set_level("DEBUG")
    response = post_signin(client, "wendy", "9999")
    assert response.status_code == 422
    assert "Wrong username or PIN." in text(response)
    assert signed_in_as(client) is None
    assert post_signin(client, "nobody", "1111").status_code == 422
    assert "Wrong badge or PIN." in text(post_badge(client, "ZZZZ9", "1111"))
    assert "9999" not in caplog.text and "1111" not in caplog.text
    assert fetch_user("wendy").failed_signins == 1


def test_signing_in_as_someone_else_replaces_the_session(client, site):
    sign_in(client, "wendy")
    page = text(client.get("/signin"))
    assert "Wendy Worker is signed in here. Signing in replaces them." in page
    sign_in(client, "sam")
    assert signed_in_as(client) == "Sam Supervisor"


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [("/signin?x=1", "/signin?x=1"), ("https://evil.example/", "/"), ("//evil.example", "/")],
)
def test_after_signing_in_the_device_goes_back_only_to_a_page_of_this_site(
    client, site, next_url, lands_on
):
    data = {"username": "wendy", "pin": "1111", "next": next_url}
    response = client.post("/signin", data={**data, "csrf_token": csrf_token(client)})
    assert response.location == lands_on


# Locks --------------------------------------------------------------------------------


def test_five_wrong_pins_lock_the_user_and_even_the_right_pin_waits(client, site):
    for _ in range(4):
        assert post_signin(client, "wendy", "0000").status_code == 422
    fifth = post_signin(client, "wendy", "0000")
    assert fifth.status_code == 429
    assert "Too many wrong PINs: try again in 5 minutes." in text(fifth)
    right = post_signin(client, "wendy", "1111")
    assert right.status_code == 429 and "Too many wrong PINs" in text(right)
    assert signed_in_as(client) is None
    # Other users are not locked with her: the floor shares one IP address.
    assert post_signin(client, "oscar", "2222").status_code == 302

    with db.session.begin():
        db.session.get(User, site.worker.id).locked_until = utcnow() - timedelta(seconds=1)
    assert post_signin(client, "wendy", "1111").status_code == 302
    user = fetch_user("wendy")
    assert (user.failed_signins, user.locked_until) == (0, None)


def test_the_lock_holds_across_app_instances_sharing_the_database(app, site, tmp_path):
    other = make_app(tmp_path / "second", app.config["DATABASE_URL"])
    try:
        first_client, second_client = app.test_client(), other.test_client()
        for client in (first_client, second_client, first_client, second_client):
            assert post_signin(client, "wendy", "0000").status_code == 422
        assert post_signin(second_client, "wendy", "0000").status_code == 429
        refused = post_signin(first_client, "wendy", "1111")
        assert "Too many wrong PINs: try again in 5 minutes." in text(refused)
    finally:
        with other.app_context():
            for engine in db.engines.values():
                engine.dispose()


# Ending sessions ----------------------------------------------------------------------


def test_an_idle_device_is_signed_out_at_its_next_request(client, site):
    sign_in(client, "wendy")
    with client.session_transaction() as session:
        session["seen"] -= 29 * 60
    assert signed_in_as(client) == "Wendy Worker"  # and the idle clock starts again

    with client.session_transaction() as session:
        session["seen"] -= 31 * 60
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/signin?next=/"
    assert "Signed out after 30 minutes without use." in text(client.get(response.location))
    assert signed_in_as(client) is None


def test_the_idle_time_is_a_setting(app, client, site):
    app.config["IDLE_MINUTES"] = 2
    sign_in(client, "wendy")
    with client.session_transaction() as session:
        session["seen"] -= 3 * 60
    assert signed_in_as(client) is None


def test_a_sign_in_ends_after_session_max_hours_however_busy_the_device(client, site):
    sign_in(client, "wendy")
    with client.session_transaction() as session:
        session["since"] -= 11 * 3600 + 59 * 60
    assert signed_in_as(client) == "Wendy Worker"
    with client.session_transaction() as session:
        session["since"] -= 2 * 60
        assert int(time.time()) - session["seen"] < 60  # busy: the idle clock is fresh
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/signin?next=/"
    assert "a sign-in lasts 12 hours at most" in text(client.get(response.location))
    assert signed_in_as(client) is None


def test_a_deactivated_user_is_signed_out_at_once_and_cannot_sign_in(client, site):
    sign_in(client, "wendy")
    deactivate_user(site.worker.id)
    assert signed_in_as(client) is None
    refused = post_signin(client, "wendy", "1111")
    assert refused.status_code == 403
    assert "This sign-in is switched off. Ask a supervisor." in text(refused)


def test_signing_out_everywhere_ends_every_session_of_that_user_only(app, site):
    handheld, desk, oscars = app.test_client(), app.test_client(), app.test_client()
    sign_in(handheld, "wendy")
    sign_in(desk, "wendy")
    sign_in(oscars, "oscar")
    start_page = text(desk.get("/"))
    assert 'action="/signout/everywhere"' in start_page and "Sign out on every device" in start_page
    assert handheld.post("/signout/everywhere").location == "/signin"
    assert signed_in_as(desk) is None
    assert signed_in_as(handheld) is None
    assert signed_in_as(oscars) == "Oscar Other"

    sign_in(desk, "wendy")  # a new session counts from the new version
    assert signed_in_as(desk) == "Wendy Worker"
    end_sessions(site.worker.id)
    assert signed_in_as(desk) is None


def test_signing_out_ends_this_device_only(app, site):
    handheld, desk = app.test_client(), app.test_client()
    sign_in(handheld, "wendy")
    sign_in(desk, "wendy")
    response = handheld.post("/signout")
    assert response.location == "/signin"
    assert "Signed out." in text(handheld.get("/signin"))
    assert signed_in_as(handheld) is None
    assert signed_in_as(desk) == "Wendy Worker"


# Requests without a user --------------------------------------------------------------


def test_an_anonymous_page_request_is_sent_to_sign_in(client, app):
    response = client.get("/?tab=picks")
    assert response.status_code == 302
    assert response.location == "/signin?next=/?tab%3Dpicks"


def test_an_anonymous_htmx_request_gets_an_hx_redirect(client, app):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/?tab=picks"}
    response = client.get("/", headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/signin?next=/?tab%3Dpicks"


def test_only_sign_in_static_files_and_health_are_open_without_a_user(client, app):
    assert client.get("/signin").status_code == 200
    with client.get("/static/app.css") as stylesheet:
        assert stylesheet.status_code == 200
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/no-such-thing").status_code == 404
    assert client.get("/").status_code == 302


# Roles --------------------------------------------------------------------------------


@pytest.fixture
def approvals(app):
    """A supervisor-only route, in this test's app only."""

    @role_required(Role.SUPERVISOR)
    def approve():
        return "approvals"

    app.add_url_rule("/test/approvals", "test_approvals", approve)
    return "/test/approvals"


def test_a_worker_gets_a_403_page_on_a_supervisor_route(client, site, approvals):
    sign_in(client, "wendy")
    response = client.get(approvals)
    assert response.status_code == 403
    assert "This is for supervisors. Ask a supervisor." in text(response)
    assert "Wendy Worker" in text(response)  # a whole page, header and all


def test_supervisors_and_admins_pass_a_supervisor_check(client, site, approvals):
    sign_in(client, "sam")
    assert text(client.get(approvals)) == "approvals"
    create_user("ada", "Ada Admin", role="admin", password="4444")
    sign_in(client, "ada", "4444")
    assert text(client.get(approvals)) == "approvals"


def test_a_role_route_sends_an_anonymous_device_to_sign_in(client, app, approvals):
    assert client.get(approvals).location == "/signin?next=/test/approvals"


# CSRF ---------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_with_the_header_it_passes(client, site):
    sign_in(client, "wendy")
    refused = client.post("/signout", headers=NO_TOKEN)
    assert refused.status_code == 400
    assert "This page has expired. Reload it and try again." in text(refused)
    assert signed_in_as(client) == "Wendy Worker"

    wrong = client.post("/signout", headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    assert client.post("/signout").status_code == 302  # sign_in set the header
    assert signed_in_as(client) is None


def test_an_htmx_post_from_a_device_whose_session_ended_is_sent_to_sign_in(client, site):
    sign_in(client, "wendy")
    with client.session_transaction() as session:
        session.clear()  # the cookie expired: its CSRF token went with it
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}
    response = client.post("/signout", headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/signin?next=/"


def test_the_signin_form_needs_its_token_too(client, site):
    response = client.post("/signin", data={"username": "wendy", "pin": PINS["wendy"]})
    assert response.status_code == 400
    assert "This page has expired" in text(response)
    assert signed_in_as(client) is None


def test_pages_carry_the_token_where_htmx_sends_it(client, site):
    sign_in(client, "wendy")
    client.environ_base.pop("HTTP_X_CSRFTOKEN")  # only what this page gives, below
    page = text(client.get("/"))
    # One token in both places. (Not compared with another page's: Flask-WTF signs the
    # token with the time, so two pages a second apart carry different tokens.)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    assert f'<body hx-headers=\'{{"X-CSRFToken": "{token}"}}\'>' in page
    scan = {"HX-Request": "true", "HX-Target": "step"}
    sent = client.post("/move", data={"scan": ""}, headers={**scan, "X-CSRFToken": token})
    assert sent.status_code == 200
    assert client.post("/move", data={"scan": ""}, headers=scan).status_code == 400  # no token


@pytest.fixture
def queue_endpoint(app):
    """A JSON endpoint like the offline queue's, in this test's app only."""

    @same_origin_json
    def queue():
        return jsonify(got=True)

    app.add_url_rule("/api/test-queue", "test_queue", queue, methods=["POST"])
    return "/api/test-queue"


@pytest.mark.parametrize(
    ("headers", "status", "why"),
    [
        ({"X-Binscan-Request": "1", "Sec-Fetch-Site": "same-origin"}, 200, None),
        ({"X-Binscan-Request": "1", "Origin": "http://localhost"}, 200, None),
        ({"Sec-Fetch-Site": "same-origin"}, 403, "The X-Binscan-Request header is missing."),
        ({"X-Binscan-Request": "1", "Sec-Fetch-Site": "cross-site"}, 403, "another site"),
        ({"X-Binscan-Request": "1", "Origin": "http://evil.example"}, 403, "another site"),
        ({"X-Binscan-Request": "1"}, 403, "The Origin header is missing."),
    ],
)
def test_a_json_api_route_takes_a_custom_header_and_same_origin_instead_of_a_token(
    client, site, queue_endpoint, headers, status, why
):
    sign_in(client, "wendy")
    response = client.post(queue_endpoint, json={"scan": "A0101A"}, headers=NO_TOKEN | headers)
    assert response.status_code == status
    assert response.json == ({"got": True} if why is None else {"error": response.json["error"]})
    if why:
        assert why in response.json["error"]


def test_a_json_api_route_refuses_a_form_post(client, site, queue_endpoint):
    sign_in(client, "wendy")
    headers = NO_TOKEN | {"X-Binscan-Request": "1", "Sec-Fetch-Site": "same-origin"}
    response = client.post(queue_endpoint, data={"scan": "A0101A"}, headers=headers)
    assert response.status_code == 403
    assert response.json == {"error": "The request body must be JSON."}


def test_an_anonymous_json_request_gets_401_not_a_page(client, app, queue_endpoint):
    response = client.post(queue_endpoint, json={}, headers={"X-Binscan-Request": "1"})
    assert response.status_code == 401
    assert response.json == {"error": "Sign in first."}


# Headers and cookies ------------------------------------------------------------------


def test_every_response_carries_the_security_headers(client, site):
    for url in ("/signin", "/static/app.css", "/"):
        with client.get(url) as response:
            assert response.headers["Content-Security-Policy"] == CSP
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "same-origin"
            assert "Strict-Transport-Security" not in response.headers  # plain HTTP in dev


def test_production_sets_hsts_and_secure_lax_session_cookies_and_no_remember_cookie(
    app, site, tmp_path
):
    production = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "production-test-secret",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": str(tmp_path / "production"),
        }
    )
    try:
        client = production.test_client()
        response = post_signin(client, "wendy", "1111")
        assert response.status_code == 302
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        cookies = response.headers.getlist("Set-Cookie")
        assert len(cookies) == 1 and cookies[0].startswith("session=")
        attributes = {part.strip().lower() for part in cookies[0].split(";")}
        assert {"secure", "httponly", "samesite=lax"} <= attributes
    finally:
        with production.app_context():
            for engine in db.engines.values():
                engine.dispose()


_QUICK_DUMMY = generate_password_hash("no such user", "pbkdf2:sha256:1000")
SIGN_IN_TEXT = st.one_of(
    st.sampled_from(["", "wendy", "WENDY", " wendy ", "U0001", "]C0U0001", "1111", "0" * 64,
                     "//evil.example", "/move", "https://evil.example/", "\\\\evil", "\x00"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["/signin", "/signin/badge"]),
                          st.fixed_dictionaries({
                              "username": st.one_of(st.sampled_from(sorted(PINS)), SIGN_IN_TEXT),
                              "pin": st.one_of(st.sampled_from(sorted(PINS.values())),
                                               SIGN_IN_TEXT),
                              "badge": SIGN_IN_TEXT,
                              "next": SIGN_IN_TEXT})),
                min_size=1, max_size=8))
def test_no_sign_in_input_is_a_server_error_an_open_redirect_or_a_way_in(
    client, site, monkeypatch, attempts
):
    # Unknown users are checked against a hash as quick as the site users' (not scrypt's).
    monkeypatch.setattr(signin_rules, "_dummy_hash", lambda: _QUICK_DUMMY)
    for path, fields in attempts:
        response = client.post(path, data={**fields, "csrf_token": csrf_token(client)})
        assert response.status_code < 500, (path, fields)
        if response.status_code in (301, 302, 303):
            assert urlsplit(response.location).netloc in ("", "localhost"), response.location
        if client.get("/move").status_code == 200:  # signed in: only with a user's own PIN
            assert path == "/signin", fields
            assert PINS.get(fields["username"].strip().lower()) == fields["pin"], fields
            client.post("/signout", data={"csrf_token": csrf_token(client)})
