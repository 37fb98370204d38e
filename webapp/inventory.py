"""What is where: read-only questions about stock, for the floor's look-up and reports."""

import sqlalchemy as sa

from .db import db
from .models import Item, Location, LocationKind, Lot, StockBalance

_CONTENTS = (  # built once: every bin scan on the floor asks it
    sa.select(Item, Lot, StockBalance.quantity)
    .join(StockBalance, StockBalance.item_id == Item.id)
    .outerjoin(Lot, Lot.id == StockBalance.lot_id)
    .where(StockBalance.location_id == sa.bindparam("bin"), StockBalance.quantity > 0)
    .order_by(Item.sku, Lot.expiry, Lot.code)
)


def bin_contents(location: Location) -> list[tuple[Item, Lot | None, int]]:
    """Each item and lot in a bin with its quantity."""
    return [tuple(row) for row in db.session.execute(_CONTENTS, {"bin": location.id})]


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


NAMED_LIMIT = 8


def items_named(text: str, limit: int = NAMED_LIMIT) -> tuple[list[Item], bool]:
    """Items whose SKU or description holds every word of `text`, in any case (a worker
    with an item whose label will not scan, typing its name): the first `limit` by SKU,
    and whether more match. Text under three letters matches nothing."""
    words = text.split()
    if len("".join(words)) < 3:
        return [], False
    query = sa.select(Item).order_by(Item.sku).limit(limit + 1)
    for word in words[:6]:
        query = query.where(
            sa.or_(
                Item.sku.icontains(word, autoescape=True),
                Item.description.icontains(word, autoescape=True),
            )
        )
    items = list(db.session.scalars(query))
    return items[:limit], len(items) > limit


# --- for the reports: on hand, by zone, by inventory type, empty bins ------------------

ON_HAND_LIMIT = 200
STORAGE_KINDS = (LocationKind.STORAGE, LocationKind.PICK)


def stock_value(quantity=StockBalance.quantity):
    """Units times unit cost, summed, to the cent (SQLite sums floats: round it back)."""
    return sa.cast(sa.func.coalesce(sa.func.sum(quantity * Item.unit_cost), 0), sa.Numeric(16, 2))


def on_hand_rows(search: str = "", limit: int = ON_HAND_LIMIT) -> tuple[list, bool]:
    """On hand by item, bin and lot; every word of `search` must match the item's SKU or
    description, the bin or the lot. Returns the first `limit` rows and whether more exist."""
    query = (
        sa.select(
            Item.sku,
            Item.description,
            Location.code.label("bin"),
            Location.zone,
            Lot.code.label("lot"),
            Lot.expiry,
            StockBalance.quantity,
            sa.cast(StockBalance.quantity * Item.unit_cost, sa.Numeric(16, 2)).label("value"),
        )
        .join(Item, Item.id == StockBalance.item_id)
        .join(Location, Location.id == StockBalance.location_id)
        .outerjoin(Lot, Lot.id == StockBalance.lot_id)
        .where(StockBalance.quantity > 0)
        .order_by(Item.sku, Location.sequence, Location.code, Lot.expiry, Lot.code)
        .limit(limit + 1)
    )
    for word in search.split():
        query = query.where(
            sa.or_(
                Item.sku.icontains(word, autoescape=True),
                Item.description.icontains(word, autoescape=True),
                Location.code.icontains(word, autoescape=True),
                Lot.code.icontains(word, autoescape=True),
            )
        )
    rows = db.session.execute(query).all()
    return rows[:limit], len(rows) > limit


def stock_by_zone() -> list:
    """Per zone: bins holding stock, units and value."""
    return db.session.execute(
        sa.select(
            Location.zone,
            sa.func.count(sa.distinct(Location.id)).label("bins"),
            sa.func.sum(StockBalance.quantity).label("units"),
            stock_value().label("value"),
        )
        .join(Location, Location.id == StockBalance.location_id)
        .join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.quantity > 0)
        .group_by(Location.zone)
        .order_by(Location.zone)
    ).all()


def stock_by_type() -> list:
    """Per inventory type: items on hand, units and value."""
    return db.session.execute(
        sa.select(
            Item.inventory_type,
            sa.func.count(sa.distinct(Item.id)).label("items"),
            sa.func.sum(StockBalance.quantity).label("units"),
            stock_value().label("value"),
        )
        .join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.quantity > 0)
        .group_by(Item.inventory_type)
        .order_by(Item.inventory_type)
    ).all()


def empty_bins() -> list[Location]:
    """Active storage and pick bins holding nothing, in walking order: room for putaway."""
    holding = sa.exists().where(StockBalance.location_id == Location.id, StockBalance.quantity > 0)
    return list(
        db.session.scalars(
            sa.select(Location)
            .where(Location.active, Location.kind.in_(STORAGE_KINDS), ~holding)
            .order_by(Location.sequence, Location.code)
        )
    )
