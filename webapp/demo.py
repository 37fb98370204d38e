"""The demo warehouse: a realistic site made by code from a seeded random generator.

`plan()` decides everything (bins, items, barcodes, opening stock, documents) without
touching the database, so the same seed always gives the same warehouse. `load()` writes
the plan: master data and documents directly, but every unit of opening stock through
`stock.receive` as the system user, so each balance is explained by a ledger movement.
Expiry dates are relative to the day the demo is loaded, so "expires soon" stays true.

This module loads; the plan is made in webapp/demo_plan.py from the word lists in
webapp/demo_catalogue.py, and `plan` is re-exported here.
"""

import time
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from . import stock, users
from .barcodes import own_code
from .db import db, refresh_statistics, write_transaction
from .demo_plan import SEED, BinPlan, ItemPlan, Plan, plan
from .models import (
    CountTask,
    Item,
    ItemBarcode,
    Location,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    User,
    Warehouse,
)

__all__ = ["DEMO_USERS", "SEED", "DemoError", "Loaded", "Plan", "is_empty", "load", "plan"]

# username, name, role, password or PIN, badge
DEMO_USERS = [
    ("wendy", "Wendy Walker", "worker", "1111", "U0001"),
    ("walt", "Walt Wong", "worker", "2222", "U0002"),
    ("sam", "Sam Supervisor", "supervisor", "3333", "U0003"),
    ("ada", "Ada Admin", "admin", "admin", "U0004"),
]


class DemoError(Exception):
    """The demo cannot be loaded here; nothing was written."""



def is_empty() -> bool:
    """True when there is no warehouse, bin or item yet (users alone do not count)."""
    return not any(
        db.session.scalar(sa.select(model.id).limit(1)) for model in (Warehouse, Location, Item)
    )


@dataclass
class Loaded:
    bins: int
    items: int
    movements: int
    receipts: int
    pick_lists: int
    count_tasks: int
    users_kept: list[str]
    seconds: float


def load(seed: int = SEED, today: date | None = None) -> Loaded:
    """Write the demo warehouse into an empty database; refuse (DemoError) otherwise.
    One transaction: a load cut off midway leaves the database as empty as it found it."""
    started = time.perf_counter()
    the_plan = plan(seed, today)
    with write_transaction() as session:
        if not is_empty():  # inside the write: a second loader at once writes nothing
            raise DemoError("The database already has a warehouse, bins or items.")
        kept = _load_users()
        warehouse = Warehouse(code="WH1", name="Main warehouse")
        session.add(warehouse)
        session.flush()
        session.add_all(_location(warehouse, b) for b in the_plan.bins)
        session.add_all(_item(i) for i in the_plan.items)
        session.flush()
        system = users.system_user()
        for n, line in enumerate(the_plan.stock, start=1):
            stock.receive(
                system,
                to_bin=line.bin,
                sku=line.sku,
                qty=line.qty,
                lot=line.lot,
                expiry=line.expiry,
                key=f"demo-opening-{n:05d}",
                reference="OPENING",
                reason="Opening stock",
            )
        _load_documents(the_plan, warehouse.id, today or date.today())
    refresh_statistics()
    return Loaded(
        bins=len(the_plan.bins),
        items=len(the_plan.items),
        movements=len(the_plan.stock),
        receipts=len(the_plan.receipts),
        pick_lists=len(the_plan.pick_lists),
        count_tasks=len(the_plan.counts),
        users_kept=kept,
        seconds=time.perf_counter() - started,
    )


def _load_users() -> list[str]:
    """Create the demo users; a username already taken is kept as it is."""
    kept = []
    for username, name, role, password, badge in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)):
            kept.append(username)
            continue
        users.create_user(username, name, role, password, badge)
    return kept


def _location(warehouse: Warehouse, b: BinPlan) -> Location:
    return Location(
        warehouse_id=warehouse.id,
        code=b.code,
        barcode=own_code(b.code),
        kind=b.kind,
        zone=b.zone,
        aisle=b.aisle,
        bay=b.bay,
        level=b.level,
        position=b.position,
        sequence=b.sequence,
    )


def _item(i: ItemPlan) -> Item:
    item = Item(
        sku=i.sku,
        description=i.description,
        uom=i.uom,
        inventory_type=i.inventory_type,
        tracking=i.tracking,
        unit_cost=i.unit_cost,
        reorder_point=i.reorder_point,
        safety_stock=i.safety_stock,
        zone=i.zone,
    )
    item.barcodes = [ItemBarcode(code=code, pack_qty=qty) for code, qty in i.barcodes]
    return item


def _load_documents(the_plan: Plan, warehouse_id: int, today: date) -> None:
    with write_transaction() as session:
        item_ids = dict(session.execute(sa.select(Item.sku, Item.id)).all())
        bin_ids = dict(session.execute(sa.select(Location.code, Location.id)).all())
        for number, supplier, days, lines in the_plan.receipts:
            receipt = Receipt(
                number=number,
                warehouse_id=warehouse_id,
                supplier=supplier,
                expected_on=today + timedelta(days=days),
            )
            receipt.lines = [ReceiptLine(item_id=item_ids[s], expected_qty=q) for s, q in lines]
            session.add(receipt)
        for number, lines in the_plan.pick_lists:
            pick_list = PickList(number=number, warehouse_id=warehouse_id)
            pick_list.lines = [PickLine(item_id=item_ids[s], ordered_qty=q) for s, q in lines]
            session.add(pick_list)
        for number, code in the_plan.counts:
            session.add(CountTask(number=number, location_id=bin_ids[code], source="cycle"))
