"""Reading import files: CSV (UTF-8 with or without BOM, or GB18030) and XLSX, streamed row by row.

The format is decided by the file's bytes, never its name. `file_inspect` settles the format, the encoding,
the header and the number of data rows, so that every file-level refusal happens before a single row is
written; `file_rows` then streams the data rows as lists of strings.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from xml.etree.ElementTree import ParseError

import openpyxl
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.exceptions import InvalidFileException
from rest_framework import status

from imports.errors import ImportFileError


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    format: FileFormat
    encoding: str | None  # CSV only: "utf-8-sig" (reads UTF-8 with or without BOM) or "gb18030"
    header: tuple[str, ...]  # cells of row 1, stripped, trailing empty cells dropped
    # Data rows below the header, blank rows not counted; None when not counted (a file already inspected
    # at upload, opened again to be imported).
    row_count: int | None


CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_SNIFF_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_NOT_TABULAR = {
    b"%PDF": gettext_lazy("a PDF document"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("a legacy Office file (.xls): save it as .xlsx or CSV"),
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _not_tabular(what: str | Promise) -> ImportFileError:
    return ImportFileError(
        "file_not_csv_or_xlsx", _("The file is %(what)s, not CSV or XLSX.") % {"what": what}
    )


def _empty() -> ImportFileError:
    return ImportFileError("file_empty", _("The file has no data rows."))


def file_check_size(*, size: int) -> None:
    """Refuse a file over IMPORT_MAX_FILE_BYTES; the upload API can call it before storing anything."""
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise ImportFileError(
            "file_too_large",
            _("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it into smaller files.")
            % {"size": f"{size:,}", "limit": f"{limit:,}"},
            fields={"size": size, "limit": limit},
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )


def file_inspect(*, path: Path, count_rows: bool = True) -> SourceFile:
    """Settle format, encoding, header and (unless `count_rows` is false) row count, or refuse the file
    with an `ImportFileError`. Counting parses every row, the costly part."""
    path = Path(path)
    size = path.stat().st_size
    file_check_size(size=size)
    if size == 0:
        raise _empty()
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    if head.startswith(_ZIP_MAGIC):
        return _xlsx_inspect(path, count_rows=count_rows)
    for magic, what in _NOT_TABULAR.items():
        if head.startswith(magic):
            raise _not_tabular(what)
    if head.startswith(_UTF16_BOMS):
        raise ImportFileError("file_encoding", _("The file is UTF-16 text: save it as UTF-8 or GB18030 CSV."))
    if b"\x00" in head:
        raise _not_tabular(_("binary data"))
    return _csv_inspect(path, count_rows=count_rows)


@contextmanager
def file_rows(source: SourceFile) -> Iterator[Iterator[list[str]]]:
    """The data rows below the header, in order, blank rows included so that positions stay true."""
    opened = (
        _csv_open(source.path, source.encoding)
        if source.format == FileFormat.CSV
        else _xlsx_open(source.path)
    )
    with opened as rows:
        next(rows, None)
        yield rows


def _header(cells: list[str] | None) -> tuple[str, ...]:
    names = [cell.strip() for cell in cells or ()]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def _read(
    path: Path,
    file_format: FileFormat,
    encoding: str | None,
    opened: AbstractContextManager[Iterator[list[str]]],
    *,
    count_rows: bool,
) -> SourceFile:
    with opened as rows:
        header = _header(next(rows, None))
        # any(row): a row of empty cells is blank, as spreadsheets export them after formatted areas.
        row_count = sum(map(any, rows)) if count_rows else None
    if row_count == 0:
        raise _empty()
    return SourceFile(path, file_format, encoding, header, row_count)


# --- CSV ---------------------------------------------------------------------------------------------------


@contextmanager
def _csv_open(path: Path, encoding: str) -> Iterator[Iterator[list[str]]]:
    with (
        path.open("rb") as raw,
        io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="") as text,
    ):
        yield csv.reader(text)


def _csv_encoding(path: Path) -> str:
    """The first encoding the whole file decodes in, strictly; decoding alone runs at C speed."""
    # Strict UTF-8 first: GB18030 text is almost never valid UTF-8, while the reverse is not true.
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as raw:
                while block := raw.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(
        "file_encoding",
        _("The file is neither UTF-8 nor GB18030 text: save it as UTF-8 CSV and upload again."),
    )


def _csv_inspect(path: Path, *, count_rows: bool) -> SourceFile:
    encoding = _csv_encoding(path)
    try:
        return _read(path, FileFormat.CSV, encoding, _csv_open(path, encoding), count_rows=count_rows)
    except csv.Error as error:
        raise ImportFileError(
            "file_not_csv_or_xlsx", _("The file is not readable as CSV: %(error)s.") % {"error": error}
        ) from None


# --- XLSX --------------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV would hold, so that one set of parsers serves both formats."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store 202401 or 5000 as floats; "202401.0" would fail the period check.
        return str(int(value))
    return str(value)


@contextmanager
def _xlsx_open(path: Path) -> Iterator[Iterator[list[str]]]:
    # Given a file object, openpyxl does not insist on an .xlsx name: the bytes decided the format.
    with path.open("rb") as file:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Producers often write a wrong <dimension>, which read-only mode would trust and cut rows by.
            sheet.reset_dimensions()
            yield (
                [value if type(value) is str else _cell_text(value) for value in values]
                for values in sheet.iter_rows(values_only=True)
            )
        finally:
            workbook.close()


def _xlsx_inspect(path: Path, *, count_rows: bool) -> SourceFile:
    try:
        return _read(path, FileFormat.XLSX, None, _xlsx_open(path), count_rows=count_rows)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, ParseError) as error:
        # KeyError: a ZIP without a workbook (a .docx, a plain archive); IndexError: no worksheet;
        # ParseError, ValueError: a part that is not well-formed XML, or a malformed cell in one.
        raise _not_tabular(
            _("a ZIP archive that is not a readable XLSX workbook (%(error)s)")
            % {"error": type(error).__name__}
        ) from None
