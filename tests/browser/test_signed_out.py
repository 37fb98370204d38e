"""What a handheld shows when its session changed under it: another worker signed in on
the same device, or it was signed out."""

import pytest
from playwright.sync_api import expect

from tests.browser.handheld import Handheld, sign_in, type_scan

pytestmark = pytest.mark.browser


def test_a_scan_on_a_page_whose_session_changed_shows_the_expired_page_whole(
    floor, context, page, shots
):
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/receive")
    gun.scan("PO1001", "Receiving PO1001.")
    other = context.new_page()  # another worker signs in on this device: a new session
    sign_in(other, floor.url, badge="U0002", pin="2222")
    # The tab stays open: closing a tab as a navigation commits can hang for good
    # (playwright#42068, crbug 536385539), and the context closes it anyway.
    type_scan(page, "DOCK01")
    expect(page.locator(".status-error")).to_have_text(
        "This page has expired. Reload it and try again."
    )
    shots(page, "expired")
    # The answer is shown as the page it is, not nested inside the step of the old one.
    assert page.locator("header.bar").count() == 1
    assert page.locator("#scan").count() == 0
    assert page.evaluate("document.body.dataset.last") == "error"
    assert floor.movements() == []


def test_a_scan_after_being_signed_out_leads_to_sign_in_and_back_to_the_same_screen(
    floor, context, page
):
    sign_in(page, floor.url)
    gun = Handheld(page)
    gun.open(f"{floor.url}/count")
    other = context.new_page()
    other.goto(f"{floor.url}/")
    with other.expect_navigation():
        other.locator("form.signout button").click()
    assert other.url.startswith(f"{floor.url}/signin")
    with page.expect_navigation():
        type_scan(page, "E0302A")
    assert page.url.startswith(f"{floor.url}/signin")
    expect(page.locator("#badge")).to_be_focused()
    with page.expect_navigation():
        type_scan(page, "U0001")
    expect(page.locator("#badge-pin")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.type("1111")
        page.keyboard.press("Enter")
    assert page.url == f"{floor.url}/count"
    gun.focused()
    assert floor.movements() == []
