"""The demo warehouse: a realistic site made by code from a seeded random generator.

`plan()` decides everything (bins, items, barcodes, opening stock, documents) without
touching the database, so the same seed always gives the same warehouse. `load()` writes
the plan: master data and documents directly, but every unit of opening stock through
`stock.receive` as the system user, so each balance is explained by a ledger movement.
Expiry dates are relative to the day the demo is loaded, so "expires soon" stays true.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from . import stock, users
from .barcodes import gtin_check_digit, own_code
from .db import db, refresh_statistics, write_transaction
from .models import (
    CountTask,
    InventoryType,
    Item,
    ItemBarcode,
    Location,
    LocationKind,
    PickLine,
    PickList,
    Receipt,
    ReceiptLine,
    Tracking,
    User,
    Warehouse,
)

SEED = 20261125
DOCK, SHIP, QUARANTINE = "DOCK-01", "SHIP-01", "QUAR-01"
AISLES, BAYS, LEVELS, POSITIONS = "ABCDE", 10, 3, "AB"
PICK_LEVELS = {1, 2}  # levels 1-2 are pick faces (zone PICK); level 3 is reserve pallets

# username, name, role, password or PIN, badge
DEMO_USERS = [
    ("wendy", "Wendy Walker", "worker", "1111", "U0001"),
    ("walt", "Walt Wong", "worker", "2222", "U0002"),
    ("sam", "Sam Supervisor", "supervisor", "3333", "U0003"),
    ("ada", "Ada Admin", "admin", "admin", "U0004"),
]


class DemoError(Exception):
    """The demo cannot be loaded here; nothing was written."""


@dataclass
class BinPlan:
    code: str
    kind: LocationKind
    zone: str = ""
    aisle: str = ""
    bay: str = ""
    level: str = ""
    position: str = ""
    sequence: int = 0


@dataclass
class ItemPlan:
    sku: str
    description: str
    uom: str
    inventory_type: InventoryType
    tracking: Tracking
    unit_cost: Decimal
    reorder_point: int
    safety_stock: int
    barcodes: list[tuple[str, int]] = field(default_factory=list)  # (GTIN-14, pack_qty)


@dataclass
class StockPlan:
    sku: str
    bin: str
    qty: int
    lot: str | None = None
    expiry: date | None = None


@dataclass
class Plan:
    bins: list[BinPlan]
    items: list[ItemPlan]
    stock: list[StockPlan]
    receipts: list[tuple[str, str, int, list[tuple[str, int]]]]  # number, supplier, days, lines
    pick_lists: list[tuple[str, list[tuple[str, int]]]]
    counts: list[tuple[str, str]]  # number, bin


# --- the catalogue: word lists for plausible items ------------------------------------


def _catalogue() -> list[tuple[str, str, InventoryType, float, float]]:
    """Every untracked item we could make: (description, uom, type, min cost, max cost)."""
    c, mro, res = InventoryType.COMPONENT, InventoryType.MRO, InventoryType.RESALE
    raw, pack, fin = InventoryType.RAW, InventoryType.PACKAGING, InventoryType.FINISHED
    out = []
    for d in (5, 6, 8, 10, 12):
        for length in (16, 20, 25, 30, 40, 50, 60, 80):
            for finish in ("zinc", "stainless A2", "grade 8.8 black"):
                out.append((f"Hex bolt M{d}x{length} {finish}, box of 100", "BX", c, 6, 48))
            out.append((f"Socket cap screw M{d}x{length} A2, box of 100", "BX", c, 8, 55))
        for finish in ("zinc", "stainless A2", "nylon insert zinc"):
            out.append((f"Hex nut M{d} {finish}, box of 200", "BX", c, 4, 30))
            out.append((f"Flat washer M{d} {finish}, bag of 500", "BG", c, 3, 25))
    for d, lengths in ((3.5, (16, 25, 30, 40)), (4, (20, 30, 40, 50)), (5, (40, 50, 60, 80))):
        for length in lengths:
            out.append((f"Wood screw {d}x{length} mm pozi, box of 200", "BX", c, 4, 18))
    for w, lengths in ((2.5, (100, 160)), (3.6, (150, 200, 300)), (4.8, (200, 300, 370))):
        for length in lengths:
            for colour in ("black", "natural"):
                desc = f"Cable tie {w}x{length} mm {colour}, pack of 100"
                out.append((desc, "PK", mro, 1.5, 9))
    for size in ("S", "M", "L", "XL"):
        out.append((f"Nitrile disposable gloves size {size}, box of 100", "BX", mro, 6, 14))
        out.append((f"Hi-vis vest orange size {size}", "EA", mro, 3, 8))
    for size in (7, 8, 9, 10, 11):
        for kind in ("Cut-resistant gloves level C", "Leather rigger gloves", "Thermal gloves"):
            out.append((f"{kind} size {size}, pair", "PR", mro, 2.5, 12))
    for dims in ("200x150x100", "300x200x150", "400x300x200", "600x400x400", "800x600x500"):
        for wall in ("single wall", "double wall"):
            out.append((f"Carton {wall} {dims} mm, bundle of 25", "BD", pack, 9, 60))
    for w in (48, 50, 75):
        for colour in ("brown", "clear", "printed FRAGILE"):
            out.append((f"Packing tape {w} mm x 66 m {colour}", "RL", pack, 1.2, 4.5))
    for micron in (17, 20, 23):
        out.append((f"Stretch film 500 mm x 300 m {micron} micron", "RL", pack, 9, 18))
    for amps in ("0.5", "1", "2", "3.15", "5", "10"):
        for speed in ("fast", "slow"):
            out.append((f"Fuse 5x20 mm {amps} A {speed}, pack of 10", "PK", c, 1.5, 6))
    for watts in (4, 6, 9, 12):
        for fitting in ("E27", "E14", "GU10"):
            out.append((f"LED bulb {fitting} {watts} W warm white", "EA", res, 2, 9))
    for mm in ("2.4", "3.2", "4.8", "6.4", "9.5", "12.7"):
        for colour in ("black", "red"):
            out.append((f"Heat shrink tube {mm} mm {colour}, 1 m", "EA", c, 0.4, 2))
    for grit in (40, 60, 80, 120, 180, 240):
        out.append((f"Sanding disc 125 mm P{grit}, pack of 50", "PK", mro, 8, 22))
        out.append((f"Flap disc 125 mm P{grit} zirconia", "EA", mro, 2, 6))
    for t in ("1.0", "1.6", "2.5"):
        out.append((f"Cutting disc 125x{t} mm inox, pack of 25", "PK", mro, 14, 35))
    for t in ("1.0", "1.5", "2.0", "3.0"):
        out.append((f"Steel sheet DC01 1000x2000x{t} mm", "EA", raw, 25, 90))
        out.append((f"Aluminium sheet 1000x2000x{t} mm", "EA", raw, 40, 140))
    for section in ("20x20x2", "30x30x2", "40x40x2", "50x30x3"):
        out.append((f"Steel box section {section} mm, 6 m", "EA", raw, 12, 45))
    for flat in ("20x3", "30x5", "40x5", "50x10"):
        out.append((f"Aluminium flat bar {flat} mm, 3 m", "EA", raw, 6, 30))
    for plastic in ("PP natural", "PP black", "ABS white", "PE-HD natural"):
        out.append((f"Granulate {plastic}, 25 kg bag", "BG", raw, 30, 70))
    for length in (150, 200, 250, 300):
        for colour in ("white", "black", "galvanised"):
            out.append((f"Shelf bracket {length} mm {colour}", "EA", fin, 1.5, 7))
    for dims in ("160x100x75", "240x150x130", "350x210x200", "500x300x200"):
        for colour in ("blue", "red", "yellow", "grey"):
            out.append((f"Storage bin {dims} mm {colour}", "EA", fin, 1, 9))
    for tenths in range(20, 135, 5):
        out.append((f"HSS drill bit {tenths / 10:g} mm, pack of 10", "PK", mro, 3, 28))
    for d in (5, 6, 8, 10, 12):
        for length in (d * 5, d * 8):
            out.append((f"Nylon wall plug {d}x{length} mm, box of 100", "BX", c, 2, 12))
    for d in ("3.2", "4.0", "4.8"):
        for length in (6, 8, 10, 12, 16):
            for metal in ("aluminium", "steel"):
                out.append((f"Blind rivet {d}x{length} mm {metal}, box of 500", "BX", c, 5, 25))
    for span in ("8-16", "12-22", "16-27", "20-32", "25-40", "32-50", "40-60", "50-70"):
        for grade in ("W1", "W4"):
            out.append((f"Hose clamp {span} mm {grade}, pack of 10", "PK", c, 3, 15))
    for cores in ("3G1.5", "3G2.5", "5G1.5", "5G2.5", "5G4"):
        for metres in (25, 50, 100):
            out.append((f"Cable H07RN-F {cores} mm², {metres} m drum", "EA", raw, 30, 400))
    for size in ("AA", "AAA", "C", "D", "9V"):
        out.append((f"Alkaline battery {size}, pack of 4", "PK", res, 2, 9))
        out.append((f"Alkaline battery {size}, box of 24", "BX", res, 10, 40))
    for dims in ("50x25", "57x32", "100x50", "100x100", "100x150", "102x76"):
        for roll in (500, 1000):
            out.append((f"Thermal label {dims} mm, roll of {roll}", "RL", pack, 4, 22))
    for inner in (6, 8, 10, 12, 16, 20, 25, 30, 40, 50):
        for section in ("1.5", "2", "3"):
            out.append((f"O-ring NBR {inner}x{section} mm, bag of 50", "BG", c, 2, 14))
    for series in (60, 62):
        for bore in range(11):
            for seal in ("2RS", "ZZ"):
                out.append((f"Ball bearing {series}{bore:02d}-{seal}", "EA", c, 1.5, 16))
    for item in (
        "Safety glasses clear anti-fog",
        "Safety glasses tinted",
        "Ear plugs foam, box of 200 pairs",
        "Dust mask FFP2, box of 20",
        "Dust mask FFP3 with valve, box of 10",
        "Pallet label 100x150 mm, roll of 500",
        "Bubble wrap 500 mm x 100 m",
        "Marker pen permanent black",
        "Utility knife retractable",
        "Spare blades for utility knife, pack of 10",
        "Tape measure 5 m",
        "Spirit level 600 mm",
    ):
        out.append((item, "EA", mro, 1, 25))
    return out


LOT_ITEMS = [  # description, uom, type, cost, shelf life in days
    ("Epoxy adhesive 2-part 50 ml", "EA", InventoryType.RESALE, 6.9, 540),
    ("Contact cement 1 L tin", "EA", InventoryType.MRO, 11.5, 365),
    ("Threadlocker medium strength 50 ml", "EA", InventoryType.MRO, 9.8, 720),
    ("Silicone sealant clear 310 ml", "EA", InventoryType.RESALE, 4.2, 365),
    ("Isopropyl alcohol 99% 1 L", "EA", InventoryType.MRO, 7.4, 730),
    ("Cutting oil 5 L can", "EA", InventoryType.MRO, 24.0, 900),
    ("Degreaser spray 400 ml", "EA", InventoryType.MRO, 5.1, 720),
    ("Hand sanitiser gel 500 ml", "EA", InventoryType.MRO, 3.6, 540),
    ("Bottled water 0.5 L, case of 24", "CS", InventoryType.RESALE, 5.5, 365),
    ("Coffee beans 1 kg bag", "BG", InventoryType.RESALE, 14.9, 270),
    ("Cereal bars, box of 24", "BX", InventoryType.RESALE, 9.9, 180),
    ("Two-part polyurethane foam 750 ml", "EA", InventoryType.RAW, 12.3, 450),
]
SERIAL_ITEMS = [  # description, cost, serial prefix
    ("Cordless drill 18 V, body only", 129.0, "CD"),
    ("Angle grinder 125 mm 1100 W", 89.0, "AG"),
    ("Laser distance meter 50 m", 74.5, "LD"),
]
SUPPLIERS = [
    "Nordfix Fasteners",
    "Packwell Ltd",
    "SafeHands GmbH",
    "Volta Electric",
    "MetalStock BV",
]
# GS1 company prefixes (ours, made up): EAN-13 stems and one UPC-A stem.
EAN_STEMS = ["5012345", "4006381", "8712345"]
UPC_STEM = "036000"


# --- planning ------------------------------------------------------------------------


def plan(seed: int = SEED, today: date | None = None) -> Plan:
    """The whole demo warehouse as plain values; the same seed and day give the same plan."""
    rng = random.Random(seed)
    today = today or date.today()
    bins = _plan_bins()
    items = _plan_items(rng)
    stock_lines = _plan_stock(rng, items, bins, today)
    return Plan(
        bins=bins,
        items=items,
        stock=stock_lines,
        receipts=_plan_receipts(rng, items),
        pick_lists=_plan_pick_lists(rng, items, bins, stock_lines),
        counts=_plan_counts(rng, bins, stock_lines),
    )


def _plan_bins() -> list[BinPlan]:
    """Racking in a serpentine walk: aisle A up the bays, aisle B back down, and so on."""
    out = [
        BinPlan(DOCK, LocationKind.DOCK, sequence=0),
        BinPlan(QUARANTINE, LocationKind.QUARANTINE, sequence=5),
    ]
    seq = 10
    for a, aisle in enumerate(AISLES):
        bays = range(1, BAYS + 1) if a % 2 == 0 else range(BAYS, 0, -1)
        for bay in bays:
            for level in range(1, LEVELS + 1):
                for position in POSITIONS:
                    pick = level in PICK_LEVELS
                    bay_s, level_s = f"{bay:02d}", f"{level:02d}"
                    out.append(
                        BinPlan(
                            code=f"{aisle}-{bay_s}-{level_s}-{position}",
                            kind=LocationKind.PICK if pick else LocationKind.STORAGE,
                            zone="PICK" if pick else "RESERVE",
                            aisle=aisle,
                            bay=bay_s,
                            level=level_s,
                            position=position,
                            sequence=seq,
                        )
                    )
                    seq += 10
    out.append(BinPlan(SHIP, LocationKind.STAGING, sequence=seq))
    return out


def _gtin14(stem: str, ref: int) -> str:
    digits = 11 if stem == UPC_STEM else 12  # before the check digit: UPC-A 11, EAN-13 12
    body = f"{stem}{ref:0{digits - len(stem)}d}"
    return (body + gtin_check_digit(body)).zfill(14)


def _case_gtin(each: str) -> str:
    body = "1" + each[1:13]  # indicator digit 1, same company prefix and item reference
    return body + gtin_check_digit(body)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _plan_items(rng: random.Random) -> list[ItemPlan]:
    rows = []
    for desc, uom, kind, lo, hi in rng.sample(_catalogue(), 485):
        rows.append((desc, uom, kind, _money(rng.uniform(lo, hi)), Tracking.NONE))
    for desc, uom, kind, cost, _life in LOT_ITEMS:
        rows.append((desc, uom, kind, _money(cost), Tracking.LOT))
    for desc, cost, _prefix in SERIAL_ITEMS:
        rows.append((desc, "EA", InventoryType.MRO, _money(cost), Tracking.SERIAL))
    rng.shuffle(rows)
    items, refs = [], {}
    for n, (desc, uom, kind, cost, tracking) in enumerate(rows):
        stem = UPC_STEM if rng.random() < 0.2 else rng.choice(EAN_STEMS)
        refs[stem] = refs.get(stem, 100) + rng.randint(1, 7)
        each = _gtin14(stem, refs[stem])
        barcodes = [(each, 1)]
        if uom in ("EA", "PK", "BX") and tracking != Tracking.SERIAL and rng.random() < 0.25:
            barcodes.append((_case_gtin(each), rng.choice((6, 12, 24))))
        reorder = rng.choice((0, 0, 5, 10, 20, 50))
        items.append(
            ItemPlan(
                sku=f"{100001 + n}",
                description=desc,
                uom=uom,
                inventory_type=kind,
                tracking=tracking,
                unit_cost=cost,
                reorder_point=reorder,
                safety_stock=reorder // 2,
                barcodes=barcodes,
            )
        )
    return items


def _plan_stock(rng, items, bins, today) -> list[StockPlan]:
    """Opening stock: most items on a pick face (two to a bin), some with reserve pallets."""
    pick_bins = [b.code for b in bins if b.kind == LocationKind.PICK]
    reserve_bins = [b.code for b in bins if b.kind == LocationKind.STORAGE]
    rng.shuffle(pick_bins)
    rng.shuffle(reserve_bins)
    faces = pick_bins[:-10]  # ten pick faces stay empty, ready for new items
    reserves = reserve_bins[:-20]
    lot_items = [i for i in items if i.tracking == Tracking.LOT]
    plain = [i for i in items if i.tracking == Tracking.NONE]
    stocked = lot_items + rng.sample(plain, 420 - len(lot_items))
    rng.shuffle(stocked)
    out, lots_seen = [], 0
    for n, item in enumerate(stocked):
        face = faces[n % len(faces)]
        if item.tracking == Tracking.LOT:
            life = next(d[4] for d in LOT_ITEMS if d[0] == item.description)
            lots_seen += 1
            soon = lots_seen % 2 == 1  # half the lot items have a lot expiring within 30 days
            first = today + timedelta(days=rng.randint(4, 29) if soon else rng.randint(45, life))
            later = first + timedelta(days=rng.randint(30, 120))
            out.append(StockPlan(item.sku, face, rng.randint(6, 40), _lot(rng, first), first))
            out.append(
                StockPlan(
                    item.sku, rng.choice(reserves), rng.randint(24, 96), _lot(rng, later), later
                )
            )
            continue
        out.append(StockPlan(item.sku, face, rng.randint(5, 60)))
        if n % 3 == 0:
            out.append(StockPlan(item.sku, reserves[n % len(reserves)], rng.randint(40, 240)))
        elif n % 17 == 1:  # a second pick face for a fast mover
            out.append(StockPlan(item.sku, faces[(n + 97) % len(faces)], rng.randint(5, 30)))
    serial_items = [i for i in items if i.tracking == Tracking.SERIAL]
    for item, face in zip(serial_items, faces[:3], strict=True):
        prefix = next(s[2] for s in SERIAL_ITEMS if s[0] == item.description)
        for number in rng.sample(range(100000, 1000000), 4):
            out.append(StockPlan(item.sku, face, 1, f"{prefix}{number}"))
    return out


def _lot(rng, expiry: date) -> str:
    return f"L{expiry:%y%m}{rng.randint(100, 999)}"


def _plan_receipts(rng, items):
    lot_item = rng.choice([i for i in items if i.tracking == Tracking.LOT])
    cased = rng.choice([i for i in items if len(i.barcodes) > 1 and i.tracking == Tracking.NONE])
    plain = [i for i in items if i.tracking == Tracking.NONE and i is not cased]
    out = []
    for n in range(5):
        lines = rng.sample(plain, rng.randint(3, 8))
        if n == 0:  # PO1001 shows a lot to record and a case barcode to scan
            lines[:2] = [lot_item, cased]
        qty_lines = []
        for item in lines:
            pack = max(q for _, q in item.barcodes)
            qty_lines.append(
                (item.sku, pack * rng.randint(1, 10) if pack > 1 else rng.randint(5, 120))
            )
        out.append((f"PO{1001 + n}", SUPPLIERS[n], n + 1, qty_lines))
    return out


def _plan_pick_lists(rng, items, bins, stock_lines):
    """Pick lists for untracked items on pick faces; some lines need a second bin."""
    kinds = {b.code: b.kind for b in bins}
    tracking = {i.sku: i.tracking for i in items}
    held: dict[str, list[int]] = {}
    for s in stock_lines:
        held.setdefault(s.sku, []).append(s.qty)
    on_faces = sorted(
        {s.sku for s in stock_lines if kinds[s.bin] == LocationKind.PICK}
        - {sku for sku, t in tracking.items() if t != Tracking.NONE}
    )
    multi = [sku for sku in on_faces if len(held[sku]) > 1]
    single = [sku for sku in on_faces if len(held[sku]) == 1]
    rng.shuffle(multi)
    rng.shuffle(single)
    out = []
    for n in range(8):
        lines = []
        if n % 2 == 0:  # every other list has a line larger than any one bin holds
            sku = multi.pop()
            lines.append((sku, max(held[sku]) + rng.randint(1, min(held[sku]))))
        size = rng.randint(3, 6)
        while len(lines) < size:
            sku = single.pop()
            lines.append((sku, rng.randint(1, min(held[sku][0], 12))))
        rng.shuffle(lines)
        out.append((f"PL{2001 + n}", lines))
    return out


def _plan_counts(rng, bins, stock_lines):
    stocked = sorted({s.bin for s in stock_lines})
    empty = [b.code for b in bins if b.kind == LocationKind.PICK and b.code not in stocked]
    chosen = rng.sample(stocked, 10) + [rng.choice(empty)]
    return [(f"CT{3001 + n}", code) for n, code in enumerate(chosen)]


# --- loading ---------------------------------------------------------------------------


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
