"""Small helpers shared by the tests: stock on hand and pick lists before they start, and
the ledger's first invariant after they have run."""

import uuid
from collections import Counter

import sqlalchemy as sa

from webapp import stock
from webapp.db import db
from webapp.models import PickLine, PickList, StockBalance, StockMovement


def receive(site, to, qty, sku="1042", lot=None, expiry=None):
    """Receive stock through the ledger as the site's worker; a lot gets the site's expiry
    unless another is given. Returns what was posted."""
    return stock.receive(
        site.worker,
        to_bin=to,
        sku=sku,
        qty=qty,
        lot=lot,
        expiry=expiry or (site.expiry if lot else None),
        key=uuid.uuid4().hex,
    )


def ledger_matches_balances() -> bool:
    """Every balance equals its ledger in minus out, and none is negative."""
    ledger: Counter = Counter()
    for m in db.session.execute(sa.select(StockMovement.__table__)):
        if m.to_location_id:
            ledger[(m.item_id, m.to_location_id, m.lot_id)] += m.quantity
        if m.from_location_id:
            ledger[(m.item_id, m.from_location_id, m.lot_id)] -= m.quantity
    held = {
        (b.item_id, b.location_id, b.lot_id): b.quantity
        for b in db.session.execute(sa.select(StockBalance.__table__))
    }
    never_negative = all(q >= 0 for q in held.values())
    return never_negative and {k: q for k, q in held.items() if q} == +ledger


def make_list(site, number, lines):
    """A pick list of (item, quantity) lines in the site's warehouse, committed."""
    pick_list = PickList(number=number, warehouse_id=site.warehouse.id)
    pick_list.lines = [PickLine(item_id=item.id, ordered_qty=qty) for item, qty in lines]
    db.session.add(pick_list)
    db.session.commit()
    return pick_list
