"""Picking a pick list in walking order, and counting a bin blind, in a real browser."""

import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.handheld import TAB, Handheld, sign_in
from webapp import stock
from webapp.models import (
    CountLine,
    CountStatus,
    CountTask,
    Item,
    Location,
    LocationKind,
    Lot,
    PickLine,
    PickList,
    StockBalance,
    Tracking,
    User,
)

pytestmark = pytest.mark.browser
SHIP = "SHIP-01"
PICKABLE = (LocationKind.PICK, LocationKind.STORAGE)


def walk(floor, number):
    """The pick list's bins as the walk should visit them, worked out from the balances:
    each line from the first bin in walking order that holds its item, nearest bin first,
    a line larger than that bin going on to the next bin holding it.
    Returns [(bin, sku, description, EAN, qty, bins holding the item)]."""
    with floor.session() as session:
        pick_list = session.scalar(sa.select(PickList).where(PickList.number == number))
        lines = [
            (line.item.sku, line.item.description, line.item.barcodes[0].code, line.ordered_qty)
            for line in pick_list.lines
        ]
        held = {}
        for sku, _, _, _ in lines:
            held[sku] = [
                list(row)
                for row in session.execute(
                    sa.select(Location.sequence, Location.code, StockBalance.quantity)
                    .join(StockBalance, StockBalance.location_id == Location.id)
                    .join(Item, Item.id == StockBalance.item_id)
                    .where(Item.sku == sku, StockBalance.quantity > 0, Location.kind.in_(PICKABLE))
                    .order_by(Location.sequence)
                )
            ]
    left = [qty for *_, qty in lines]
    visits = []
    while True:
        tasks = [
            (held[sku][0][0], held[sku][0][1], n)
            for n, (sku, *_rest) in enumerate(lines)
            if left[n] and held[sku]
        ]
        if not tasks:
            return visits
        _, code, n = min(tasks)
        sku, description, ean, _ = lines[n]
        qty = min(left[n], held[sku][0][2])
        visits.append((code, sku, description, ean[1:], qty, len(held[sku])))
        left[n] -= qty
        held[sku][0][2] -= qty
        if not held[sku][0][2]:
            held[sku].pop(0)


@pytest.mark.parametrize("floor", ["sqlite", "postgresql"], indirect=True)
def test_a_pick_list_is_picked_in_walking_order_with_refusals_and_a_short_pick(floor, page, shots):
    visits = walk(floor, "PL2001")
    # The demo's PL2001 has a line bigger than its first bin, and a line from one bin only.
    assert len({sku for _, sku, *_ in visits}) < len(visits)
    short = next(n for n, v in enumerate(visits[:-1]) if v[4] >= 2 and v[5] == 1)
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/pick")
    gun.tap("Take next", "Picking PL2001.", shot="taken")
    expected = []
    for n, (code, sku, description, ean, qty, _) in enumerate(visits):
        if n and visits[n - 1][0] == code:  # the next line is in the same bin: no second scan
            assert gun.prompt() == f"Scan the item {sku}"
            same_bin = True
        else:
            assert gun.prompt() == f"Go to {code}, scan the bin"
            same_bin = False
        if n == 0:
            wrong_bin = visits[-1][0]
            gun.scan(
                wrong_bin.replace("-", ""),
                f"Wrong bin: that is {wrong_bin}. Go to {code}.",
                "error",
                shot="wrong-bin",
            )
        if not same_bin:
            gun.scan(code.replace("-", ""), f"Bin {code}: pick {qty}.", suffix=TAB, shot="at-bin")
        if n == 0:
            other = next(v for v in visits if v[1] != sku)
            gun.scan(
                "]E0" + other[3],
                f"Wrong item: that is {other[1]}. Pick {sku} ({description}).",
                "error",
                shot="wrong-item",
            )
        assert floor.movements() == expected
        picked = f"Picked: {qty} × {sku} from {code} to {SHIP}."
        if qty == 1:
            gun.scan("]E0" + ean, picked)
            expected.append(("pick", sku, None, qty, code, SHIP))
            continue
        gun.scan("]E0" + ean, f"1 of {qty}.")
        if n == short:
            said = re.compile(
                rf"^Short pick: found 1 of {qty} in {code}; count CS\w+ raised\. "
                rf"No other bin holds {sku}: {qty - 1} recorded short\.$"
            )
            gun.tap("Short", f"Only 1 of {qty} in {code}? Press Short again to confirm, or "
                    "type what you found and press Short.", "warn")
            gun.tap("Short", said, "warn", shot="short")
            expected.append(("pick", sku, None, 1, code, SHIP))
        else:
            gun.set_qty(qty, picked, press="Set" if n % 2 else "Enter")
            expected.append(("pick", sku, None, qty, code, SHIP))
        assert floor.movements() == expected
    assert gun.prompt() == "Pick list done"
    shots(page, "done")
    assert floor.movements() == expected
    for sku in {sku for _, sku, *_ in visits}:  # staging held none of them before
        assert floor.on_hand(sku, SHIP) == sum(m[3] for m in expected if m[1] == sku)
    with floor.session() as session:
        done = session.scalar(sa.select(PickList).where(PickList.number == "PL2001"))
        assert done.status.value == "closed"
        assert [line.short_qty for line in done.lines if line.short_qty] == [visits[short][4] - 1]
    # Undo on the finished list: the list opens again and leads back to the line's bin.
    code, sku, _, ean, qty, _ = visits[-1]
    gun.tap(
        "Undo",
        f"Undone: {qty} × {sku} from {SHIP} to {code}. Pick list PL2001 is open again.",
        shot="undone",
    )
    assert gun.prompt() == f"Go to {code}, scan the bin"
    gun.scan(code.replace("-", ""), f"Bin {code}: pick {qty}.")
    picked = f"Picked: {qty} × {sku} from {code} to {SHIP}."
    if qty == 1:
        gun.scan("]E0" + ean, picked)
    else:
        gun.set_qty(qty, picked)
    assert gun.prompt() == "Pick list done"
    expected += [("reverse", sku, None, qty, SHIP, code), ("pick", sku, None, qty, code, SHIP)]
    assert floor.movements() == expected


def blind_task(floor):
    """An open count task whose bin holds two or more untracked items: its number, bin
    and [(sku, EAN, system quantity)]."""
    with floor.session() as session:
        for task in session.scalars(sa.select(CountTask).order_by(CountTask.number)):
            rows = session.execute(
                sa.select(Item, StockBalance.quantity)
                .join(StockBalance, StockBalance.item_id == Item.id)
                .where(StockBalance.location_id == task.location_id, StockBalance.quantity > 0)
                .order_by(Item.sku)
            ).all()
            if len(rows) >= 2 and all(i.tracking == Tracking.NONE for i, _ in rows):
                held = [(i.sku, i.barcodes[0].code[1:], q) for i, q in rows]
                return task.number, task.location.code, held
    raise AssertionError("the demo has no count task for a bin of untracked items")


def test_a_bin_holding_two_lots_asks_for_the_lot_label_before_units_count(floor, page, shots):
    with floor.session() as session:
        # The demo's first lot item, in two bins: a later lot is put away beside the first.
        item = session.scalar(
            sa.select(Item).where(Item.tracking == Tracking.LOT).order_by(Item.sku).limit(1)
        )
        held = session.execute(
            sa.select(Location.code, Lot.code)
            .join(StockBalance, StockBalance.location_id == Location.id)
            .join(Lot, Lot.id == StockBalance.lot_id)
            .where(StockBalance.item_id == item.id, StockBalance.quantity > 0)
            .order_by(Lot.expiry)
        ).all()
        (here, first), (there, later) = held[0], held[1]
        stocker = session.scalar(sa.select(User).where(User.username == "walt"))
        stock.move(stocker, from_bin=there, to_bin=here, sku=item.sku, qty=2, lot=later,
                   key=uuid.uuid4().hex)
        warehouse_id = session.scalar(sa.select(Location.warehouse_id).where(Location.code == here))
        pick_list = PickList(number="PL2990", warehouse_id=warehouse_id)
        pick_list.lines = [PickLine(item_id=item.id, ordered_qty=2)]
        session.add(pick_list)
        session.commit()
        sku, ean = item.sku, item.barcodes[0].code[1:]
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/pick")
    gun.scan("PL2990", "Picking PL2990.")
    gun.scan(here.replace("-", ""), f"Bin {here}: pick 2.")
    assert gun.prompt() == f"Scan the label of lot {first} ({sku})"
    expect(page.locator("#qty")).to_have_count(0)  # no typed number for an unchecked lot
    gun.scan("]E0" + ean, f"{here} holds 2 lots of {sku}: scan the label of lot {first} "
             "(it expires first), then each unit.", "warn", shot="which-lot")
    gun.scan(later, f"Wrong lot: take lot {first}, which expires first.", "error")
    gun.scan(first, f"Lot {first}: scan each {sku} you take.")
    assert gun.prompt() == f"Scan the item {sku}"
    gun.set_qty(2, f"Picked: 2 × {sku} lot {first} from {here} to {SHIP}.")
    assert floor.movements()[-1] == ("pick", sku, first, 2, here, SHIP)
    assert floor.on_hand(sku, here, lot=later) == 2


def test_a_bin_is_counted_blind_and_a_variance_waits_for_a_supervisor(floor, page, shots):
    number, code, held = blind_task(floor)
    (first, first_ean, first_qty), (second, second_ean, second_qty) = held[:2]
    sign_in(page, floor.url)
    gun = Handheld(page, shots)
    gun.open(f"{floor.url}/count")
    gun.scan(code.replace("-", ""), f"Counting {code}.", shot="count-bin")
    gun.scan(first_ean, f"{first}: 1.", shot="counting")
    # Blind: the screen never shows what the system holds.
    shown = set(re.findall(r"\d+", page.locator("#step").inner_text()))
    assert not {str(q) for _, _, q in held} & shown - set(re.findall(r"\d+", code + number))
    gun.set_qty(first_qty - 1, f"{first}: set to {first_qty - 1}.")
    gun.scan(second_ean, f"{second}: 1.", suffix=TAB)
    gun.set_qty(second_qty, f"{second}: set to {second_qty}.", press="Set")
    shots(page, "count-before-done")
    more = len(held) - 2
    differences = 1 + more
    gun.tap(
        "Done",
        f"Counted {code}: {differences} difference{'s' * (differences != 1)} sent to a supervisor.",
        "warn",
        shot="count-variance",
    )
    assert floor.movements() == []  # nothing posts until a supervisor approves
    assert floor.on_hand(first, code) == first_qty
    with floor.session() as session:
        lines = session.execute(
            sa.select(Item.sku, CountLine.system_qty, CountLine.counted_qty, CountLine.status)
            .join(Item, Item.id == CountLine.item_id)
            .join(CountTask, CountTask.id == CountLine.task_id)
            .where(CountTask.number == number)
            .order_by(Item.sku)
        ).all()
    counted = {first: first_qty - 1, second: second_qty}
    assert [tuple(line) for line in lines] == [
        (
            sku,
            qty,
            counted.get(sku, 0),
            CountStatus.MATCHED if counted.get(sku, 0) == qty else CountStatus.PENDING,
        )
        for sku, _, qty in held
    ]
