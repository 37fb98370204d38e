"""Tables: the warehouse, its bins, items and their barcodes, lots, users, the stock
ledger and balances, and the floor's documents (receipts, pick lists, count tasks).

Times are naive UTC on both databases (SQLite keeps no time zone).
"""

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _enum(cls):
    """A portable enum column: stored as its value, checked by a CHECK constraint."""
    return sa.Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        name=f"{cls.__name__.lower()}_values",
    )


class LocationKind(enum.StrEnum):
    DOCK = "dock"  # receiving dock
    STORAGE = "storage"  # reserve / bulk
    PICK = "pick"  # pick face
    STAGING = "staging"  # staging / shipping
    QUARANTINE = "quarantine"
    TRANSIT = "transit"  # between warehouses


class InventoryType(enum.StrEnum):
    RAW = "raw"
    COMPONENT = "component"
    WIP = "wip"
    FINISHED = "finished"
    MRO = "mro"
    PACKAGING = "packaging"
    RESALE = "resale"


class Tracking(enum.StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"  # each serial number is a Lot row that never holds more than 1


class Role(enum.StrEnum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class MovementKind(enum.StrEnum):
    RECEIVE = "receive"
    MOVE = "move"
    PICK = "pick"
    ADJUST = "adjust"
    REVERSE = "reverse"


class DocStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Warehouse(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))


class Location(db.Model):
    """A bin: anywhere stock can sit, from the receiving dock to a pick face."""

    __table_args__ = (
        sa.UniqueConstraint("warehouse_id", "code"),
        sa.Index("ix_location_walk", "warehouse_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouse.id"))
    code: Mapped[str] = mapped_column(sa.String(30))  # printed: A-01-02-B
    barcode: Mapped[str] = mapped_column(sa.String(30), unique=True)  # encoded: A0102B
    kind: Mapped[LocationKind] = mapped_column(_enum(LocationKind))
    zone: Mapped[str] = mapped_column(sa.String(20), default="")
    aisle: Mapped[str] = mapped_column(sa.String(10), default="")
    bay: Mapped[str] = mapped_column(sa.String(10), default="")
    level: Mapped[str] = mapped_column(sa.String(10), default="")
    position: Mapped[str] = mapped_column(sa.String(10), default="")
    sequence: Mapped[int] = mapped_column(default=0)  # walking order for pick routing
    active: Mapped[bool] = mapped_column(default=True)

    warehouse: Mapped[Warehouse] = relationship()


class Item(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    description: Mapped[str] = mapped_column(sa.String(200))
    uom: Mapped[str] = mapped_column(sa.String(10), default="EA")
    inventory_type: Mapped[InventoryType] = mapped_column(
        _enum(InventoryType), default=InventoryType.FINISHED
    )
    tracking: Mapped[Tracking] = mapped_column(_enum(Tracking), default=Tracking.NONE)
    unit_cost: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), default=Decimal(0))
    reorder_point: Mapped[int] = mapped_column(default=0)
    safety_stock: Mapped[int] = mapped_column(default=0)
    # Where its stock is put away when no bin holds it yet: a zone of the bins (Location.zone).
    zone: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)

    barcodes: Mapped[list["ItemBarcode"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemBarcode.pack_qty"
    )


class ItemBarcode(db.Model):
    """A barcode on the item or its packaging; pack_qty units per scan (each = 1, case = 12)."""

    __table_args__ = (sa.CheckConstraint("pack_qty >= 1", name="pack_qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"), index=True)
    # A GTIN is stored as 14 digits with a verified check digit; any other code as printed.
    code: Mapped[str] = mapped_column(sa.String(50), unique=True)
    pack_qty: Mapped[int] = mapped_column(default=1)

    item: Mapped[Item] = relationship(back_populates="barcodes")


class Lot(db.Model):
    __table_args__ = (sa.UniqueConstraint("item_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    code: Mapped[str] = mapped_column(sa.String(40))
    expiry: Mapped[date | None]

    item: Mapped[Item] = relationship()


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.WORKER)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    badge: Mapped[str | None] = mapped_column(sa.String(30), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The session cookie lives on the device, so ending sessions needs server state: every
    # session carries the version it began with, and bumping it ends them all at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    # Wrong PINs, counted here rather than per process or per IP (a floor shares one IP).
    failed_signins: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    locked_until: Mapped[datetime | None]
    # Where the user works: the floor's lists (receipts, pick lists, count tasks, the
    # docks to put away from) are that warehouse's. None: every warehouse's (one site).
    warehouse_id: Mapped[int | None] = mapped_column(sa.ForeignKey("warehouse.id"))
    warehouse: Mapped[Warehouse | None] = relationship()

    # What Flask-Login asks of a user; the id it keeps in the session names the version.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class StockMovement(db.Model):
    """One line of the append-only ledger. Never updated or deleted: a correction is a
    new movement that names the one it reverses."""

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="movement_quantity_positive"),
        sa.CheckConstraint(
            "from_location_id IS NOT NULL OR to_location_id IS NOT NULL",
            name="movement_has_a_location",
        ),
        sa.Index("ix_movement_item", "item_id", "id"),
        sa.Index("ix_movement_from", "from_location_id", "id"),
        sa.Index("ix_movement_to", "to_location_id", "id"),
        sa.Index("ix_movement_user", "user_id", "id"),
        sa.Index("ix_movement_created", "created_at"),
        sa.Index("ix_movement_reference", "reference", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lot.id"))
    from_location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    to_location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    quantity: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    device_id: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reference: Mapped[str] = mapped_column(sa.String(40), default="")  # receipt, pick list, count
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # Byte order ("C") on PostgreSQL: a whole-bin move's KEY:2, KEY:3 ... are found by a
    # range on this index, which a locale collation could order differently.
    idempotency_key: Mapped[str] = mapped_column(
        sa.String(80).with_variant(sa.String(80, collation="C"), "postgresql"), unique=True
    )
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movement.id"), unique=True)

    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
    from_location: Mapped[Location | None] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location | None] = relationship(foreign_keys=[to_location_id])
    user: Mapped[User] = relationship()


class StockBalance(db.Model):
    """Units of an item (and lot) in a bin. Changed only by the ledger, in the same
    transaction as the movement that explains the change."""

    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="balance_never_negative"),
        # NULL lots would be distinct in a plain unique constraint; coalesce makes
        # (item, bin, no lot) unique too, on SQLite and PostgreSQL alike.
        sa.Index(
            "uq_balance_item_location_lot",
            "item_id",
            "location_id",
            sa.func.coalesce(sa.column("lot_id"), 0),
            unique=True,
        ),
        sa.Index("ix_balance_location", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("location.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lot.id"))
    quantity: Mapped[int] = mapped_column(default=0)

    item: Mapped[Item] = relationship()
    location: Mapped[Location] = relationship()
    lot: Mapped[Lot | None] = relationship()


class Receipt(db.Model):
    """An expected receipt: a purchase order or advance shipping notice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)  # also its barcode
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouse.id"))
    supplier: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[DocStatus] = mapped_column(_enum(DocStatus), default=DocStatus.OPEN)
    expected_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    lines: Mapped[list["ReceiptLine"]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", order_by="ReceiptLine.id"
    )


class ReceiptLine(db.Model):
    """An expected item on a receipt. At closing, what arrived is recorded beside it; an
    item that arrived without being expected gets a line with expected_qty 0."""

    __table_args__ = (
        sa.CheckConstraint("expected_qty >= 0", name="expected_qty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipt.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    expected_qty: Mapped[int]
    received_qty: Mapped[int | None]  # set when the receipt is closed

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


class PickList(db.Model):
    """An order or a wave to pick; taken by one worker at a time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)  # also its barcode
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouse.id"))
    status: Mapped[DocStatus] = mapped_column(_enum(DocStatus), default=DocStatus.OPEN)
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    lines: Mapped[list["PickLine"]] = relationship(
        back_populates="pick_list", cascade="all, delete-orphan", order_by="PickLine.id"
    )
    assigned_to: Mapped[User | None] = relationship()


class PickLine(db.Model):
    __table_args__ = (sa.CheckConstraint("ordered_qty > 0", name="ordered_qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(sa.ForeignKey("pick_list.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    ordered_qty: Mapped[int]
    short_qty: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))  # found nowhere

    pick_list: Mapped[PickList] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


class CountTask(db.Model):
    """Count one bin: made by a supervisor, by a short pick, or by the cycle schedule."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)  # also its barcode
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("location.id"), index=True)
    status: Mapped[DocStatus] = mapped_column(_enum(DocStatus), default=DocStatus.OPEN)
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")  # who raised it
    # A short pick found less than the system holds: no picking from the bin till counted.
    holds_picking: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    blind: Mapped[bool] = mapped_column(default=True)
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    counted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    counted_at: Mapped[datetime | None]

    location: Mapped[Location] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    lines: Mapped[list["CountLine"]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="CountLine.id"
    )


class CountStatus(enum.StrEnum):
    MATCHED = "matched"  # counted what the system holds: nothing to approve
    PENDING = "pending"  # a variance waiting for a supervisor
    APPROVED = "approved"
    AUTO_APPROVED = "auto_approved"
    REJECTED = "rejected"  # a recount was raised instead
    SUPERSEDED = "superseded"  # counted again before a decision: the newer count decides


class CountLine(db.Model):
    """What a worker counted of one item (and lot) in the bin, beside what the system held
    at that moment. A variance posts nothing until a supervisor approves it."""

    __table_args__ = (
        sa.CheckConstraint("counted_qty >= 0", name="counted_qty_not_negative"),
        sa.Index("ix_count_line_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("count_task.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lot.id"))
    system_qty: Mapped[int]
    counted_qty: Mapped[int]
    status: Mapped[CountStatus] = mapped_column(_enum(CountStatus))
    # The last ledger movement when counted: approval adds only the counted difference
    # on top of anything that moved after it.
    last_movement_id: Mapped[int | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movement.id"))

    task: Mapped[CountTask] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()

    @property
    def variance(self) -> int:
        return self.counted_qty - self.system_qty


class AuditEntry(db.Model):
    """Who changed which master data or approved what, when, and the fields before and
    after. Written in the same transaction as the change it records; never updated."""

    __table_args__ = (
        sa.Index("ix_audit_entity", "entity", "entity_id", "id"),
        sa.Index("ix_audit_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(sa.String(40))  # create, update, deactivate, approve ...
    entity: Mapped[str] = mapped_column(sa.String(40))  # item, location, user, receipt ...
    entity_id: Mapped[int]
    before: Mapped[dict | None] = mapped_column(sa.JSON)  # changed fields only
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()
