"""CSV import and export of items and bins, for the CLI and the admin pages alike.

An import reads the whole file, checks every row against the file and the database, and
writes only if no row has an error: a half-imported catalogue is worse than none. Rows
are matched on SKU (items) or warehouse and code (bins): new ones are created, existing
ones updated. A column left out of the file leaves that field alone (only sku, or
warehouse and code, must be there; a new item needs a description, a new bin a kind); a
blank cell means the field's default. Export writes exactly what import reads.

Items: sku, description, uom, inventory_type, tracking, unit_cost, reorder_point,
safety_stock, zone, active, barcodes. `zone` is where its stock is put away when no bin
holds it: a zone the bins have, or blank. `barcodes` lists an item's barcodes separated
by `;`, each `CODE` (one unit per scan) or `CODE*PACK` (PACK units per scan, a case),
e.g. `05012345678900;15012345678907*12`. The list replaces the item's barcodes.

Bins: warehouse, code, kind, zone, aisle, bay, level, position, sequence, active. The
code is printed on the label (A-01-02-B); its barcode is the code without dashes.

Receipts and pick lists: see documents.py. The shared reading of a sheet and its cells
is in sheet.py.
"""

from .documents import export_documents, import_documents, preview_documents
from .items import (
    ITEM_COLUMNS,
    ITEM_PARSERS,
    bin_zones,
    check_items,
    export_items,
    import_items,
    item_state,
    no_such_zone,
    preview_items,
)
from .locations import (
    LOCATION_COLUMNS,
    LOCATION_PARSERS,
    check_locations,
    export_locations,
    import_locations,
    location_state,
    preview_locations,
)
from .sheet import BadValue, ImportResult, Preview, RowError, read_sheet

__all__ = [
    "BadValue", "ITEM_COLUMNS", "ITEM_PARSERS", "ImportResult", "LOCATION_COLUMNS",
    "LOCATION_PARSERS", "Preview", "RowError", "bin_zones", "check_items", "check_locations",
    "export_documents", "export_items", "export_locations", "import_documents",
    "import_items", "import_locations", "item_state", "location_state", "no_such_zone",
    "preview_documents", "preview_items", "preview_locations", "read_sheet",
]
