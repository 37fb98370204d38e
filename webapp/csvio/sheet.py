"""Reading a CSV sheet and its cells, and what an import or its preview reports."""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..barcodes import normalize_item_barcode

SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


@dataclass(frozen=True)
class RowError:
    """What is wrong in one cell. Rows are numbered as a spreadsheet shows them (header 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Sheet:
    """A CSV file's columns and rows (row number, cells by column), blank rows left out."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


class BadValue(ValueError):
    pass


# --- reading -------------------------------------------------------------------------


def read_sheet(fileobj) -> Sheet:
    """Parse CSV text or UTF-8 bytes (with or without a BOM); `;`-separated files too."""
    data = fileobj.read()
    if isinstance(data, bytes):
        try:
            data = codecs.decode(data, "utf-8-sig")
        except UnicodeDecodeError:
            raise BadValue("the file is not UTF-8 text; save it as “CSV UTF-8”") from None
    data = data.removeprefix("\ufeff")
    if "\x00" in data:  # UTF-16 without its mark reads as UTF-8 with a NUL in every other place
        raise BadValue("the file holds NUL characters (UTF-16?); save it as “CSV UTF-8”")
    header = data.split("\n", 1)[0]
    # Spreadsheets in comma-decimal locales save with `;`; the header tells us which.
    delimiter = ";" if ";" in header and "," not in header else ","
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as error:
        raise BadValue(f"the file is not valid CSV ({error})") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise BadValue("the file is empty; the first row must name the columns")
    columns = [c.strip().lower() for c in records[0]]
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = {col: (cells[i].strip() if i < len(cells) else "") for i, col in enumerate(columns)}
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            row[None] = "extra"
        rows.append((number, row))
    return Sheet(columns, rows)


def _header_errors(sheet: Sheet, known: list[str], required: list[str]) -> list[RowError]:
    errors = []
    for column in required:
        if column not in sheet.columns:
            errors.append(RowError(1, column, "this required column is missing"))
    seen = set()
    for column in sheet.columns:
        if column not in known:
            errors.append(
                RowError(1, column or "(blank)", f"unknown column; use: {', '.join(known)}")
            )
        elif column in seen:
            errors.append(RowError(1, column, "this column appears twice"))
        seen.add(column)
    return errors


def _cells(sheet: Sheet, row: dict, parsers: dict, errors: list, number: int) -> dict:
    """Parse the row's cells for the columns present; record each bad one."""
    values = {}
    if None in row:
        errors.append(RowError(number, "(end)", "this row has more cells than the header"))
    for column, parse in parsers.items():
        if column not in sheet.columns:
            continue
        try:
            values[column] = parse(row.get(column, ""))
        except BadValue as error:
            errors.append(RowError(number, column, str(error)))
    return values


# --- cell parsers ----------------------------------------------------------------------


def _required(text: str, what: str) -> str:
    if not text:
        raise BadValue(f"{what} is required")
    return text


def _sku(text: str) -> str:
    if not SKU.fullmatch(_required(text, "a SKU")):
        raise BadValue(f"“{text[:40]}” is not a SKU: use 1-40 letters, digits, . _ / -")
    return text


def _limited(limit: int, required: str = ""):
    def parse(text: str) -> str:
        if required:
            _required(text, required)
        if len(text) > limit:
            raise BadValue(f"{len(text)} characters is too long: at most {limit}")
        return text

    return parse


def _choice(enum_cls, default):
    def parse(text: str):
        if not text:
            if default is None:
                raise BadValue("a value is required")
            return default
        try:
            return enum_cls(text.lower())
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            raise BadValue(f"“{text[:20]}” is not one of: {allowed}") from None

    return parse


def _whole(text: str) -> int:
    if not text:
        return 0
    if re.fullmatch(r"-\d+", text):
        raise BadValue(f"cannot be negative ({text})")
    if not re.fullmatch(r"\+?\d{1,9}", text):
        raise BadValue(f"“{text[:20]}” is not a whole number")
    return int(text)


def _cost(text: str) -> Decimal:
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"“{text[:20]}” is not a number (use a dot for decimals: 12.50)") from None
    if not value.is_finite():
        raise BadValue(f"“{text[:20]}” is not a number")
    if value < 0:
        raise BadValue(f"cannot be negative ({text})")
    if value.as_tuple().exponent < -4 or value >= 10**8:
        raise BadValue(f"{text} does not fit: at most 8 digits before the dot and 4 after")
    return value


def _flag(text: str) -> bool:
    if not text or text.lower() in YES:
        return True
    if text.lower() in NO:
        return False
    raise BadValue(f"“{text[:20]}” is not yes or no")


def _uom(text: str) -> str:
    text = text.upper() or "EA"
    if not re.fullmatch(r"[A-Z0-9]{1,10}", text):
        raise BadValue(f"“{text[:20]}” is not a unit of measure: 1-10 letters or digits (EA, BX)")
    return text


def _barcodes(text: str) -> list[tuple[str, int]]:
    out, seen = [], set()
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        code, star, pack = (p.strip() for p in entry.partition("*"))
        if star and not (re.fullmatch(r"\d{1,5}", pack) and int(pack) >= 1):
            raise BadValue(f"pack quantity in “{entry[:60]}” must be a whole number from 1")
        try:
            code = normalize_item_barcode(code)
        except ValueError as error:
            raise BadValue(str(error)) from None
        if len(code) > 50:
            raise BadValue(f"barcode “{code[:20]}…” is longer than 50 characters")
        if code in seen:
            raise BadValue(f"barcode {code} is listed twice")
        seen.add(code)
        out.append((code, int(pack) if star else 1))
    return out


@dataclass
class _Row:
    number: int
    values: dict


@dataclass
class Preview:
    """Each row's key and what importing it would do (create, update, unchanged), and
    every error; nothing is written."""

    errors: list[RowError] = field(default_factory=list)
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # row, key, action

    def count(self, action: str) -> int:
        return sum(1 for _, _, a in self.rows if a == action)


def _audit_row(user, entity: str, entity_id: int, before: dict | None, after: dict) -> None:
    from .. import audit

    if before != after:
        action = "update" if before else "create"
        audit.record(user, action, entity, entity_id, before, after, reason="CSV import")


def _system_user():
    from ..users import system_user  # users -> stock -> ...: imported when first needed

    return system_user()


def _money(value: Decimal) -> str:
    cents = value.quantize(Decimal("0.01"))
    return f"{cents if cents == value else value.normalize():f}"
