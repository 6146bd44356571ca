"""An LMS's CSV file, read and written back in its own dialect.

The dialect is the export's: comma or semicolon (chosen as Canvas's importer chooses: the
separator that splits the first three lines into the same, larger, number of fields),
``\\r\\n`` or ``\\n`` line ends, UTF-8 with or without a byte-order mark, and a decimal
point or comma (the export's own numbers say which; with none to go by, a semicolon file
uses commas, as Canvas does for such locales). Every value a writer does not change is
written back as it was read.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grade.supervisor.results import write_atomically

SEPARATORS = (";", ",")
PROBE_LINES = 3
DECIMALS = 2   # Canvas keeps two (its export rounds to two places); Moodle shows two by default
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
DECIMAL_POINT = re.compile(r"-?\d+\.\d+")


class CsvFileError(ValueError):
    """A file that is not a CSV the LMS wrote: one line for the user."""


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    lineterminator: str = "\n"
    bom: bool = False
    decimal_comma: bool = False


@dataclass
class CsvFile:
    """A header and rows of strings, and how the file spelled them."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    dialect: Dialect = Dialect()

    def column(self, name: str) -> int | None:
        """The index of the column named exactly ``name`` (spaces around it ignored), or None."""
        names = [h.strip() for h in self.header]
        return names.index(name.strip()) if name.strip() in names else None

    def cell(self, row: list[str], index: int) -> str:
        return row[index] if index < len(row) else ""


def read_csv(path: Path) -> CsvFile:
    """Read an export, noting its dialect."""
    raw = Path(path).read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw[len(codecs.BOM_UTF8):].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"{path} is not UTF-8 ({exc.reason} at byte {exc.start}): export it again, "
                           "or save it as 'CSV UTF-8'") from None
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise CsvFileError(f"{path} is empty")
    first_line = text.split("\n", 1)[0]
    dialect = Dialect(delimiter, "\r\n" if first_line.endswith("\r") else "\n", bom,
                      uses_decimal_comma(rows[1:], delimiter))
    return CsvFile(rows[0], rows[1:], dialect)


def sniff_delimiter(text: str) -> str:
    """``;`` when it splits the first lines into the same number of fields, more than ``,`` does."""
    lines = text.splitlines()[:PROBE_LINES]
    counts = {}
    for separator in SEPARATORS:
        sizes = {len(next(csv.reader([line], delimiter=separator), [])) for line in lines}
        counts[separator] = sizes.pop() if len(sizes) == 1 else 0
    return ";" if counts[";"] > counts[","] else ","


def uses_decimal_comma(rows: list[list[str]], delimiter: str) -> bool:
    cells = [c.strip() for row in rows for c in row]
    if any(DECIMAL_COMMA.fullmatch(c) for c in cells):
        return True
    if any(DECIMAL_POINT.fullmatch(c) for c in cells):
        return False
    return delimiter == ";"


def write_csv(path: Path, table: CsvFile) -> None:
    """Write ``table`` in its dialect (atomically)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=table.dialect.delimiter, lineterminator=table.dialect.lineterminator)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(Path(path), ("\ufeff" if table.dialect.bom else "") + buffer.getvalue())


def format_points(value: float, dialect: Dialect) -> str:
    """``55``, ``13.5``, ``88.71`` (or ``88,71``): two decimals at most, no thousands separator."""
    text = f"{round(value, DECIMALS):.{DECIMALS}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if dialect.decimal_comma else text


def parse_points(text: str) -> float | None:
    """A number as an export writes it (``62``, ``62.0``, ``62,5``); None when the cell is not one."""
    cleaned = text.strip().replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None
