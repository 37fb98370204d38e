"""Master data for the office: items with their barcodes, bins (one at a time or a whole
range), users, receipts, pick lists and count tasks.

Each use case takes the acting user and plain form values, checks every field, then
writes in one transaction together with its audit entry; or raises Invalid (field ->
message) and writes nothing. Cell rules (SKU, GTIN, bin code ...) are csvio's, so a form
and an import refuse the same things with the same words.

This module is the one place callers import from; the use cases live one entity per
module: masterdata_items, masterdata_bins, masterdata_users, masterdata_documents
(receipts and pick lists) and masterdata_counts, with what their forms share in
masterdata_forms.
"""

from .masterdata_bins import (
    LOCATION_FIELDS,
    MAX_RANGE,
    SEQUENCE_STEP,
    RangePlan,
    create_range,
    locations,
    next_sequence,
    plan_range,
    save_location,
    set_location_active,
)
from .masterdata_counts import COUNT_TASKS, CountsMade, cancel_count_task, create_count_tasks
from .masterdata_documents import (
    DOC_NUMBER,
    PICK_LISTS,
    RECEIPTS,
    DocKind,
    cancel_document,
    document_state,
    documents,
    lines_text,
    number_taken,
    parse_lines,
    save_document,
)
from .masterdata_forms import ChangedMeanwhile, Invalid, version_of
from .masterdata_items import ITEM_FIELDS, items, save_item, set_item_active
from .masterdata_users import (
    activate_user,
    all_users,
    create_user,
    deactivate_user,
    reset_pin,
    save_user,
    user_state,
)

__all__ = [
    "COUNT_TASKS",
    "DOC_NUMBER",
    "ITEM_FIELDS",
    "LOCATION_FIELDS",
    "MAX_RANGE",
    "PICK_LISTS",
    "RECEIPTS",
    "SEQUENCE_STEP",
    "ChangedMeanwhile",
    "CountsMade",
    "DocKind",
    "Invalid",
    "RangePlan",
    "activate_user",
    "all_users",
    "cancel_document",
    "cancel_count_task",
    "create_count_tasks",
    "create_range",
    "create_user",
    "document_state",
    "deactivate_user",
    "documents",
    "items",
    "lines_text",
    "locations",
    "next_sequence",
    "number_taken",
    "parse_lines",
    "plan_range",
    "reset_pin",
    "save_document",
    "save_item",
    "save_location",
    "save_user",
    "set_item_active",
    "set_location_active",
    "user_state",
    "version_of",
]
