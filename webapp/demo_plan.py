"""Planning the demo warehouse: bins, items, barcodes, opening stock and documents.

Pure: decides everything as plain values without touching the database, so the same seed
and day always give the same warehouse. `demo.load()` writes the plan.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .barcodes import gtin_check_digit
from .demo_catalogue import EAN_STEMS, LOT_ITEMS, SERIAL_ITEMS, SUPPLIERS, UPC_STEM, catalogue
from .models import InventoryType, LocationKind, Tracking

SEED = 20261125
DOCK, SHIP, QUARANTINE = "DOCK-01", "SHIP-01", "QUAR-01"
AISLES, BAYS, LEVELS, POSITIONS = "ABCDE", 10, 3, "AB"
PICK_LEVELS = {1, 2}  # levels 1-2 are pick faces (zone PICK); level 3 is reserve pallets


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
    zone: str = ""  # its putaway zone: the demo puts raw stock (sheets, bars, drums) in reserve


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
    for desc, uom, kind, lo, hi in rng.sample(catalogue(), 485):
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
                zone="RESERVE" if kind == InventoryType.RAW else "PICK",
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
    """Pick lists of items on pick faces; some lines need a second bin."""
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
    # The second list's last line is a lot item (picked first expiry first), the third's a
    # serial item: the first list a worker takes stays plain. Chosen without the random
    # generator, so the rest of the plan is what it always was.
    lot_sku = min(s.sku for s in stock_lines if tracking[s.sku] == Tracking.LOT)
    serial_sku = min(sku for sku, t in tracking.items() if t == Tracking.SERIAL)
    out[1][1][-1] = (lot_sku, 2)
    out[2][1][-1] = (serial_sku, 1)
    return out


def _plan_counts(rng, bins, stock_lines):
    stocked = sorted({s.bin for s in stock_lines})
    empty = [b.code for b in bins if b.kind == LocationKind.PICK and b.code not in stocked]
    chosen = rng.sample(stocked, 10) + [rng.choice(empty)]
    return [(f"CT{3001 + n}", code) for n, code in enumerate(chosen)]
