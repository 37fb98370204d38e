"""The ledger report: every stock movement, filtered, a page at a time or as CSV.

The ledger may hold millions of movements, so its pages use keyset pagination on the id
(never OFFSET) and its CSV export reads in keyset batches as it streams.
"""

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .clock import utc_midnight
from .db import db
from .models import Item, Location, Lot, MovementKind, StockMovement, User
from .movements import movement_ids

PAGE = 50
CSV_BATCH = 1000



@dataclass
class MovementFilter:
    sku: str = ""
    bin: str = ""
    user: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None  # inclusive

    @classmethod
    def from_args(cls, args: Mapping) -> "MovementFilter":
        kind = args.get("kind", "").strip().lower()
        return cls(
            sku=args.get("sku", "").strip(),
            bin=args.get("bin", "").strip().upper(),
            user=args.get("user", "").strip().lower(),
            kind=kind if kind in {k.value for k in MovementKind} else "",
            since=_date(args.get("since", "")),
            until=_date(args.get("until", "")),
        )

    def args(self) -> dict:
        """The filter as query arguments, for links and the CSV export."""
        values = {
            "sku": self.sku,
            "bin": self.bin,
            "user": self.user,
            "kind": self.kind,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}


@dataclass
class MovementPage:
    rows: list
    older: int | None = None  # `before` for the next older page
    newer: int | None = None  # `after` for the next newer page
    problem: str = ""


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _conditions(f: MovementFilter) -> tuple[list, int | None, str]:
    """The filter as WHERE conditions and a bin id, or a problem naming what is unknown."""
    where = []
    if f.sku:
        item_id = db.session.scalar(sa.select(Item.id).where(Item.sku == f.sku))
        if item_id is None:
            return [], None, f"There is no item {f.sku}."
        where.append(StockMovement.item_id == item_id)
    bin_id = None
    if f.bin:
        bin_id = db.session.scalar(sa.select(Location.id).where(Location.code == f.bin))
        if bin_id is None:
            return [], None, f"There is no bin {f.bin}."
    if f.user:
        user_id = db.session.scalar(sa.select(User.id).where(User.username == f.user))
        if user_id is None:
            return [], None, f"There is no user {f.user}."
        where.append(StockMovement.user_id == user_id)
    if f.kind:
        where.append(StockMovement.kind == MovementKind(f.kind))
    if f.since:
        where.append(StockMovement.created_at >= utc_midnight(f.since))
    if f.until:
        end = utc_midnight(f.until + timedelta(days=1))
        where.append(StockMovement.created_at < end)
    return where, bin_id, ""


def movement_rows(*where, order=None):
    source, target = aliased(Location), aliased(Location)
    return db.session.execute(
        sa.select(
            StockMovement.id,
            StockMovement.created_at,
            StockMovement.kind,
            Item.sku,
            Lot.code.label("lot"),
            source.code.label("from_bin"),
            target.code.label("to_bin"),
            StockMovement.quantity,
            User.username,
            User.name,
            StockMovement.device_id,
            StockMovement.reference,
            StockMovement.reason,
        )
        .join(Item, Item.id == StockMovement.item_id)
        .join(User, User.id == StockMovement.user_id)
        .outerjoin(Lot, Lot.id == StockMovement.lot_id)
        .outerjoin(source, source.id == StockMovement.from_location_id)
        .outerjoin(target, target.id == StockMovement.to_location_id)
        .where(*where)
        .order_by(order if order is not None else StockMovement.id.desc())
    )


def movements_page(
    f: MovementFilter,
    before: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> MovementPage:
    """One page of the ledger, newest first: older than `before`, or newer than `after`."""
    limit = limit or PAGE
    where, bin_id, problem = _conditions(f)
    if problem:
        return MovementPage([], problem=problem)
    backwards = after is not None  # walking towards newer movements
    if backwards:
        keyset = [StockMovement.id > after]
    else:
        keyset = [StockMovement.id < before] if before is not None else []
    # One row more than shown says whether there is a further page that way.
    ids = movement_ids(where + keyset, bin_id, newest_first=not backwards, limit=limit + 1)
    order = StockMovement.id.asc() if backwards else StockMovement.id.desc()
    rows = movement_rows(StockMovement.id.in_(ids), order=order).fetchmany(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return MovementPage([])
    newest, oldest = rows[0].id, rows[-1].id
    if backwards:
        older = _any(where + [StockMovement.id < oldest], bin_id)
        newer = more
    else:
        older = more
        newer = before is not None and _any(where + [StockMovement.id > newest], bin_id)
    return MovementPage(rows, older=oldest if older else None, newer=newest if newer else None)


def _any(where: list, bin_id: int | None) -> bool:
    ids = movement_ids(where, bin_id, newest_first=True, limit=1)
    return db.session.scalar(sa.select(sa.exists(ids))) or False


CSV_HEADER = [
    "id",
    "time_utc",
    "kind",
    "sku",
    "lot",
    "from_bin",
    "to_bin",
    "quantity",
    "user",
    "device",
    "reference",
    "reason",
]


def movements_csv(f: MovementFilter) -> Iterator[str]:
    """The filtered ledger as CSV text, newest first, read in keyset batches."""
    yield _csv_line(CSV_HEADER)
    where, bin_id, problem = _conditions(f)
    if problem:
        return
    before = None
    while True:
        page = where + ([StockMovement.id < before] if before is not None else [])
        ids = movement_ids(page, bin_id, newest_first=True, limit=CSV_BATCH)
        rows = movement_rows(StockMovement.id.in_(ids)).fetchmany(CSV_BATCH)
        # The batch's reads end here: a slow download holds no transaction open.
        db.session.rollback()
        for r in rows:
            yield _csv_line(
                [
                    r.id,
                    r.created_at.isoformat(sep=" ", timespec="seconds"),
                    r.kind.value,
                    r.sku,
                    r.lot or "",
                    r.from_bin or "",
                    r.to_bin or "",
                    r.quantity,
                    r.username,
                    r.device_id,
                    r.reference,
                    r.reason,
                ]
            )
        if len(rows) < CSV_BATCH:
            return
        before = rows[-1].id


def _csv_line(values: list) -> str:
    out = io.StringIO()
    # A cell starting with = + - @ is a formula to a spreadsheet: keep typed text as text.
    csv.writer(out).writerow(
        "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values
    )
    return out.getvalue()
