"""A supervisor decides on count variances at a desk while a worker counts on the floor."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.handheld import Handheld, sign_in
from webapp.models import (
    CountTask,
    DocStatus,
    Item,
    Location,
    Role,
    StockBalance,
    Tracking,
    User,
)

pytestmark = pytest.mark.browser
DESK = {"width": 1280, "height": 800}


@pytest.fixture
def desk(chromium):
    """The supervisor's browser: its own context (own sign-in) at a desktop size."""
    context = chromium.new_context(viewport=DESK)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def two_bins(floor):
    """Two open count tasks in one zone whose bins hold only untracked items:
    [(task number, bin, zone, [(sku, description, each EAN, system quantity)])]."""
    by_zone = {}
    with floor.session() as session:
        for task in session.scalars(sa.select(CountTask).order_by(CountTask.number)):
            rows = session.execute(
                sa.select(Item, StockBalance.quantity)
                .join(StockBalance, StockBalance.item_id == Item.id)
                .where(StockBalance.location_id == task.location_id, StockBalance.quantity > 0)
                .order_by(Item.sku)
            ).all()
            eaches = [_each(item) for item, _ in rows if item.tracking == Tracking.NONE]
            if not rows or not all(eaches) or len(eaches) != len(rows):
                continue
            held = [
                (item.sku, item.description, ean[1:], qty)
                for (item, qty), ean in zip(rows, eaches, strict=True)
            ]
            zone = task.location.zone
            by_zone.setdefault(zone, []).append((task.number, task.location.code, zone, held))
            if len(by_zone[zone]) == 2:
                return by_zone[zone]
    raise AssertionError("the demo has no two count tasks for bins of untracked items in a zone")


def _each(item: Item) -> str:
    return next((b.code for b in item.barcodes if b.pack_qty == 1), "")


def count(gun: Handheld, floor, code: str, held, off: int) -> None:
    """Count the bin blind: every item as the system holds it, but the first one `off`."""
    gun.open(f"{floor.url}/count")
    gun.scan(code.replace("-", ""), f"Counting {code}.")
    for n, (sku, _, ean, qty) in enumerate(held):
        counted = qty + off if n == 0 else qty
        gun.scan(ean, f"{sku}: 1.")
        if counted != 1:
            gun.set_qty(counted, f"{sku}: set to {counted}.")
    gun.tap("Done", f"Counted {code}: 1 difference sent to a supervisor.", "warn")


def listed(page, code: str) -> dict[str, str]:
    """The queue's row for a bin: column label to the text shown."""
    row = page.locator("#queue tbody.variance", has_text=code).locator("tr").first
    cells = row.locator("td").evaluate_all("tds => tds.map(td => [td.dataset.label, td.innerText])")
    return {label: " ".join(text.split()) for label, text in cells}


def expected_row(code, zone, sku, description, system, counted) -> dict[str, str]:
    return {
        "Bin": f"{code} zone {zone}",
        "Item": f"{sku} {description}",
        "System at count": str(system),
        "Counted": str(counted),
        "Difference": f"{counted - system:+d}",
    }


def shown(page, code: str) -> dict[str, str]:
    row = listed(page, code)
    return {
        label: row[label] for label in ("Bin", "Item", "System at count", "Counted", "Difference")
    }


def caption(n: int, zone: str = "") -> str:
    where = f" in zone {zone}" if zone else ""
    return f"{n} variance{'s' * (n != 1)} waiting{where}, largest value first"


@pytest.mark.parametrize("floor", ["sqlite", "postgresql"], indirect=True)
def test_a_supervisor_approves_one_count_variance_and_sends_another_for_a_recount(
    floor, page, desk, shots
):
    (first_task, first_bin, zone, first_held), (second_task, second_bin, _, second_held) = two_bins(
        floor
    )
    first_sku, first_description, _, first_qty = first_held[0]
    second_sku, second_description, _, second_qty = second_held[0]
    sign_in(page, floor.url)  # wendy, on the handheld
    gun = Handheld(page, shots)
    count(gun, floor, first_bin, first_held, off=-1)

    sign_in(desk, floor.url, "U0003", "3333")  # sam, at the desk
    desk.goto(f"{floor.url}/supervisor/counts")
    expect(desk.locator("#queue caption")).to_have_text(caption(1))
    assert shown(desk, first_bin) == expected_row(
        first_bin, zone, first_sku, first_description, first_qty, first_qty - 1
    )
    assert listed(desk, first_bin)["Counted by"].startswith("Wendy Walker")
    assert first_task in listed(desk, first_bin)["Counted by"]

    # The queue fills as the floor counts: the zone filter fetches it afresh.
    count(gun, floor, second_bin, second_held, off=+2)
    desk.select_option("#zone", zone)
    expect(desk.locator("#queue caption")).to_have_text(caption(2, zone))
    assert desk.url.endswith(f"/supervisor/counts?zone={zone}")
    assert shown(desk, second_bin) == expected_row(
        second_bin, zone, second_sku, second_description, second_qty, second_qty + 2
    )
    assert second_task in listed(desk, second_bin)["Counted by"]
    desk.reload()  # the pushed URL is a page of its own
    expect(desk.locator("#zone")).to_have_value(zone)
    expect(desk.locator("#queue caption")).to_have_text(caption(2, zone))
    assert shown(desk, first_bin)["Difference"] == "-1"
    assert shown(desk, second_bin)["Difference"] == "+2"
    shots(desk, "queue")
    assert floor.movements() == []  # nothing posts until a supervisor decides

    first_row = desk.locator("#queue tbody.variance", has_text=first_bin)
    first_row.locator("input[name=reason]").fill("one damaged, thrown away")
    first_row.get_by_role("button", name="Approve").click()
    decision = desk.locator("#queue .results li")
    expect(decision).to_have_text(
        f"Approved {first_bin} {first_sku}: -1 posted against count {first_task}."
    )
    expect(decision).to_have_class(re.compile(r"\bstatus-ok\b"))
    expect(desk.locator("#queue caption")).to_have_text(caption(1, zone))
    expect(desk.locator("#queue tbody.variance", has_text=first_bin)).to_have_count(0)
    shots(desk, "approved")
    assert floor.movements() == [("adjust", first_sku, None, 1, first_bin, None)]
    assert floor.on_hand(first_sku, first_bin) == first_qty - 1

    desk.locator("#queue tbody.variance", has_text=second_bin).get_by_role(
        "button", name="Recount"
    ).click()
    expect(decision).to_have_text(
        re.compile(rf"^Rejected {second_bin} {second_sku}: recount RC\d+ raised for [\w ]+\.$")
    )
    expect(desk.locator("#queue")).to_contain_text(f"No variances are waiting in zone {zone}.")
    shots(desk, "rejected")
    assert floor.movements() == [("adjust", first_sku, None, 1, first_bin, None)]
    assert floor.on_hand(second_sku, second_bin) == second_qty
    with floor.session() as session:
        recounts = session.execute(
            sa.select(CountTask.number, User.username, User.name, User.role)
            .join(Location, CountTask.location_id == Location.id)
            .join(User, CountTask.assigned_to_id == User.id)
            .where(
                Location.code == second_bin,
                CountTask.source == "recount",
                CountTask.status == DocStatus.OPEN,
            )
        ).all()
    assert len(recounts) == 1
    number, username, name, role = recounts[0]
    assert username != "wendy" and role == Role.WORKER
    expect(decision).to_have_text(
        f"Rejected {second_bin} {second_sku}: recount {number} raised for {name}."
    )


def test_approving_a_costly_variance_without_a_reason_says_one_is_needed_and_posts_nothing(
    floor, page, desk
):
    (task, code, _, held), _ = two_bins(floor)
    sku, _, _, qty = held[0]
    with floor.session() as session:
        cost = session.scalar(sa.select(Item.unit_cost).where(Item.sku == sku))
    most = Decimal(str(floor.app.config["REASON_REQUIRED_VALUE"]))
    over = int(most / cost) + 1  # the fewest extra units worth more than that
    sign_in(page, floor.url)
    count(Handheld(page), floor, code, held, off=over)
    sign_in(desk, floor.url, "U0003", "3333")
    desk.goto(f"{floor.url}/supervisor/counts")
    row = desk.locator("#queue tbody.variance", has_text=code)
    expect(row.locator("input[name=reason]")).to_have_attribute("placeholder", "Reason (required)")

    row.get_by_role("button", name="Approve").click()
    expect(desk.get_by_role("alert")).to_have_text(
        f"{code} {sku}: a variance worth {over * cost:,.2f} needs a reason (above {most:,.2f})."
    )
    assert floor.movements() == []

    row.locator("input[name=reason]").fill("a pallet put away here unscanned")
    row.get_by_role("button", name="Approve").click()
    expect(desk.locator("#queue .results li")).to_have_text(
        f"Approved {code} {sku}: {over:+d} posted against count {task}."
    )
    assert floor.movements() == [("adjust", sku, None, over, None, code)]
    assert floor.on_hand(sku, code) == qty + over
