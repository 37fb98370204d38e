"""A handheld in the browser: its scan engine types like a keyboard wedge, and every scan
is checked the same way (fresh step, status band, focus back on the scan input)."""

import re
import time

from playwright.sync_api import Page, expect

GS = "\x1d"
ENTER, TAB = "Enter", "Tab"
STATUS_OF = {"ok": "ok", "error": "error", "warn": "warn", None: ""}


def sign_in(page: Page, url: str, badge: str = "U0001", pin: str = "1111", shots=None):
    """Sign in as a handheld does: scan the badge (AIM prefix and all), then type the PIN."""
    page.goto(f"{url}/signin")
    expect(page.locator("#badge")).to_be_focused()
    if shots:
        shots(page, "sign-in")
    with page.expect_navigation():
        type_scan(page, "]C0" + badge)
    expect(page.locator("#badge-pin")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.type(pin, delay=20)
        page.keyboard.press(ENTER)
    expect(page.locator("header .who")).to_be_visible()


def type_scan(page: Page, code: str, suffix: str = ENTER):
    """What a scan engine sends: the code at about 5 ms a character, then the suffix."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press(suffix)


class Handheld:
    """Scans on one floor screen and checks what the worker sees after each one."""

    def __init__(self, page: Page, shots=None, js: bool = True):
        self.page, self.shots, self.js = page, shots, js
        self.tapped_at = 0.0

    def tap_on(self, locator):
        # Two taps on one spot within about half a second are a double-tap to chromium, which then
        # drops the text typed next: tap at a person's pace, not the test's.
        time.sleep(max(0.0, self.tapped_at + 0.6 - time.monotonic()))
        locator.tap()
        self.tapped_at = time.monotonic()

    def open(self, url: str):
        self.page.goto(url)
        self.focused()

    def focused(self):
        expect(self.page.locator("#scan")).to_be_focused()
        assert self.page.evaluate("document.activeElement.id") == "scan"

    def scan(self, code, says, status="ok", *, suffix=ENTER, shot=None):
        """Scan `code`, wait for its answer, and check the band says `says` (a string, or
        a compiled pattern) in the colour of `status` ("ok", "error", "warn")."""
        return self.act(lambda: type_scan(self.page, code, suffix), says, status, shot)

    def tap(self, label, says, status="ok", shot=None):
        """Tap a button of the step by its label."""
        button = self.page.locator("#step button", has_text=label)
        return self.act(lambda: self.tap_on(button), says, status, shot)

    def set_qty(self, qty, says, status="ok", *, press=ENTER, shot=None):
        """Type a quantity in the quantity field, then Enter (or tap Set)."""

        def typed():
            self.tap_on(self.page.locator("#qty"))
            self.page.keyboard.type(str(qty), delay=20)
            if press == ENTER:
                self.page.keyboard.press(ENTER)
            else:
                self.tap_on(self.page.locator("#step .typed button", has_text=press))

        return self.act(typed, says, status, shot)

    def act(self, do, says, status, shot, *, wait_ms=5000):
        """Do something, then check the answer that comes within `wait_ms`."""
        page = self.page
        if self.js:
            page.evaluate("document.getElementById('step').dataset.stale = '1'")
            do()
            expect(page.locator("#step:not([data-stale])")).to_be_attached(timeout=wait_ms)
        else:
            with page.expect_navigation():
                do()
        band = page.locator("#step .status")
        if isinstance(says, re.Pattern):
            expect(band).to_have_text(says, timeout=wait_ms)
        else:
            expect(band).to_have_text(says, use_inner_text=True, timeout=wait_ms)
        expect(page.locator("#step")).to_have_attribute("data-status", STATUS_OF[status])
        if self.js:
            assert page.evaluate("document.body.dataset.last") == STATUS_OF[status]
        self.focused()
        if shot and self.shots:
            self.shots(page, shot)
        return band.inner_text()

    def prompt(self) -> str:
        return self.page.locator("#step .prompt").inner_text()

    def context(self) -> dict[str, str]:
        """The step's "what is known so far" list, label to value."""
        pairs = self.page.locator("#step .context div").all_inner_texts()
        return dict(p.split("\n", 1) for p in pairs)
