"""What a worker hears and feels after a scan, and the on-screen keyboard setting, in a
real browser at 360x640.

The page's Web Audio and vibration calls are recorded by a script run before the page's
own (the browser has no speaker or motor here): each AudioContext made, each tone started
(its frequency) and each vibration pattern asked for."""

import pytest
from playwright.sync_api import expect

from tests.browser.handheld import Handheld, sign_in

pytestmark = pytest.mark.browser

RECORD = """(() => {
  window.heard = []; window.felt = []; window.contexts = [];
  const Real = window.AudioContext;
  window.AudioContext = function () {
    const ctx = new Real();
    window.contexts.push(ctx);
    const make = ctx.createOscillator.bind(ctx);
    ctx.createOscillator = () => {
      const osc = make();
      const start = osc.start.bind(osc);
      osc.start = (when) => { window.heard.push([osc.frequency.value, ctx.state]); start(when); };
      return osc;
    };
    return ctx;
  };
  navigator.vibrate = (pattern) => { window.felt.push(pattern); return true; };
})()"""

# The first context's state once it runs, or after 3 s whatever it is.
RUNNING_WITHIN_3_S = """new Promise((done) => {
  const ctx = window.contexts[0];
  const check = () => { if (ctx.state === "running") done(ctx.state); };
  ctx.addEventListener("statechange", check);
  check();
  setTimeout(() => done(ctx.state), 3000);
})"""
SUCCESS_TONES, ERROR_TONES = [1320, 1760], [220, 180]
NOT_KNOWN_AFTER_A_BIN = "Unknown barcode “NO-SUCH-BIN”; scan an item in this bin, or Whole bin."


def heard(page) -> list:
    """Tones started since the last call, as (frequency, the context's state then)."""
    return page.evaluate("window.heard.splice(0)")


def felt(page) -> list:
    return page.evaluate("window.felt.splice(0)")


def test_a_good_scan_and_a_refused_one_sound_and_vibrate_differently(floor, page, shots):
    page.add_init_script(RECORD)
    sign_in(page, floor.url)
    worker = Handheld(page, shots)
    worker.open(f"{floor.url}/move")

    worker.scan("A-01-01-A", "Bin A-01-01-A.")
    assert [f for f, _ in heard(page)] == SUCCESS_TONES
    assert felt(page) == [40]

    worker.scan("NO-SUCH-BIN", NOT_KNOWN_AFTER_A_BIN, "error", shot="unknown-code")
    assert [f for f, _ in heard(page)] == ERROR_TONES
    assert felt(page) == [[120, 60, 120]]


def test_sound_comes_back_after_the_browser_suspends_it(floor, page):
    """A handheld's screen sleeping (or the tab going to the background) suspends the
    page's audio; the next scan must wake it, or the floor goes quiet for the shift."""
    page.add_init_script(RECORD)
    sign_in(page, floor.url)
    worker = Handheld(page)
    worker.open(f"{floor.url}/move")
    worker.scan("A-01-01-A", "Bin A-01-01-A.")
    heard(page)

    page.evaluate("window.contexts[0].suspend()")  # settled when evaluate returns
    assert page.evaluate("window.contexts[0].state") == "suspended"
    worker.scan("NO-SUCH-BIN", NOT_KNOWN_AFTER_A_BIN, "error")

    assert page.evaluate(RUNNING_WITHIN_3_S) == "running"
    assert page.evaluate("window.contexts.length") == 1
    assert [f for f, _ in heard(page)] == ERROR_TONES


def test_the_keyboard_setting_is_remembered_on_the_device(floor, context):
    page = context.new_page()
    sign_in(page, floor.url)
    worker = Handheld(page)
    worker.open(f"{floor.url}/move")
    scan_input, keys = page.locator("#scan"), page.locator("#keyboard")
    expect(scan_input).to_have_attribute("inputmode", "text")  # a phone: keyboard as usual

    worker.tap_on(keys)  # a scanner device: the on-screen keyboard stays out of the way
    expect(scan_input).to_have_attribute("inputmode", "none")
    expect(keys).to_have_attribute("aria-pressed", "false")
    worker.focused()

    again = context.new_page()  # another screen, later in the shift, on the same device
    Handheld(again).open(f"{floor.url}/count")
    expect(again.locator("#scan")).to_have_attribute("inputmode", "none")

    worker.tap_on(keys)  # typing a code by hand: the keyboard comes back
    expect(scan_input).to_have_attribute("inputmode", "text")
    expect(keys).to_have_attribute("aria-pressed", "true")
    worker.focused()
    page.reload()
    expect(page.locator("#scan")).to_have_attribute("inputmode", "text")


def test_a_quantity_the_browser_would_not_send_is_answered_in_words(floor, page):
    """The quantity field asks for a numeric keypad; the browser must still send what was
    typed, so the worker reads the server's sentence, not a browser bubble or nothing."""
    sign_in(page, floor.url)
    worker = Handheld(page)
    worker.open(f"{floor.url}/move")
    worker.scan("A-01-01-A", "Bin A-01-01-A.")
    worker.scan("100283", "1 × 100283.")
    worker.set_qty("-3", "Quantity must be at least 1 (you entered -3).", "error")
    worker.set_qty("1.5", "“1.5” is not a quantity: enter a whole number of units.", "error")
    worker.set_qty("2", "Quantity set to 2.")
