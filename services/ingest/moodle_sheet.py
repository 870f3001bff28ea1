"""The rows of a Moodle Logs report download, whether CSV or Excel (.xlsx), as lists of text cells.

Moodle writes its CSV in UTF-8 with a byte order mark, comma-separated; a spreadsheet program saving it
again in some locales writes semicolons (or tabs), so the delimiter is the one that splits the header
into Moodle's column names. An .xlsx file (a zip archive) is read with openpyxl in read-only mode: rows
are streamed, memory stays bounded whatever the file's length (Moodle writes cells as inline strings;
a workbook saved again by a spreadsheet program holds a shared-string table, which openpyxl keeps in
memory). A row's number is its line in the CSV, or its row in the sheet, header included (1).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import services.ingest.textfile as textfile
from modelling.cells import internal_writer
from services.ingest.textfile import FormatError, head, open_text

ZIP_MAGIC = b"PK\x03\x04"
# Moodle's column names (English), as the header compares them (lower case), and the field each fills.
COLUMNS = {
    "time": "time", "user full name": "user", "affected user": "affected", "event context": "context",
    "component": "component", "event name": "name", "description": "description", "origin": "origin",
    "ip address": "ip",
}
REQUIRED = ("time", "user full name", "event name")
DELIMITERS = (",", ";", "\t")


def is_xlsx(path: str | Path) -> bool:
    """Whether the file is a zip archive holding an Excel workbook."""
    with open(path, "rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def looks_like_logs(header_line: str) -> bool:
    """Whether a CSV header line is a Logs report's (for format detection)."""
    return _delimiter(header_line) is not None


def rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each row of the file, header first."""
    return _sheet_rows(path) if is_xlsx(path) else _csv_rows(path)


@contextlib.contextmanager
def as_csv(path: str | Path) -> Iterator[Path]:
    """The file itself when it is a CSV; a workbook's first sheet copied once into a temporary CSV
    (removed on leaving), so that it is read through openpyxl once, not once per pass. A line break
    inside a cell becomes a space, so that each row stays one line and keeps its row number."""
    if not is_xlsx(path):
        yield Path(path)
        return
    check_expansion(path)
    with tempfile.TemporaryDirectory(prefix="ssa-moodle-") as folder:
        copy = Path(folder) / "sheet.csv"
        with copy.open("w", encoding="utf-8", newline="") as handle:
            writer = internal_writer(handle)
            for _number, cells in _sheet_rows(path):
                writer.writerow([cell.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
                                 for cell in cells])
        yield copy


def check_expansion(path: str | Path) -> None:
    """FormatError when a workbook's parts expand past the limits of a compressed activity file (a few
    MB of zeros must not become gigabytes), by the sizes its zip directory declares (zipfile reads no
    more than they say)."""
    most_mb, ratio = textfile.GZIP_MAX_MB, textfile.GZIP_MAX_RATIO
    packed = max(Path(path).stat().st_size, 1)
    limit = min(most_mb << 20, max(ratio * packed, textfile.GZIP_RATIO_FROM_MB << 20))
    with zipfile.ZipFile(path) as archive:
        expanded = sum(part.file_size for part in archive.infolist())
    if expanded > limit:
        raise FormatError(f"the workbook expands to {expanded >> 20} MB, more than {limit >> 20} MB (the "
                          f"limits are {most_mb} MB and {ratio} times its size): save it as CSV")


def header(cells: list[str]) -> dict[str, int]:
    """The position of each field in a header row; FormatError naming the missing Moodle columns."""
    names = [cell.strip().lower() for cell in cells]
    found = {COLUMNS[name]: index for index, name in enumerate(names) if name in COLUMNS}
    missing = [name for name in REQUIRED if COLUMNS[name] not in found]
    if missing:
        raise FormatError(
            f"a Moodle Logs download needs the columns {', '.join(REQUIRED)} (Moodle's English names); "
            f"missing: {', '.join(missing)} (header: {', '.join(cells)[:200]})"
        )
    return found


def _delimiter(line: str) -> str | None:
    """The delimiter that splits a header line into Moodle's required columns, or None."""
    for delimiter in DELIMITERS:
        names = {name.strip().lower() for name in next(csv.reader([line], delimiter=delimiter), [])}
        if all(name in names for name in REQUIRED):
            return delimiter
    return None


def _csv_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    lines = head(path, 8192).splitlines()
    delimiter = _delimiter(lines[0]) if lines else None
    if delimiter is None:
        raise FormatError("not a Moodle Logs download: its first line has no Time, User full name and "
                          "Event name columns (comma, semicolon or tab separated)")
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except csv.Error as error:
            raise FormatError(f"the CSV cannot be read past line {line}: {error}") from None


def _sheet_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl  # only an Excel file needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise FormatError(f"cannot open the Excel workbook: {type(error).__name__}: {error}") from None
    try:
        sheet, width = book.worksheets[0], None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(value) for value in values]
            if width is None:
                width = len(_trimmed(cells))
            # A sheet has no field count: empty cells past the header's width are no values.
            cells = _trimmed(cells) if len(cells) > width else cells
            yield number, cells + [""] * (width - len(cells))
    finally:
        book.close()


def _trimmed(cells: list[str]) -> list[str]:
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    return cells


def _cell(value: Any) -> str:
    """A cell as text: a date cell as ISO 8601 (year first, so no day/month doubt), a whole number
    without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
