"""What leaves the platform of a job's files: its error report, and its stored upload.

The error report gives each row error with the row's cells as the file held them.

The cells are kept with the ID number masked (`110105********002X`), and the full number encrypted
beside them (core.crypto). The CSV report opens in Excel as it is: UTF-8 with a BOM, every text cell
escaped against formulas. Its full-ID form shows the numbers the sender wrote, and logs each of them
that names a registered person as a read of a full ID number (insurance.selectors), batch by batch
before the batch leaves. The stored upload is downloaded whole (administrators, while the retention
rule keeps it): every ID number in it is logged as read before its first byte leaves.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import status

from accounts.models import User
from core.crypto import decrypt_text, encrypt_text
from core.exceptions import ApplicationError
from imports.errors import RowError, csv_cell_escape
from imports.formats import FileFormat, file_rows
from imports.models import ImportJob, ImportRowError
from imports.storage import CHUNK, StoredUpload
from imports.validation import Chunk, PreparedFile, file_count, file_prepare
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
        for (row, column, code, message, values, _sealed), number in zip(
            batch, id_numbers(batch), strict=True
        ):
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
        numbers = [decrypt_text(row[-1]) if row[-1] else None for row in batch]
        id_numbers_reveal_log(
            reader=reader,
            id_numbers={unicodedata.normalize("NFKC", n).upper() for n in numbers if n},
            endpoint=endpoint,
        )
        return numbers

    return _report_lines(job, errors, revealed)


# An ID number's shape in a CSV's bytes, wherever it stands (a column named otherwise, a line in the wrong
# encoding): digits are ASCII in both encodings, and a number never spans a line break.
_ID_NUMBER_BYTES = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_SCAN_BYTES = 1 << 20


def _csv_id_numbers(stored: StoredUpload) -> Iterator[set[str]]:
    with stored.open() as file:
        carried = b""
        while block := file.read(_SCAN_BYTES):
            data = carried + block
            # The last line may be cut off by the block: it is searched with the next one (unless it is
            # no line of a CSV at all, over a block long).
            end = data.rfind(b"\n") + 1 or (len(data) if len(data) > _SCAN_BYTES else 0)
            carried = data[end:]
            yield {number.decode().upper() for number in _ID_NUMBER_BYTES.findall(data, 0, end)}
        yield {number.decode().upper() for number in _ID_NUMBER_BYTES.findall(carried)}


def _xlsx_id_numbers(job: ImportJob, stored: StoredUpload) -> Iterator[set[str]]:
    prepared = file_count(prepared=file_prepare(source=stored.open, kind=job.kind))
    id_position = prepared.positions[0]
    with file_rows(prepared.source) as rows:
        for batch in _batches(rows):
            yield {
                unicodedata.normalize("NFKC", row[id_position]).strip().upper()
                for row in batch
                if id_position < len(row) and row[id_position].strip()
            }


def _plain_blocks(stored: StoredUpload) -> Iterator[bytes]:
    with stored.open() as file:
        while block := file.read(CHUNK):
            yield block


def stored_file_download(*, job: ImportJob, reader: User, endpoint: str) -> tuple[Iterator[bytes], str]:
    """The job's stored upload, decrypted, and its format's file name suffix. Every ID number it holds is
    logged as read by `reader` first (the whole file is read for them, before the download starts)."""
    if not job.file:
        raise ApplicationError(
            "import_file_deleted",
            _("The job's file was deleted by the retention rule."),
            status_code=status.HTTP_410_GONE,
        )
    stored = StoredUpload(job.file.name)
    with stored.open() as file:
        file_format = FileFormat.XLSX if file.read(4) == b"PK\x03\x04" else FileFormat.CSV
    numbers = _xlsx_id_numbers(job, stored) if file_format == FileFormat.XLSX else _csv_id_numbers(stored)
    for batch in numbers:
        id_numbers_reveal_log(reader=reader, id_numbers=batch, endpoint=endpoint)
    return _plain_blocks(stored), file_format.value
