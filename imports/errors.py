"""What an import reports back: file-level refusals and per-row errors.

A refused file (`ImportFileError`) stops the import before anything is written. A row error (`RowError`)
rejects one row and never the others. `row` is the spreadsheet row number: the header is row 1 and the
first data row is row 2, so the number matches what the sender sees in Excel or WPS. For CSV it counts
records, which equals the line number unless a quoted cell holds a line break.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from core.exceptions import ApplicationError


class ImportFileError(ApplicationError):
    """The whole file is refused: file_empty, file_not_csv_or_xlsx, file_encoding, file_header,
    file_too_large, file_row_count_mismatch."""


class CellError(Exception):
    """One cell's value is refused. Parsers raise it; the validator turns it into a `RowError`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str  # "" when the error concerns the whole row
    code: str
    message: str


REPORT_COLUMNS = ("row", "column", "code", "message")
# OWASP CSV injection: a spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_escape(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula by prefixing a single quote."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


class _LineBuffer:
    """csv.writer target that hands back each formatted line instead of buffering the report."""

    def write(self, line: str) -> str:
        return line


def row_errors_csv_lines(errors: Iterable[RowError]) -> Iterator[str]:
    """The error report as CSV lines (header first), for a streaming download of any size."""
    writer = csv.writer(_LineBuffer())
    yield writer.writerow(REPORT_COLUMNS)
    for error in errors:
        yield writer.writerow(
            (
                error.row,
                csv_cell_escape(error.column),
                csv_cell_escape(error.code),
                csv_cell_escape(error.message),
            )
        )
