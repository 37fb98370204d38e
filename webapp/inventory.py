"""What is where: read-only questions about stock, for the floor's look-up and reports."""

import sqlalchemy as sa

from .db import db
from .models import Item, Location, Lot, StockBalance


def bin_contents(location: Location) -> list[tuple[Item, Lot | None, int]]:
    """Each item and lot in a bin with its quantity."""
    rows = db.session.execute(
        sa.select(Item, Lot, StockBalance.quantity)
        .join(StockBalance, StockBalance.item_id == Item.id)
        .outerjoin(Lot, Lot.id == StockBalance.lot_id)
        .where(StockBalance.location_id == location.id, StockBalance.quantity > 0)
        .order_by(Item.sku, Lot.expiry, Lot.code)
    )
    return [tuple(row) for row in rows]


def where_is(item: Item | None = None, lots: list[Lot] | None = None):
    """Every bin holding an item (or any of some lots), in walking order."""
    query = (
        sa.select(Location, Item, Lot, StockBalance.quantity)
        .join(StockBalance, StockBalance.location_id == Location.id)
        .join(Item, Item.id == StockBalance.item_id)
        .outerjoin(Lot, Lot.id == StockBalance.lot_id)
        .where(StockBalance.quantity > 0)
        .order_by(Location.sequence, Location.code, Lot.expiry)
    )
    if item is not None:
        query = query.where(StockBalance.item_id == item.id)
    if lots is not None:
        query = query.where(StockBalance.lot_id.in_([lot.id for lot in lots]))
    return [tuple(row) for row in db.session.execute(query)]
