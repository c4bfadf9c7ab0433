"""Reading import files: CSV (UTF-8 with or without BOM, or GB18030) and XLSX, streamed row by row.

The format is decided by the file's bytes, never its name. A file is read twice, and only the second
reading is costly:
- at upload, `file_inspect` settles the format and the header from the first bytes (a CSV's first
  IMPORT_UPLOAD_HEAD_BYTES; an XLSX's central directory and its first row, under the limits of
  `imports.archives`): nothing is parsed in full inside a web request;
- in the job, `file_scan` reads the whole file once before any row is written: every line's encoding, and
  the number of data rows. `file_rows` then streams the data rows as lists of strings.

A file is given as an opener, a function returning a new binary file object (seekable, for XLSX): the
stored uploads are encrypted (imports.storage), and tests hand in plain paths.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import IO, BinaryIO

from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse
from rest_framework import status

from imports.archives import GuardedArchive, archive_open
from imports.encodings import UTF8, EncodingScan
from imports.errors import ImportFileError

Opener = Callable[[], BinaryIO]


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class SourceFile:
    open: Opener
    format: FileFormat
    encoding: str | None  # CSV only: "utf-8-sig" (reads UTF-8 with or without BOM) or "gb18030"
    header: tuple[str, ...]  # cells of row 1, stripped, trailing empty cells dropped
    # Data rows below the header, blank rows not counted; None until `file_scan` has counted them.
    row_count: int | None


_ZIP_MAGIC = b"PK\x03\x04"
_NOT_TABULAR = {
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "a legacy Office file (.xls): save it as .xlsx or CSV",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SCAN_BLOCK = 1 << 20


def _not_tabular(what: str) -> ImportFileError:
    return ImportFileError("file_not_csv_or_xlsx", f"The file is {what}, not CSV or XLSX.")


def _empty() -> ImportFileError:
    return ImportFileError("file_empty", "The file has no data rows.")


def opener_of(source: Path | Opener) -> Opener:
    """A plain file on disk as an opener."""
    return partial(source.open, "rb") if isinstance(source, Path) else source


def file_check_size(*, size: int) -> None:
    """Refuse a file over IMPORT_MAX_FILE_BYTES; the upload API can call it before storing anything."""
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise ImportFileError(
            "file_too_large",
            f"The file is {size:,} bytes; the limit is {limit:,} bytes. Split it into smaller files.",
            fields={"size": size, "limit": limit},
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )


def file_inspect(*, source: Path | Opener) -> SourceFile:
    """Settle format, encoding (from the first bytes) and header, or refuse the file with an
    `ImportFileError`. Reads a bounded number of bytes whatever the file holds; rows are not counted."""
    opener = opener_of(source)
    with opener() as file:
        size = file.seek(0, io.SEEK_END)
        file_check_size(size=size)
        if size == 0:
            raise _empty()
        file.seek(0)
        if file.read(len(_ZIP_MAGIC)) != _ZIP_MAGIC:
            file.seek(0)
            return _text_inspect(opener, file.read(settings.IMPORT_UPLOAD_HEAD_BYTES), size)
    return _xlsx_inspect(opener)


def _text_inspect(opener: Opener, head: bytes, size: int) -> SourceFile:
    for magic, what in _NOT_TABULAR.items():
        if head.startswith(magic):
            raise _not_tabular(what)
    if head.startswith(_UTF16_BOMS):
        raise ImportFileError("file_encoding", "The file is UTF-16 text: save it as UTF-8 or GB18030 CSV.")
    if b"\x00" in head:
        raise _not_tabular("binary data")
    return _csv_inspect(opener, head, whole=len(head) == size)


def file_scan(source: SourceFile) -> SourceFile:
    """The job's first pass, before any row is written: the encoding of every line (CSV) and the number of
    data rows, or a refusal (file_encoding, file_empty, and the archive limits for an XLSX)."""
    encoding = source.encoding
    if source.format == FileFormat.CSV:
        scan = EncodingScan()
        with source.open() as raw:
            while block := raw.read(_SCAN_BLOCK):
                scan.feed(block)
            scan.feed(b"", final=True)
        encoding = scan.encoding or UTF8
    scanned = dataclasses.replace(source, encoding=encoding)
    with _rows_open(scanned) as rows:
        next(rows, None)
        # any(row): a row of empty cells is blank, as spreadsheets export them after formatted areas.
        row_count = sum(map(any, rows))
    if row_count == 0:
        raise _empty()
    return dataclasses.replace(scanned, row_count=row_count)


def _rows_open(source: SourceFile) -> AbstractContextManager[Iterator[list[str]]]:
    if source.format == FileFormat.CSV:
        return _csv_open(source.open, source.encoding or UTF8)
    return _xlsx_open(source.open)


@contextmanager
def file_rows(source: SourceFile) -> Iterator[Iterator[list[str]]]:
    """The data rows below the header, in order, blank rows included so that positions stay true."""
    with _rows_open(source) as rows:
        next(rows, None)
        yield rows


def _header(cells: list[str] | None) -> tuple[str, ...]:
    names = [cell.strip() for cell in cells or ()]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


# --- CSV ---------------------------------------------------------------------------------------------------


def _csv_rows(text: io.TextIOWrapper) -> Iterator[list[str]]:
    """CSV rows; the parser's refusal (a field over the csv module's limit...) is the file's."""
    try:
        yield from csv.reader(text)
    except csv.Error as error:
        raise ImportFileError("file_not_csv_or_xlsx", f"The file is not readable as CSV: {error}.") from None


@contextmanager
def _csv_open(opener: Opener, encoding: str) -> Iterator[Iterator[list[str]]]:
    with (
        opener() as raw,
        io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="") as text,
    ):
        yield _csv_rows(text)


def _csv_inspect(opener: Opener, head: bytes, *, whole: bool) -> SourceFile:
    """Encoding and header from the first bytes; with the whole file in them, its emptiness too."""
    scan = EncodingScan()
    scan.feed(head, final=whole)
    encoding = scan.encoding or UTF8
    complete = head if whole else head[: head.rfind(b"\n") + 1]
    if not complete:
        raise ImportFileError(
            "file_header",
            _("The first row is longer than %(limit)s bytes: it cannot be a header.") % {"limit": len(head)},
        )
    with _csv_open(lambda: io.BytesIO(complete), encoding) as rows:
        header = _header(next(rows, None))
        if whole and not any(map(any, rows)):
            raise _empty()
    return SourceFile(opener, FileFormat.CSV, encoding, header, None)


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


# What openpyxl raises on a ZIP that is not a readable workbook. KeyError: a ZIP without a workbook (a
# .docx, a plain archive); IndexError: no worksheet; SyntaxError (the ParseError of ElementTree and of
# lxml, whichever openpyxl parses with), ValueError: a part that is not well-formed XML, or a malformed
# cell; DefusedXmlException: XML entities (a "billion laughs" part); zlib.error, EOFError: a damaged
# compressed member.
_XLSX_UNREADABLE = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    IndexError,
    ValueError,
    SyntaxError,
    DefusedXmlException,
    zlib.error,
    EOFError,
)


def _unreadable(error: Exception) -> ImportFileError:
    return _not_tabular(f"a ZIP archive that is not a readable XLSX workbook ({type(error).__name__})")


class _WorkbookReader(ExcelReader):
    """openpyxl's reader (read-only, values only) over an archive opened under the limits, in place of
    the plain ZipFile that `ExcelReader.__init__` would open. Read-only mode streams the worksheets; the
    shared strings and the other parts are read whole, which the archive's limits bound."""

    def __init__(self, archive: GuardedArchive, *, header_only: bool = False) -> None:
        self.header_only = header_only
        self.archive = archive
        self.valid_files = archive.namelist()
        self.read_only = True
        self.keep_vba = False
        self.data_only = True
        self.keep_links = False
        self.rich_text = False
        self.shared_strings = []

    def read_strings(self) -> None:
        """All the shared strings for a job; for the header at upload, only the first ones: a producer
        writes them in the order it meets them, so the first row's come first, and the web request
        reads no more of the part than that."""
        if not self.header_only:
            return super().read_strings()
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _first_strings(source, _HEADER_STRINGS)
        return None

    def read_worksheets(self) -> None:
        """The read-only worksheets, made without reading their parts: openpyxl's read one at once for its
        <dimension>, and a sheet without one was parsed whole for it, inside the upload request. The
        rows are read to their end anyway, never cut by a dimension (which producers often get wrong)."""
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                worksheet = _StreamedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    def read_workbook(self) -> None:
        super().read_workbook()
        # The worksheets alone are streamed: they may be as large as any member.
        self.archive.streamed.update(rel.target for sheet, rel in self.parser.find_sheets())


class _StreamedSheet(ReadOnlyWorksheet):
    """A read-only worksheet of unknown dimensions: its rows are read until the part ends."""

    def _get_size(self) -> None:
        return None


# More than any header's columns; a header cell naming a string beyond them is refused as unreadable.
_HEADER_STRINGS = 256
_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


def _first_strings(source: IO[bytes], count: int) -> list[str]:
    """openpyxl's `read_string_table`, stopping after `count` strings."""
    strings: list[str] = []
    for _event, node in iterparse(source):
        if node.tag == _STRING_TAG:
            strings.append(Text.from_tree(node).content.replace("x005F_", ""))
            node.clear()
            if len(strings) == count:
                break
    return strings


def _xlsx_rows(sheet: ReadOnlyWorksheet) -> Iterator[list[str]]:
    try:
        for values in sheet.iter_rows(values_only=True):
            yield [value if type(value) is str else _cell_text(value) for value in values]
    except _XLSX_UNREADABLE as error:
        raise _unreadable(error) from None


@contextmanager
def _xlsx_open(opener: Opener, *, header_only: bool = False) -> Iterator[Iterator[list[str]]]:
    with opener() as file:
        try:
            archive = archive_open(file)
            reader = _WorkbookReader(archive, header_only=header_only)
            reader.read()
            workbook = reader.wb
            sheet = workbook.worksheets[0]
        except _XLSX_UNREADABLE as error:
            raise _unreadable(error) from None
        try:
            yield _xlsx_rows(sheet)
        finally:
            workbook.close()


def _xlsx_inspect(opener: Opener) -> SourceFile:
    """The header: the archive's directory, the parts read whole, and the worksheet's first row."""
    with _xlsx_open(opener, header_only=True) as rows:
        header = _header(next(rows, None))
    return SourceFile(opener, FileFormat.XLSX, None, header, None)
