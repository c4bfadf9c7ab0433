"""What an import reports back: file-level refusals and per-row errors.

A refused file (`ImportFileError`) stops the import before anything is written. A row error (`RowError`)
rejects one row and never the others. `row` is the spreadsheet row number: the header is row 1 and the
first data row is row 2, so the number matches what the sender sees in Excel or WPS. For CSV it counts
records, which equals the line number unless a quoted cell holds a line break.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ErrorCode
from core.exceptions import ApplicationError

ERRORS = (
    # A file refused whole, at upload (nothing is written) or when its job opens it again.
    ErrorCode("file_too_large", 413, "The file is larger than the upload limit: split it."),
    ErrorCode("file_not_csv_or_xlsx", 400, "The file is neither CSV nor XLSX, or cannot be read as CSV."),
    ErrorCode(
        "file_encoding",
        400,
        "The CSV is neither UTF-8 nor GB18030 text, or mixes the two: `fields.line` names the first bad "
        "line.",
    ),
    ErrorCode(
        "file_archive_limit",
        400,
        "The XLSX archive passes a limit (a member's size or compression ratio, the shared strings, the "
        "directory): a zip bomb, or a workbook to split.",
    ),
    ErrorCode("file_empty", 400, "The file has no data rows."),
    ErrorCode("file_header", 400, "The first row does not name the kind's columns."),
    ErrorCode(
        "file_row_count_mismatch", 400, "The file holds another number of rows than declared: truncated?"
    ),
    ErrorCode("import_already_finished", 409, "The job has already finished: there is nothing to cancel."),
    ErrorCode("import_internal_error", None, "The job failed on the platform's side; the failure is logged."),
    ErrorCode(
        "import_memory_limit",
        None,
        "The job reached the memory limit of the process running it: split the file into smaller ones.",
    ),
    ErrorCode("import_all_rows_rejected", None, "The job ran, and every row was rejected: see its errors."),
    ErrorCode(
        "import_file_deleted",
        410,
        "The job's stored file was deleted by the retention rule: upload the file again.",
    ),
    ErrorCode("import_file_unreadable", 400, "The job's stored file does not decrypt: upload it again."),
    ErrorCode("import_not_finished", 409, "The file's latest job is still queued or running."),
    # A row refused, in the job's error report (the domain's refusals of a row keep their own codes).
    ErrorCode("row_too_many_cells", None, "The row has more cells than the header."),
    ErrorCode("duplicate_in_file", None, "An earlier row of the file has the same key."),
    ErrorCode("required", None, "The column is required, and the cell is empty."),
    ErrorCode("text_too_long", None, "The text is longer than the column holds."),
    ErrorCode("boolean_format", None, "The cell is not true or false (1/0, yes/no, 是/否)."),
    ErrorCode("date_format", None, "The cell is not a date written YYYY-MM-DD."),
    ErrorCode("date_invalid", None, "The date does not exist in the calendar."),
    ErrorCode("date_in_future", None, "The date is in the future."),
    ErrorCode("date_too_early", None, "The date is before 1900."),
    ErrorCode("date_before_birth", None, "The date is before the person's birth."),
    ErrorCode("money_format", None, "The cell is not an amount such as 5000 or 5000.50."),
    ErrorCode("money_precision", None, "The amount has more than two decimal places."),
    ErrorCode("money_not_positive", None, "The amount must be more than zero."),
    ErrorCode("money_too_large", None, "The amount is above the largest the platform records."),
    ErrorCode("phone_format", None, "The cell is not a mainland mobile or landline number."),
    ErrorCode("payment_type_unknown", None, "The cell is not a payment type."),
    ErrorCode("evidence_kind_unknown", None, "The cell is not a kind of life evidence."),
    ErrorCode(
        "status_evidence_kind_unknown", None, "The cell is not imprisonment, release or disappearance."
    ),
    ErrorCode(
        "enrolment_incomplete",
        None,
        "A row that enrols gives both the scheme and the start month, and an employer only with them.",
    ),
)


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


# OWASP CSV injection: a spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_escape(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula by prefixing a single quote."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value
