"""What a request may carry: text without NUL characters, and numbers a database can hold.

No page of ours sends a NUL or a 20-digit id, but a scanner misconfigured, a page edited
or a crawler can, and each was a 500: PostgreSQL refuses NUL in text, and an integer past
the database's range overflows before any query runs.
"""

import re

from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1  # INTEGER on PostgreSQL; SQLite's is wider
_WHOLE = re.compile(r"[0-9]{1,9}")  # ASCII only: "²".isdigit() is True, int("²") raises


class _FieldsWithoutNul(ImmutableMultiDict):
    """Form fields and query arguments, with any NUL character dropped."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [
                (k, v.replace("\x00", "") if isinstance(v, str) else v)  # files are not text
                for k, v in iter_multi_items(mapping)
            ]
        super().__init__(mapping)


class _RowId(IntegerConverter):
    """<int:id> in a route: a larger number than a row can have is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app) -> None:
    """Call before any route is added: rules take their converters as they are added."""

    class AppRequest(app.request_class):
        parameter_storage_class = _FieldsWithoutNul

    app.request_class = AppRequest
    app.url_map.converters["int"] = _RowId


def whole_number(text: str | None) -> int | None:
    """A whole number of at most nine ASCII digits (an id, a count of days), else None."""
    text = (text or "").strip()
    return int(text) if _WHOLE.fullmatch(text) else None
