"""Reports' numbers on a small hand-built site, on both databases."""

import csv
import io
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from webapp import inventory, reports, stock
from webapp.db import db
from webapp.models import (
    CountLine,
    CountStatus,
    CountTask,
    DocStatus,
    InventoryType,
    Item,
    Location,
    PickLine,
    PickList,
    Receipt,
    StockMovement,
    utcnow,
)
from webapp.reports import MovementFilter


def key() -> str:
    return uuid.uuid4().hex


def receive(site, to, qty, sku="1042", lot=None, user=None, expiry=None, device=""):
    return stock.receive(
        user or site.worker,
        to_bin=to,
        sku=sku,
        qty=qty,
        lot=lot,
        expiry=(expiry or site.expiry) if lot else None,
        key=key(),
        device=device,
    ).movement.id


def backdate(movement_id: int, when: datetime) -> None:
    """Test set-up only: the ledger never changes a posted movement."""
    with db.session.begin():
        db.session.execute(
            sa.update(StockMovement).where(StockMovement.id == movement_id).values(created_at=when)
        )


def update(model, id, **values) -> None:
    with db.session.begin():
        db.session.execute(sa.update(model).where(model.id == id).values(**values))


# --- the floor now ---------------------------------------------------------------------


def test_the_overview_counts_open_work_and_shows_who_is_picking_what(site):
    with db.session.begin():
        wh = site.warehouse.id
        db.session.add_all(
            [
                Receipt(number="R1", warehouse_id=wh),
                Receipt(number="R2", warehouse_id=wh, status=DocStatus.IN_PROGRESS),
                Receipt(number="R3", warehouse_id=wh, status=DocStatus.CLOSED),
                PickList(number="P1", warehouse_id=wh),
                PickList(
                    number="P2",
                    warehouse_id=wh,
                    status=DocStatus.IN_PROGRESS,
                    assigned_to_id=site.other.id,
                    assigned_at=utcnow(),
                    lines=[
                        PickLine(item_id=site.widget.id, ordered_qty=2),
                        PickLine(item_id=site.milk.id, ordered_qty=1),
                    ],
                ),
                PickList(number="P3", warehouse_id=wh, status=DocStatus.CANCELLED),
                CountTask(number="C1", location_id=site.a1.id),
                CountTask(
                    number="C2",
                    location_id=site.a2.id,
                    status=DocStatus.CLOSED,
                    lines=[
                        CountLine(
                            item_id=site.widget.id,
                            system_qty=5,
                            counted_qty=4,
                            status=CountStatus.PENDING,
                        ),
                        CountLine(
                            item_id=site.milk.id,
                            system_qty=1,
                            counted_qty=0,
                            status=CountStatus.PENDING,
                        ),
                        CountLine(
                            item_id=site.drill.id,
                            system_qty=1,
                            counted_qty=1,
                            status=CountStatus.MATCHED,
                        ),
                    ],
                ),
            ]
        )
    o = reports.floor_overview()
    assert (o["receipts"], o["pick_lists"], o["count_tasks"], o["variances"]) == (2, 2, 1, 2)
    assert [(p.number, p.name, p.lines) for p in o["picking"]] == [("P2", "Oscar Other", 2)]


def test_the_overview_shows_each_users_last_movement_in_the_last_hour_with_its_device(site):
    old = receive(site, "A-01-01-A", 1, device="TC52-old")
    backdate(old, utcnow() - timedelta(hours=2))
    receive(site, "A-01-01-A", 2, device="TC52-7")
    receive(site, "A-01-02-A", 3, device="TC52-7")
    receive(site, "B-01-01-A", 4, user=site.other, device="TC52-9")
    gone = receive(site, "B-01-01-A", 5, user=site.boss, device="DESK")
    backdate(gone, utcnow() - timedelta(minutes=61))
    active = reports.floor_overview()["active"]
    assert [(m.username, m.device_id, m.to_bin, m.quantity) for m in active] == [
        ("oscar", "TC52-9", "B-01-01-A", 4),
        ("wendy", "TC52-7", "A-01-02-A", 3),
    ]


# --- on hand, zones, types, empty bins -------------------------------------------------


def test_on_hand_lists_item_bin_and_lot_and_every_search_word_must_match(site):
    receive(site, "A-01-01-A", 7)
    receive(site, "B-01-01-A", 3)
    receive(site, "A-01-02-A", 2, sku="2001", lot="MILK42")
    rows, more = inventory.on_hand_rows()
    assert [(r.sku, r.bin, r.lot, r.quantity, r.value) for r in rows] == [
        ("1042", "A-01-01-A", None, 7, Decimal("17.50")),
        ("1042", "B-01-01-A", None, 3, Decimal("7.50")),
        ("2001", "A-01-02-A", "MILK42", 2, Decimal("5.00")),
    ]
    assert more is False

    def found(search):
        return [(r.sku, r.bin) for r in inventory.on_hand_rows(search)[0]]

    assert found("milk4") == [("2001", "A-01-02-A")]  # lot, any case
    assert found("b-01") == [("1042", "B-01-01-A")]  # bin
    assert found("item 1042 a-01") == [("1042", "A-01-01-A")]  # description and bin
    assert found("2001 B-01") == []
    assert found("%") == []  # a wildcard is text, not a pattern


def test_on_hand_shows_the_first_rows_and_says_there_are_more(site):
    for code in ("A-01-01-A", "A-01-02-A", "B-01-01-A"):
        receive(site, code, 1)
    rows, more = inventory.on_hand_rows(limit=2)
    assert [r.bin for r in rows] == ["A-01-01-A", "A-01-02-A"]
    assert more is True
    assert inventory.on_hand_rows(limit=3)[1] is False


def test_stock_by_zone_sums_units_and_value_of_each_zone(site):
    update(Location, site.b1.id, zone="B")
    receive(site, "A-01-01-A", 4)  # 4 x 2.50
    receive(site, "A-01-02-A", 2, sku="2001", lot="L1")  # 2 x 2.50
    receive(site, "B-01-01-A", 3)
    update(Item, site.milk.id, unit_cost=Decimal("1.10"))
    zones = [(z.zone, z.bins, z.units, z.value) for z in inventory.stock_by_zone()]
    assert zones == [("A", 2, 6, Decimal("12.20")), ("B", 1, 3, Decimal("7.50"))]


def test_stock_by_inventory_type_sums_units_and_value(site):
    update(Item, site.milk.id, inventory_type=InventoryType.RAW, unit_cost=Decimal("0.10"))
    receive(site, "A-01-01-A", 4)
    receive(site, "A-01-02-A", 3, sku="2001", lot="L1")
    receive(site, "B-01-01-A", 5, sku="2001", lot="L2")
    types = [(t.inventory_type, t.items, t.units, t.value) for t in inventory.stock_by_type()]
    assert types == [
        (InventoryType.FINISHED, 1, 4, Decimal("10.00")),
        (InventoryType.RAW, 1, 8, Decimal("0.80")),
    ]


def test_empty_bins_are_active_storage_bins_holding_nothing_even_after_stock_left(site):
    receive(site, "A-01-01-A", 4)
    receive(site, "A-01-02-A", 2)
    stock.move(site.worker, from_bin="A-01-02-A", to_bin="B-01-01-A", sku="1042", qty=2, key=key())
    # A-01-02-A keeps a zero balance row; the dock, staging and the closed bin are not listed.
    assert [b.code for b in inventory.empty_bins()] == ["A-01-02-A"]


# --- the ledger ------------------------------------------------------------------------


@pytest.fixture
def ledger(site):
    """Six movements: three receipts, a move, a pick and an adjustment, by three users."""
    ids = [
        receive(site, "DOCK-1", 10),
        receive(site, "DOCK-1", 5, sku="2001", lot="L1", user=site.other),
    ]
    ids.append(
        stock.move(
            site.worker, from_bin="DOCK-1", to_bin="A-01-01-A", sku="1042", qty=6, key=key()
        ).movement.id
    )
    ids.append(
        stock.pick(
            site.other, from_bin="A-01-01-A", to_bin="SHIP-1", sku="1042", qty=2, key=key()
        ).movement.id
    )
    ids.append(
        stock.adjust(
            site.boss, bin="A-01-01-A", sku="1042", delta="-1", reason="damaged", key=key()
        ).movement.id
    )
    ids.append(receive(site, "B-01-01-A", 1))
    for n, movement_id in enumerate(ids):
        backdate(movement_id, datetime(2026, 11, 1 + n, 12, 0))
    return ids


def page_ids(f=None, **kwargs):
    return [m.id for m in reports.movements_page(f or MovementFilter(), **kwargs).rows]


def test_the_ledger_filters_by_item_bin_user_kind_and_dates(site, ledger):
    m = ledger
    assert page_ids() == m[::-1]
    assert page_ids(MovementFilter(sku="2001")) == [m[1]]
    # A bin matches a movement into it and one out of it.
    assert page_ids(MovementFilter(bin="A-01-01-A")) == [m[4], m[3], m[2]]
    assert page_ids(MovementFilter(user="oscar")) == [m[3], m[1]]
    assert page_ids(MovementFilter(kind="receive")) == [m[5], m[1], m[0]]
    both = MovementFilter(since=date(2026, 11, 2), until=date(2026, 11, 4))  # until inclusive
    assert page_ids(both) == [m[3], m[2], m[1]]
    assert page_ids(MovementFilter(bin="DOCK-1", user="wendy", kind="move")) == [m[2]]


def test_an_unknown_item_bin_or_user_is_named_and_shows_nothing(site, ledger):
    for f, problem in [
        (MovementFilter(sku="NOPE"), "There is no item NOPE."),
        (MovementFilter(bin="X-1"), "There is no bin X-1."),
        (MovementFilter(user="nobody"), "There is no user nobody."),
    ]:
        page = reports.movements_page(f)
        assert (page.rows, page.problem) == ([], problem)


def test_the_filter_reads_query_arguments_and_drops_what_it_cannot_use():
    f = MovementFilter.from_args(
        {
            "sku": " 1042 ",
            "bin": "a-01-01-a",
            "user": "Wendy",
            "kind": "steal",
            "since": "x",
            "until": "2026-11-30",
        }
    )
    assert f == MovementFilter(sku="1042", bin="A-01-01-A", user="wendy", until=date(2026, 11, 30))
    assert f.args() == {"sku": "1042", "bin": "A-01-01-A", "user": "wendy", "until": "2026-11-30"}


def test_keyset_pages_walk_older_and_newer_without_gaps_or_repeats(site, ledger):
    m = ledger  # six movements, pages of two, newest first
    first = reports.movements_page(MovementFilter(), limit=2)
    assert ([r.id for r in first.rows], first.older, first.newer) == ([m[5], m[4]], m[4], None)
    second = reports.movements_page(MovementFilter(), before=first.older, limit=2)
    assert ([r.id for r in second.rows], second.older, second.newer) == ([m[3], m[2]], m[2], m[3])
    last = reports.movements_page(MovementFilter(), before=second.older, limit=2)
    # Exactly two left: a full last page with no older link.
    assert ([r.id for r in last.rows], last.older, last.newer) == ([m[1], m[0]], None, m[1])
    back = reports.movements_page(MovementFilter(), after=last.newer, limit=2)
    assert ([r.id for r in back.rows], back.older, back.newer) == ([m[3], m[2]], m[2], m[3])
    top = reports.movements_page(MovementFilter(), after=back.newer, limit=2)
    assert ([r.id for r in top.rows], top.older, top.newer) == ([m[5], m[4]], m[4], None)
    assert reports.movements_page(MovementFilter(), before=m[0], limit=2).rows == []


def test_keyset_pages_of_a_bin_take_movements_from_both_sides(site, ledger):
    m = ledger
    f = MovementFilter(bin="A-01-01-A")
    first = reports.movements_page(f, limit=2)
    assert ([r.id for r in first.rows], first.older) == ([m[4], m[3]], m[3])
    second = reports.movements_page(f, before=first.older, limit=2)
    assert ([r.id for r in second.rows], second.older, second.newer) == ([m[2]], None, m[2])


def read_csv(f=None) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(reports.movements_csv(f or MovementFilter())))))


def test_the_csv_export_has_every_matching_movement_across_batches(site, ledger, monkeypatch):
    monkeypatch.setattr("webapp.reports_ledger.CSV_BATCH", 2)
    rows = read_csv()
    assert rows[0] == reports.CSV_HEADER
    assert [int(r[0]) for r in rows[1:]] == ledger[::-1]
    adjust = rows[2]
    assert adjust[1:] == [
        "2026-11-05 12:00:00",
        "adjust",
        "1042",
        "",
        "A-01-01-A",
        "",
        "1",
        "sam",
        "",
        "",
        "damaged",
    ]
    assert [int(r[0]) for r in read_csv(MovementFilter(user="oscar"))[1:]] == [
        ledger[3],
        ledger[1],
    ]
    assert read_csv(MovementFilter(sku="NOPE")) == [reports.CSV_HEADER]


def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(site):
    stock.adjust(
        site.boss, bin="A-01-01-A", sku="1042", delta="2", reason="=HYPERLINK(1)", key=key()
    )
    assert read_csv()[1][-1] == "'=HYPERLINK(1)"


# --- count accuracy --------------------------------------------------------------------


def counted(site, number, location, when, lines):
    """A count task as the count flow leaves it: lines of (item, system, counted)."""
    with db.session.begin():
        db.session.add(
            CountTask(
                number=number,
                location_id=location.id,
                status=DocStatus.CLOSED,
                counted_at=when,
                counted_by_id=site.worker.id,
                lines=[
                    CountLine(
                        item_id=item.id,
                        system_qty=system,
                        counted_qty=count,
                        status=CountStatus.MATCHED if system == count else CountStatus.PENDING,
                    )
                    for item, system, count in lines
                ],
            )
        )


def test_accuracy_is_the_share_of_bins_with_no_variance_by_zone_and_iso_week(site):
    update(Location, site.b1.id, zone="B")
    update(Item, site.milk.id, unit_cost=Decimal("4.00"))
    w, milk = site.widget, site.milk  # 2.50 and 4.00 a unit
    wk1 = datetime(2026, 11, 2, 9)  # Monday of 2026-W45
    wk2 = datetime(2026, 11, 15, 23)  # Sunday of 2026-W46
    counted(site, "C1", site.a1, wk1, [(w, 5, 5), (milk, 2, 2)])  # accurate
    counted(site, "C2", site.a2, wk1, [(w, 5, 3), (milk, 1, 2)])  # -2 widgets, +1 milk
    counted(site, "C3", site.b1, wk2, [(w, 4, 4)])  # accurate
    counted(site, "C4", site.a1, wk2, [])  # empty and counted empty: accurate
    counted(site, "C5", site.b1, wk2, [(milk, 0, 3)])  # +3 milk found
    counted(site, "OLD", site.a1, datetime(2026, 10, 1), [(w, 9, 0)])  # before the period
    with db.session.begin():  # not yet counted
        db.session.add(CountTask(number="OPEN", location_id=site.a1.id))

    a = reports.accuracy(date(2026, 11, 1))

    def summary(row):
        return (row.label, row.bins, row.accurate, row.units, row.net_value, row.abs_value)

    assert summary(a["total"]) == ("All", 5, 3, 6, Decimal("11.00"), Decimal("21.00"))
    assert a["total"].share == 0.6
    assert [summary(r) for r in a["zones"]] == [
        ("A", 3, 2, 3, Decimal("-1.00"), Decimal("9.00")),
        ("B", 2, 1, 3, Decimal("12.00"), Decimal("12.00")),
    ]
    assert [summary(r) for r in a["weeks"]] == [
        ("2026-W45", 2, 1, 3, Decimal("-1.00"), Decimal("9.00")),
        ("2026-W46", 3, 2, 3, Decimal("12.00"), Decimal("12.00")),
    ]
    assert reports.accuracy(date(2026, 11, 1), until=date(2026, 11, 14))["total"].bins == 2
    assert reports.accuracy(date(2026, 12, 1))["total"] is None


def test_a_week_spanning_new_year_is_named_by_its_iso_year(site):
    counted(site, "C1", site.a1, datetime(2027, 1, 1, 8), [(site.widget, 1, 1)])  # a Friday
    counted(site, "C2", site.a1, datetime(2026, 12, 28, 8), [(site.widget, 1, 0)])  # Monday
    weeks = reports.accuracy(date(2026, 12, 1))["weeks"]
    assert [(r.label, r.bins, r.accurate) for r in weeks] == [("2026-W53", 2, 1)]



def test_weeks_are_the_warehouses_weeks_not_utcs(site, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        # 23:30 UTC on Sunday 15 November is 00:30 on Monday 16 November in Berlin.
        counted(site, "C1", site.a1, datetime(2026, 11, 15, 23, 30), [(site.widget, 1, 1)])
        counted(site, "C2", site.a1, datetime(2026, 11, 15, 22, 30), [(site.widget, 1, 0)])
        weeks = reports.accuracy(date(2026, 11, 1))["weeks"]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [(r.label, r.bins, r.accurate) for r in weeks] == [
        ("2026-W46", 1, 0),
        ("2026-W47", 1, 1),
    ]

# --- stock to act on -------------------------------------------------------------------


def test_low_stock_lists_items_below_reorder_point_or_safety_stock_outside_staging(site):
    update(Item, site.widget.id, reorder_point=10, safety_stock=4)
    update(Item, site.milk.id, reorder_point=5, safety_stock=2)
    update(Item, site.drill.id, reorder_point=1, safety_stock=0)
    receive(site, "A-01-01-A", 12)
    stock.pick(site.worker, from_bin="A-01-01-A", to_bin="SHIP-1", sku="1042", qty=9, key=key())
    receive(site, "A-01-02-A", 5, sku="2001", lot="L1")  # at its reorder point: not low
    rows = reports.low_stock()
    assert [(r.sku, r.on_hand, bool(r.below_safety)) for r in rows] == [
        ("1042", 3, True),  # 9 in staging do not count
        ("3001", 0, False),  # never received
    ]


def test_expiring_lists_lots_on_hand_within_the_days_asked_soonest_first(site):
    today = date(2026, 11, 25)
    receive(site, "A-01-01-A", 2, sku="2001", lot="OLD", expiry=date(2026, 11, 20))
    receive(site, "A-01-02-A", 3, sku="2001", lot="SOON", expiry=date(2026, 12, 10))
    receive(site, "B-01-01-A", 4, sku="2001", lot="SOON", expiry=date(2026, 12, 10))
    receive(site, "B-01-01-A", 5, sku="2001", lot="LATER", expiry=date(2027, 2, 1))
    receive(site, "A-01-01-A", 6, sku="2001", lot="GONE", expiry=date(2026, 11, 26))
    stock.move(
        site.worker,
        from_bin="A-01-01-A",
        to_bin="B-01-01-A",
        sku="2001",
        lot="GONE",
        qty=6,
        key=key(),
    )
    stock.adjust(
        site.boss,
        bin="B-01-01-A",
        sku="2001",
        lot="GONE",
        delta="-6",
        reason="thrown away",
        key=key(),
    )

    def rows(days):
        return [(r.lot, r.bin, r.quantity) for r in reports.expiring(days, today)]

    assert rows(30) == [
        ("OLD", "A-01-01-A", 2),
        ("SOON", "A-01-02-A", 3),
        ("SOON", "B-01-01-A", 4),
    ]
    assert rows(15) == [("OLD", "A-01-01-A", 2), ("SOON", "A-01-02-A", 3), ("SOON", "B-01-01-A", 4)]
    assert rows(14) == [("OLD", "A-01-01-A", 2)]
    assert len(rows(90)) == 4


def test_excess_lists_items_on_hand_that_have_not_moved_in_the_days_asked(site):
    now = utcnow()
    old = receive(site, "A-01-01-A", 4)  # widgets: 10.00
    backdate(old, now - timedelta(days=120))
    milk = receive(site, "A-01-02-A", 2, sku="2001", lot="L1")
    backdate(milk, now - timedelta(days=100))
    receive(site, "B-01-01-A", 1, sku="2001", lot="L1")  # milk moved lately
    drill = receive(site, "B-01-01-A", 1, sku="3001", lot="SN1")
    backdate(drill, now - timedelta(days=95))
    rows = reports.excess(90)
    assert [(r.sku, r.units, r.value) for r in rows] == [
        ("1042", 4, Decimal("10.00")),
        ("3001", 1, Decimal("2.50")),
    ]
    assert [r.sku for r in reports.excess(110)] == ["1042"]
    assert reports.excess(90)[0].last_moved.date() == (now - timedelta(days=120)).date()
