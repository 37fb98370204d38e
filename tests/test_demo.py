"""The demo warehouse, loaded once per database through `flask load-demo --if-empty`.

Loading 500 items takes seconds, so one module-scoped app per database holds the loaded
demo and every test here only reads it (the CLI tests check that a second load writes
nothing).
"""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import _app_for
from webapp import demo, picking
from webapp.barcodes import is_valid_gtin
from webapp.db import db
from webapp.models import (
    CountTask,
    Item,
    ItemBarcode,
    Location,
    LocationKind,
    Lot,
    PickList,
    Receipt,
    StockBalance,
    StockMovement,
    Tracking,
    User,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(request, tmp_path_factory):
    """An app whose database holds the demo, and what the first load printed."""
    app = _app_for(request.param, tmp_path_factory.mktemp(request.param))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["load-demo", "--if-empty"])
        yield app, result
        db.session.remove()
        db.engine.dispose()


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_first_load_succeeds_and_says_what_it_made(loaded):
    _, result = loaded
    assert result.exit_code == 0, result.output
    assert "Loaded the demo warehouse" in result.output
    assert "500 items" in result.output


def test_after_loading_the_planner_knows_the_tables_sizes(loaded):
    # Before statistics exist PostgreSQL guesses a table or two of rows, and a pick scan's
    # stock query then walked every bin; the load ends with ANALYZE.
    if db.engine.dialect.name == "postgresql":
        analyzed = "SELECT reltuples FROM pg_class WHERE relname = 'location'"
    else:
        analyzed = "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'location' LIMIT 1"
    assert db.session.scalar(sa.text(analyzed)) > 250


def test_the_demo_has_about_300_bins_in_two_zones_plus_dock_shipping_and_quarantine(loaded):
    racking = count(Location, Location.kind.in_([LocationKind.PICK, LocationKind.STORAGE]))
    assert racking == 300
    zones = set(db.session.scalars(sa.select(Location.zone).where(Location.zone != "")))
    assert zones == {"PICK", "RESERVE"}
    kinds = dict(db.session.execute(sa.select(Location.code, Location.kind)).all())
    assert kinds["DOCK-01"] == LocationKind.DOCK
    assert kinds["SHIP-01"] == LocationKind.STAGING
    assert LocationKind.QUARANTINE in kinds.values()
    pick_levels = set(
        db.session.scalars(sa.select(Location.level).where(Location.kind == LocationKind.PICK))
    )
    assert pick_levels == {"01", "02"}


def test_every_bin_barcode_is_its_code_without_dashes_and_only_digits_and_capitals(loaded):
    for code, barcode in db.session.execute(sa.select(Location.code, Location.barcode)):
        assert re.fullmatch(r"[0-9A-Z]+", barcode)
        assert barcode == code.replace("-", "")
    assert db.session.scalar(sa.select(Location.barcode).where(Location.code == "A-01-02-B")) == (
        "A0102B"
    )


def test_the_walking_order_snakes_up_aisle_a_and_back_down_aisle_b(loaded):
    walk = list(
        db.session.scalars(
            sa.select(Location.code)
            .where(Location.level == "01", Location.position == "A")
            .order_by(Location.sequence)
        )
    )
    assert walk[:10] == [f"A-{bay:02d}-01-A" for bay in range(1, 11)]
    assert walk[10:20] == [f"B-{bay:02d}-01-A" for bay in range(10, 0, -1)]
    sequences = list(db.session.scalars(sa.select(Location.sequence)))
    assert len(set(sequences)) == len(sequences)


def test_the_demo_has_500_items_each_with_a_valid_gtin_and_some_case_barcodes(loaded):
    assert count(Item) == 500
    assert count(Item, ~Item.barcodes.any()) == 0
    for code, pack_qty in db.session.execute(sa.select(ItemBarcode.code, ItemBarcode.pack_qty)):
        if code.isdigit():
            assert len(code) == 14 and is_valid_gtin(code), code
        if code.startswith("1"):
            assert pack_qty in (6, 12, 24)
        else:
            assert pack_qty == 1
    cases = count(ItemBarcode, ItemBarcode.pack_qty > 1)
    assert 50 <= cases <= 200
    descriptions = set(db.session.scalars(sa.select(Item.description)))
    assert len(descriptions) == 500
    assert len(set(db.session.scalars(sa.select(Item.inventory_type)))) >= 5
    assert len(set(db.session.scalars(sa.select(Item.uom)))) >= 5


def test_lot_items_have_lots_that_expire_none_already_and_some_within_30_days(loaded):
    today = date.today()
    lot_items = count(Item, Item.tracking == Tracking.LOT)
    assert 10 <= lot_items <= 15
    expiries = list(
        db.session.scalars(sa.select(Lot.expiry).join(Item).where(Item.tracking == Tracking.LOT))
    )
    assert len(expiries) >= 2 * lot_items
    assert all(e is not None and e > today for e in expiries)
    assert any(e <= today + timedelta(days=30) for e in expiries)
    assert any(e > today + timedelta(days=90) for e in expiries)


def test_serial_items_hold_one_unit_per_serial_number(loaded):
    serial_items = count(Item, Item.tracking == Tracking.SERIAL)
    assert 2 <= serial_items <= 3
    rows = db.session.execute(
        sa.select(StockBalance.lot_id, StockBalance.quantity)
        .join(Item, Item.id == StockBalance.item_id)
        .where(Item.tracking == Tracking.SERIAL)
    ).all()
    assert len(rows) >= 2 * serial_items
    assert all(lot_id is not None and qty == 1 for lot_id, qty in rows)


def test_every_balance_equals_the_sum_of_its_ledger_movements(loaded):
    m = StockMovement
    inflow = sa.select(m.item_id, m.lot_id, m.to_location_id.label("loc"), m.quantity).where(
        m.to_location_id.isnot(None)
    )
    outflow = sa.select(m.item_id, m.lot_id, m.from_location_id.label("loc"), -m.quantity).where(
        m.from_location_id.isnot(None)
    )
    flows = sa.union_all(inflow, outflow).subquery()
    ledger = {
        (i, loc, lot): total
        for i, lot, loc, total in db.session.execute(
            sa.select(
                flows.c.item_id, flows.c.lot_id, flows.c.loc, sa.func.sum(flows.c.quantity)
            ).group_by(flows.c.item_id, flows.c.lot_id, flows.c.loc)
        )
    }
    balances = {
        (b.item_id, b.location_id, b.lot_id): b.quantity
        for b in db.session.scalars(sa.select(StockBalance))
    }
    assert balances == ledger
    assert sum(balances.values()) > 10_000
    system = db.session.scalar(sa.select(User.id).where(User.username == "system"))
    assert count(StockMovement, StockMovement.user_id != system) == 0
    assert count(StockMovement, StockMovement.reference != "OPENING") == 0


def test_the_demo_users_exist_with_their_roles_and_badges(loaded):
    people = {
        u.username: (u.role.value, u.badge)
        for u in db.session.scalars(sa.select(User).where(User.username != "system"))
    }
    assert people == {
        "wendy": ("worker", "U0001"),
        "walt": ("worker", "U0002"),
        "sam": ("supervisor", "U0003"),
        "ada": ("admin", "U0004"),
    }


def test_expected_receipts_have_lines_including_a_lot_item_and_a_cased_item(loaded):
    receipts = list(db.session.scalars(sa.select(Receipt).order_by(Receipt.number)))
    assert [r.number for r in receipts] == ["PO1001", "PO1002", "PO1003", "PO1004", "PO1005"]
    assert all(3 <= len(r.lines) <= 8 for r in receipts)
    first = [line.item for line in receipts[0].lines]
    assert any(i.tracking == Tracking.LOT for i in first)
    assert any(any(b.pack_qty > 1 for b in i.barcodes) for i in first)


def _held(item_id: int, *, kind=None) -> list[int]:
    query = sa.select(StockBalance.quantity).where(
        StockBalance.item_id == item_id, StockBalance.quantity > 0
    )
    if kind:
        query = query.join(Location).where(Location.kind == kind)
    return list(db.session.scalars(query))


def test_pick_lists_ask_for_stock_that_is_on_pick_faces_and_some_need_two_bins(loaded):
    pick_lists = list(db.session.scalars(sa.select(PickList).order_by(PickList.number)))
    assert [p.number for p in pick_lists] == [f"PL{2001 + n}" for n in range(8)]
    needs_two_bins = 0
    for pick_list in pick_lists:
        assert 3 <= len(pick_list.lines) <= 6
        for line in pick_list.lines:
            assert _held(line.item_id, kind=LocationKind.PICK)
            held = _held(line.item_id)
            assert sum(held) >= line.ordered_qty
            needs_two_bins += line.ordered_qty > max(held)
    assert needs_two_bins >= 3


def test_the_second_list_picks_a_lot_first_expiry_first_and_the_third_a_serial(loaded):
    # So the demo shows on the floor what a lot and a serial number do to a pick.
    lists = {p.number: p for p in db.session.scalars(sa.select(PickList))}
    lot_lines = [line for line in lists["PL2002"].lines if line.item.tracking == Tracking.LOT]
    assert len(lot_lines) == 1
    tasks = [t for t in picking.progress(lists["PL2002"]).found if t.line is lot_lines[0]]
    soonest = db.session.scalars(
        sa.select(Lot)
        .join(StockBalance, StockBalance.lot_id == Lot.id)
        .where(Lot.item_id == lot_lines[0].item_id, StockBalance.quantity > 0)
        .order_by(Lot.expiry)
    ).first()
    assert [t.lot for t in tasks] == [soonest]
    assert tasks[0].location.kind == LocationKind.PICK
    serial = [
        line.ordered_qty for line in lists["PL2003"].lines if line.item.tracking == Tracking.SERIAL
    ]
    assert serial == [1]
    assert all(
        t.line.item.tracking == Tracking.NONE
        for n in ("PL2001", "PL2004", "PL2005", "PL2006", "PL2007", "PL2008")
        for t in picking.progress(lists[n]).found
    )


def test_count_tasks_cover_bins_with_stock_and_one_empty_bin(loaded):
    tasks = list(db.session.scalars(sa.select(CountTask).order_by(CountTask.number)))
    assert len(tasks) == 11
    stocked = [
        bool(
            count(
                StockBalance, StockBalance.location_id == t.location_id, StockBalance.quantity > 0
            )
        )
        for t in tasks
    ]
    assert stocked.count(False) == 1


def test_document_numbers_are_barcodes_of_digits_and_capitals(loaded):
    for model in (Receipt, PickList, CountTask):
        for number in db.session.scalars(sa.select(model.number)):
            assert re.fullmatch(r"[0-9A-Z]+", number)


def test_loading_again_with_if_empty_does_nothing_and_says_so(loaded):
    app, _ = loaded
    before = (count(Item), count(StockMovement), count(User))
    result = app.test_cli_runner().invoke(args=["load-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "was not loaded" in result.output
    assert (count(Item), count(StockMovement), count(User)) == before


def test_loading_again_without_if_empty_is_refused_and_writes_nothing(loaded):
    app, _ = loaded
    before = (count(Item), count(StockMovement), count(User))
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 1
    assert "only into an empty database" in result.output
    assert (count(Item), count(StockMovement), count(User)) == before


def test_the_same_seed_and_day_plan_the_same_warehouse():
    day = date(2026, 11, 25)
    assert demo.plan(7, day) == demo.plan(7, day)
    assert demo.plan(7, day) != demo.plan(8, day)
