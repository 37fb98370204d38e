"""Stock to act on: items below their reorder point, lots expiring, and stock not moving."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .db import db
from .inventory import stock_value
from .models import Item, Location, LocationKind, Lot, StockBalance, StockMovement, utcnow

# Picked stock waits in staging to leave; it no longer covers demand.
NOT_AVAILABLE = (LocationKind.STAGING, LocationKind.TRANSIT)



def _available():
    """Units per item outside staging and transit, as a subquery (item_id, qty)."""
    return (
        sa.select(StockBalance.item_id, sa.func.sum(StockBalance.quantity).label("qty"))
        .join(Location, Location.id == StockBalance.location_id)
        .where(Location.kind.not_in(NOT_AVAILABLE))
        .group_by(StockBalance.item_id)
        .subquery()
    )


def low_stock() -> list:
    """Active items whose stock (outside staging) is below the reorder point or safety
    stock, lowest cover first."""
    held = _available()
    qty = sa.func.coalesce(held.c.qty, 0)
    return db.session.execute(
        sa.select(
            Item.sku,
            Item.description,
            Item.reorder_point,
            Item.safety_stock,
            qty.label("on_hand"),
            (qty < Item.safety_stock).label("below_safety"),
        )
        .outerjoin(held, held.c.item_id == Item.id)
        .where(Item.active, sa.or_(qty < Item.reorder_point, qty < Item.safety_stock))
        .order_by(qty - Item.reorder_point, Item.sku)
    ).all()


def expiring(days: int, today: date | None = None) -> list:
    """Lots on hand expiring within `days` (or already expired), per bin, soonest first."""
    today = today or utcnow().date()
    return db.session.execute(
        sa.select(
            Item.sku,
            Item.description,
            Lot.code.label("lot"),
            Lot.expiry,
            Location.code.label("bin"),
            StockBalance.quantity,
        )
        .join(Lot, Lot.id == StockBalance.lot_id)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(StockBalance.quantity > 0, Lot.expiry <= today + timedelta(days=days))
        .order_by(Lot.expiry, Item.sku, Lot.code, Location.sequence, Location.code)
    ).all()


def excess(days: int, now: datetime | None = None) -> list:
    """Items on hand that have not moved in `days` days, most value first."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    # The latest movement per item through the (item, id) index, not a scan of the ledger.
    last_id = (
        sa.select(sa.func.max(StockMovement.id))
        .where(StockMovement.item_id == Item.id)
        .correlate(Item)
        .scalar_subquery()
    )
    stocked = (
        sa.select(
            Item.id,
            Item.sku,
            Item.description,
            sa.func.sum(StockBalance.quantity).label("units"),
            stock_value().label("value"),
            last_id.label("last_id"),
        )
        .join(StockBalance, StockBalance.item_id == Item.id)
        .where(StockBalance.quantity > 0)
        .group_by(Item.id, Item.sku, Item.description)
        .subquery()
    )
    last = aliased(StockMovement)
    return db.session.execute(
        sa.select(stocked, last.created_at.label("last_moved"))
        .outerjoin(last, last.id == stocked.c.last_id)
        .where(sa.or_(last.created_at.is_(None), last.created_at < cutoff))
        .order_by(stocked.c.value.desc(), stocked.c.sku)
    ).all()
