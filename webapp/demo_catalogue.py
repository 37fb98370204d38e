"""The demo's word lists: every item the demo warehouse could stock, and its suppliers.

Plain data for `demo_plan`, which draws from it with a seeded random generator.
"""

from .models import InventoryType


def catalogue() -> list[tuple[str, str, InventoryType, float, float]]:
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
