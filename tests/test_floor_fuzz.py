"""Any input on any floor screen, over HTTP, on both databases: never a server error, and
the ledger stays whole.

Hypothesis plays two careless workers, each with a handheld: codes of the site's bins,
items, lots and documents, mangled codes, junk, odd quantities and dates, every button,
double presses (a key sent again), pages gone stale (the hidden state of another screen,
or edited, or left open while the other worker moved the stock it shows). After every
request: the answer is the step (200) or a refusal in words (422), never a 500; every
balance equals the ledger's in minus out and none is negative. Whole errands done right
(a move, a receipt, a pick, a count) are mixed in, so that postings happen between the
mistakes. FUZZ_EXAMPLES=1000 runs a longer hunt than the suite's 60 examples.
"""

import os
import re
import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import build_site, sign_in
from tests.helpers import ledger_matches_balances
from tests.test_floor_http import SCAN_QUEUE, page_state
from tests.test_ledger_properties import reset_data
from webapp import stock
from webapp.db import db
from webapp.models import CountTask, PickLine, PickList, Receipt, ReceiptLine, User

SCREENS = ["/receive", "/move", "/pick", "/count", "/lookup"]
# What the screens ask for, drawn often enough that flows get to their postings...
CODES = st.sampled_from([
    "DOCK1", "SHIP1", "A0101A", "A0102A", "B0101A",  # bins
    "05012345678900", "15012345678907", "04006381333931", "3001",  # items, a case
    "L1", "SN1", "PO1001", "PL7", "CT3001",  # lots, documents
])
# ...and what a careless worker or a misconfigured scanner sends besides.
ODD = st.sampled_from([
    "Z9999Z", "a0102a", "A-01-01-A", "1042", "WENDY", "]E05012345678900", "\x1d", "   ",
    "]C101040063813339311727033110L1", "0104006381333931\x1d10L1", "5012345678901", "]C1",
])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=24)
SCANS = st.one_of(CODES, CODES, CODES, CODES, ODD, TEXT)
QUANTITIES = st.one_of(
    st.just(""), st.just(""), st.just(""),
    st.sampled_from(["0", "1", "2", "5", "12", "-1", "2.5", "1.000", "99999", "100000",
                     "9" * 40, "１２", "ten"]),
    TEXT,
)
ACTIONS = st.one_of(
    st.just(""), st.just(""), st.just(""),
    st.sampled_from(["qty", "confirm", "done", "cancel", "whole", "undo", "empty", "expiry",
                     "noexpiry", "short", "take", "blind", "none", "close", "to", "release",
                     "resume", "bogus"]),
)
UNDO = re.compile(r'name="undo" value="([^"]*)"')
WORKERS = ["wendy", "wendy", "oscar"]  # two handhelds; the second now and then
STATE_KEYS = ["receipt", "sku", "qty", "lot", "expiry", "from", "to", "list", "bin", "task",
              "counts", "whole", "all", "stage", "line", "short", "release", "at", "cancel"]


@dataclass
class Handheld:
    """One worker's scanner: signed in, on a screen, with the page's state and key."""

    client: object
    screen: str = "/move"
    state: dict = field(default_factory=dict)
    key: str = ""
    undo: str = ""  # the movement the page offers to undo


def stocked_site():
    site = build_site()
    for sku, lot, qty, where in [("1042", None, 20, "A-01-01-A"), ("1042", None, 4, "DOCK-1"),
                                 ("2001", "L1", 6, "A-01-02-A"), ("3001", "SN1", 1, "B-01-01-A")]:
        stock.receive(site.worker, to_bin=where, sku=sku, qty=qty, lot=lot,
                      expiry=site.expiry if lot else None, key=uuid.uuid4().hex)
    with db.session.begin():
        receipt = Receipt(number="PO1001", warehouse_id=site.warehouse.id, supplier="Acme")
        receipt.lines = [ReceiptLine(item_id=site.widget.id, expected_qty=24),
                         ReceiptLine(item_id=site.milk.id, expected_qty=6)]
        pick_list = PickList(number="PL7", warehouse_id=site.warehouse.id)
        pick_list.lines = [PickLine(item_id=site.widget.id, ordered_qty=3),
                           PickLine(item_id=site.milk.id, ordered_qty=2)]
        db.session.add_all([receipt, pick_list,
                            CountTask(number="CT3001", location_id=site.a1.id)])
        db.session.get(User, site.worker.id).warehouse_id = site.warehouse.id  # oscar: any
    return site


REQUEST = st.fixed_dictionaries(
    {
        "screen": st.sampled_from(SCREENS + [None] * 15),  # None: stay on this screen
        "scan": SCANS,
        "action": ACTIONS,
        "qty": QUANTITIES,
        "date": st.one_of(st.sampled_from(["", "2027-03-31", "2020-01-01", "31/03/2027"]), TEXT),
        "choose": st.one_of(st.just(""), st.just(""), st.just(""), SCANS),
        "resend": st.sampled_from([False] * 5 + [True]),  # a double press, a retry
        "edit": st.sampled_from([None] * 10) | st.tuples(st.sampled_from(STATE_KEYS), TEXT),
        "who": st.sampled_from(WORKERS),
    }
)
# Whole errands done right, from a fresh screen, so that random requests land between
# postings (and undo them, resend them, count what they moved...): (screen, scans).
ERRANDS = st.sampled_from([
    ("/move", ["A0101A", "05012345678900", "A0102A"]),
    ("/move", ["A0102A", "04006381333931", "L1", "B0101A"]),
    ("/move", ["DOCK1", "05012345678900", "B0101A"]),
    ("/move", ["B0101A", "action:whole", "A0102A"]),
    ("/receive", ["PO1001", "15012345678907", "DOCK1"]),
    ("/receive", ["PO1001", "04006381333931", "L9", "action:noexpiry", "A0101A"]),
    ("/receive", ["action:blind", "05012345678900", "qty:7", "A0102A"]),
    ("/receive", ["PO1001", "action:close"]),
    ("/pick", ["action:take", "A0101A", "05012345678900", "05012345678900", "05012345678900"]),
    ("/pick", ["PL7", "A0102A", "04006381333931", "qty:1", "action:short"]),
    ("/pick", ["action:take", "A0101A", "05012345678900", "action:release", "action:release"]),
    ("/count", ["CT3001", "A0101A", "05012345678900", "qty:19", "action:done"]),
    ("/count", ["A0101A", "action:empty", "action:empty"]),
])


def errand_requests(errand, who: str) -> list[dict]:
    screen, scans = errand
    requests = []
    for scan in scans:
        request = dict(screen=screen, scan=scan, action="", qty="", date="", choose="",
                       resend=False, edit=None, who=who)
        kind, _, value = scan.rpartition(":")
        if kind == "action":
            request.update(scan="", action=value)
        elif kind == "qty":
            request.update(scan="", action="qty", qty=value)
        requests.append(request)
    requests[0]["fresh"] = True  # the worker opens the screen anew
    return requests


def test_no_input_on_any_floor_screen_is_a_server_error_or_breaks_the_ledger(app):
    examples = int(os.environ.get("FUZZ_EXAMPLES", "60"))

    errands = st.tuples(ERRANDS, st.sampled_from(WORKERS)).map(lambda e: errand_requests(*e))

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.one_of(REQUEST.map(lambda r: [r]), errands), min_size=3, max_size=20))
    def careless_workers(batches):
        reset_data()
        stocked_site()
        handhelds = {}
        for name in set(WORKERS):
            handhelds[name] = Handheld(app.test_client())
            sign_in(handhelds[name].client, name)
        for r in [request for batch in batches for request in batch]:
            send(handhelds[r["who"]], r)
            db.session.rollback()  # read what the requests wrote, not an old snapshot
            assert ledger_matches_balances()

    careless_workers()


def send(gun: Handheld, r: dict) -> None:
    """One request `r` from a handheld, as its page would send it; the page it gets back
    becomes the handheld's. Fails on anything but the step (200) or a refusal (422)."""
    if r.get("fresh"):
        gun.state = {}
    if r["screen"]:
        gun.screen = r["screen"]  # the state stays: a page from another screen
    if r["edit"]:
        gun.state[r["edit"][0]] = r["edit"][1]
    if not r["resend"]:
        gun.key = uuid.uuid4().hex
    data = {f"s_{k}": v for k, v in gun.state.items()}
    data.update(scan=r["scan"], action=r["action"], qty=r["qty"], date=r["date"],
                choose=r["choose"], key=gun.key, device=r["who"], undo=gun.undo)
    response = gun.client.post(gun.screen, data=data, headers=SCAN_QUEUE)
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 422), (gun.screen, data, body[:500])
    assert body.lstrip().startswith('<div id="step"'), (gun.screen, data, body[:300])
    gun.state = page_state(body)
    gun.undo = next(iter(UNDO.findall(body)), "")
