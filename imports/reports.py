"""A job's error report: each row error with the row's cells as the file held them.

The cells are kept with the ID number masked (`110105********002X`), and the full number encrypted
beside them (core.crypto). The CSV report opens in Excel as it is: UTF-8 with a BOM, every text cell
escaped against formulas. Its full-ID form shows the numbers the sender wrote, and logs each of them
that names a registered person as a read of a full ID number (insurance.selectors), batch by batch
before the batch leaves.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from core.crypto import decrypt_text, encrypt_text
from imports.errors import RowError, csv_cell_escape
from imports.models import ImportJob, ImportRowError
from imports.validation import Chunk, PreparedFile
from insurance.selectors import id_numbers_reveal_log

REPORT_COLUMNS = ("row", "column", "code", "message")
BOM = "\ufeff"  # without it, Excel reads a UTF-8 CSV in the machine's code page: Chinese text garbled
_BATCH = 5000
ID_COLUMN = "id_number"  # the first column of every kind (imports.kinds)


def masked_cell(value: str) -> str:
    """An ID number cell as the report shows it: the first six and last four characters of a value as
    long as an ID number, nothing of a shorter one (it may be a number cut short)."""
    value = value.strip()
    if len(value) < 15:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def row_error_records(
    *, job_id: int, errors: Sequence[RowError], chunk: Chunk, prepared: PreparedFile
) -> list[ImportRowError]:
    """The row errors of a chunk as rows to store, each with its row's cells (ID number masked)."""
    id_position = prepared.positions[0]
    sealed: dict[str, str] = {}  # a person's rows repeat the number: encrypt it once
    records = []
    for error in errors:
        cells = list(chunk.raw[error.row - chunk.first_row])
        number = cells[id_position].strip() if id_position < len(cells) else ""
        if number:
            cells[id_position] = masked_cell(number)
            if number not in sealed:
                sealed[number] = encrypt_text(number)
        records.append(
            ImportRowError(
                job_id=job_id,
                row=error.row,
                column=error.column,
                code=error.code,
                message=error.message[:500],
                values=cells,
                id_number_ciphertext=sealed.get(number, ""),
            )
        )
    return records


class _LineBuffer:
    """csv.writer target that hands back each formatted line instead of buffering the report."""

    def write(self, line: str) -> str:
        return line


def _batches(rows: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


# Given a batch of (row, column, code, message, values, ciphertext): the ID number to show on each row,
# or None to keep the masked cell.
IdNumbers = Callable[[list[tuple]], list[str | None]]


def _report_lines(job: ImportJob, errors: QuerySet[ImportRowError], id_numbers: IdNumbers) -> Iterator[str]:
    writer = csv.writer(_LineBuffer())
    header = list(job.header)
    yield BOM + writer.writerow([*REPORT_COLUMNS, *header])
    id_position = header.index(ID_COLUMN) if ID_COLUMN in header else None
    rows = errors.order_by("row", "id").values_list(
        "row", "column", "code", "message", "values", "id_number_ciphertext"
    )
    for batch in _batches(rows.iterator(chunk_size=_BATCH)):
        for (row, column, code, message, values, _), number in zip(batch, id_numbers(batch), strict=True):
            cells = list(values)
            if number is not None and id_position is not None and id_position < len(cells):
                cells[id_position] = number
            yield writer.writerow(
                [row, *(csv_cell_escape(str(cell)) for cell in (column, code, message, *cells))]
            )


def error_report_lines(*, job: ImportJob, errors: QuerySet[ImportRowError]) -> Iterator[str]:
    """The report as CSV lines, ID numbers masked, for a streaming download of any size."""
    return _report_lines(job, errors, lambda batch: [None] * len(batch))


def error_report_full_id_lines(
    *, job: ImportJob, errors: QuerySet[ImportRowError], reader: User, endpoint: str
) -> Iterator[str]:
    """The report as CSV lines with the full ID numbers, each batch's reads logged before it is sent."""

    def revealed(batch: list[tuple]) -> list[str | None]:
        numbers = [decrypt_text(sealed) if sealed else None for *_, sealed in batch]
        id_numbers_reveal_log(
            reader=reader,
            id_numbers={unicodedata.normalize("NFKC", n).upper() for n in numbers if n},
            endpoint=endpoint,
        )
        return numbers

    return _report_lines(job, errors, revealed)
