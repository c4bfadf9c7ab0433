"""From a file to clean typed rows and row errors, chunk by chunk.

    prepared = file_prepare(source=path, kind=ImportKind.CONTRIBUTIONS)  # at upload: may refuse
    prepared = file_count(prepared=prepared, expected_rows=None)  # the job's first pass: may refuse
    for chunk in file_validate(prepared=prepared):
        write(chunk.rows); record(chunk.errors)

`file_prepare` and `file_count` perform every file-level refusal, so nothing has been written when they
raise. A clean row is
the tuple `(row_number, *values)` with the values in the kind's column order (`KINDS[kind].column_names`),
typed by the column parsers. Memory stays flat except for the natural keys kept to find duplicates.
"""

from __future__ import annotations

import datetime
import gc
import operator
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from django.utils import timezone

from imports.errors import CellError, ImportFileError, RowError
from imports.formats import Opener, SourceFile, file_inspect, file_rows, file_scan
from imports.kinds import KINDS, Column, ImportKind, KindSpec

CHUNK_SIZE = 5000
# Per-column memo size: bounds memory on columns whose values rarely repeat, such as names.
CACHE_LIMIT = 200_000
FIRST_DATA_ROW = 2  # the header is row 1


@dataclass(frozen=True, slots=True)
class PreparedFile:
    source: SourceFile
    spec: KindSpec
    # For each column of the kind, its index in the file's rows; len(header) for an absent optional column.
    positions: tuple[int, ...]

    @property
    def row_count(self) -> int | None:
        return self.source.row_count


@dataclass(slots=True)
class Chunk:
    first_row: int
    last_row: int
    rows: list[tuple]  # clean rows (row_number, *values)
    errors: list[RowError]  # ordered by row
    raw: list[list[str]]  # the cells as read, row `first_row + i` at i: the error report's row values

    @property
    def rejected(self) -> int:
        """Rows refused in this chunk (a row may have several errors)."""
        return len({error.row for error in self.errors})

    @property
    def processed(self) -> int:
        """Rows of this chunk that count towards `row_count`: all but the blank ones. Over the whole file
        these add up to `PreparedFile.row_count`, whereas `last_row - first_row + 1` also counts blanks."""
        return len(self.rows) + self.rejected


def header_check(*, spec: KindSpec, header: Sequence[str]) -> tuple[int, ...]:
    """Refuse a header with missing, unknown or repeated columns; return each column's position."""
    names = spec.column_names
    missing = [column.name for column in spec.columns if column.required and column.name not in header]
    unknown = [name for name in header if name not in names]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or repeated:
        required = ", ".join(column.name for column in spec.columns if column.required)
        optional = ", ".join(column.name for column in spec.columns if not column.required)
        problems = [
            f"{label}: {', '.join(repr(name) for name in found)}."
            for label, found in (("Missing", missing), ("Unknown", unknown), ("Repeated", repeated))
            if found
        ]
        raise ImportFileError(
            "file_header",
            f"The first row of a {spec.kind} file must name the columns {required}"
            + (f" and optionally {optional}" if optional else "")
            + f". Found: {', '.join(header) or 'nothing'}. "
            + " ".join(problems),
            fields={
                "expected": list(names),
                "found": list(header),
                "missing": missing,
                "unknown": unknown,
                "repeated": repeated,
            },
        )
    return tuple(header.index(name) if name in header else len(header) for name in names)


def row_count_check(*, declared: int | None, counted: int) -> None:
    """A sender may declare how many data rows the file holds (e.g. an `expected_rows` upload field)."""
    if declared is not None and declared != counted:
        raise ImportFileError(
            "file_row_count_mismatch",
            f"The file was declared to hold {declared:,} rows but holds {counted:,}: it may be truncated.",
            fields={"declared": declared, "counted": counted},
        )


def file_prepare(*, source: Path | Opener, kind: str) -> PreparedFile:
    """The checks made at upload, on the file's first bytes: size, format, encoding so far, header."""
    spec = KINDS[ImportKind(kind)]
    file = file_inspect(source=source)
    return PreparedFile(file, spec, header_check(spec=spec, header=file.header))


def file_count(*, prepared: PreparedFile, expected_rows: int | None = None) -> PreparedFile:
    """The job's first pass over the whole file, before any row is written: every line's encoding, the
    rows counted, and the count the sender declared."""
    scanned = file_scan(prepared.source)
    assert scanned.row_count is not None
    row_count_check(declared=expected_rows, counted=scanned.row_count)
    return replace(prepared, source=scanned)


def file_validate(
    *,
    prepared: PreparedFile,
    today: datetime.date | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Generator[Chunk]:
    """Stream the file as chunks of clean rows and row errors. A bad row never stops the others. Checks
    that need the database are the writers' (imports.writers)."""
    validator = _Validator(prepared, today or timezone.localdate())
    first_row = FIRST_DATA_ROW
    with file_rows(prepared.source) as rows:
        while True:
            with _collector_paused():
                raw_rows = list(islice(rows, chunk_size))
                if not raw_rows:
                    return
                last_row = first_row + len(raw_rows) - 1
                clean, errors = validator.cells(first_row, raw_rows)
                clean = validator.distinct(clean, errors)
                errors.sort(key=operator.attrgetter("row"))
            yield Chunk(first_row, last_row, clean, errors, raw_rows)
            del raw_rows  # freed before the next chunk is read
            first_row = last_row + 1


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading and checking cells makes only acyclic objects (lists of text, tuples, Decimals), which
    reference counting frees, so the cyclic collector has nothing to find there; yet its full passes over
    the growing set of seen keys came to dominate the time on large files."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Validator:
    """Holds what lives across chunks: the per-column memos and the natural keys already seen.

    A chunk is validated column by column: each distinct cell text is parsed once (an ID number recurs on
    every row of its person, a period on every row of its month), and the rest is dictionary lookups and
    tuple building done by the interpreter's C code. This is what keeps a million rows within seconds.
    """

    def __init__(self, prepared: PreparedFile, today: datetime.date):
        spec = prepared.spec
        self.spec = spec
        self.today = today
        self.width = len(prepared.source.header)
        # (position in the file's row, column, memo of raw text -> value or CellError, raw texts that failed)
        self.plan = [
            (position, column, {}, set())
            for position, column in zip(prepared.positions, spec.columns, strict=True)
        ]
        self.key = operator.itemgetter(*(spec.position(name) for name in spec.key))
        self.seen: set[Any] = set()

    def cell(self, column: Column, raw: str) -> Any:
        """The typed value, or the CellError itself: errors are memoised like values."""
        value = raw.strip()
        if not value:
            if column.required:
                return CellError("required", f"{column.name} is required.")
            return column.default
        try:
            return column.parse(value, self.today)
        except CellError as error:
            return error

    def fit(self, first_row: int, raw_rows: list[list[str]], errors: list[RowError]) -> tuple[list, list]:
        """Pad short rows (spreadsheets drop trailing empty cells); refuse rows with extra filled cells."""
        width = self.width
        numbers, fitted = [], []
        for number, cells in enumerate(raw_rows, first_row):
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            elif len(cells) > width:
                if any(cells[width:]):
                    errors.append(
                        RowError(
                            number,
                            "",
                            "row_too_many_cells",
                            f"The row has {len(cells)} cells; the header {width}.",
                        )
                    )
                    continue
                cells = cells[:width]
            numbers.append(number)
            fitted.append(cells)
        return numbers, fitted

    def cells(self, first_row: int, raw_rows: list[list[str]]) -> tuple[list[tuple], list[RowError]]:
        """The rows whose cells and cross-column check are valid, and the errors of the others."""
        errors: list[RowError] = []
        numbers: Sequence[int] = range(first_row, first_row + len(raw_rows))
        if set(map(len, raw_rows)) != {self.width}:
            numbers, raw_rows = self.fit(first_row, raw_rows, errors)
        # One tuple per file column, plus one of empty cells standing for every absent optional column.
        by_position = (
            [*zip(*raw_rows, strict=True), ("",) * len(raw_rows)] if raw_rows else [()] * (self.width + 1)
        )
        values_by_column = []
        failed: dict[int, list[RowError]] = {}
        for position, column, memo, failing in self.plan:
            cells = by_position[position]
            if len(memo) > CACHE_LIMIT:
                memo.clear()
                failing.clear()
            for raw in set(cells).difference(memo):
                memo[raw] = value = self.cell(column, raw)
                if type(value) is CellError:
                    failing.add(raw)
            values_by_column.append(map(memo.__getitem__, cells))
            if failing and not failing.isdisjoint(cells):
                for index, raw in enumerate(cells):
                    if raw in failing:
                        error = memo[raw]
                        failed.setdefault(index, []).append(
                            RowError(numbers[index], column.name, error.code, error.message)
                        )
        rows = list(zip(numbers, *values_by_column, strict=True))
        if failed:
            for index, row_errors in failed.items():
                if any(raw_rows[index]):  # a blank row is skipped, neither accepted nor rejected
                    errors.extend(row_errors)
            rows = [row for index, row in enumerate(rows) if index not in failed]
        row_check = self.spec.row_check
        if row_check is not None:
            rows = _without(rows, [error for row in rows if (error := row_check(row))], errors)
        return rows, errors

    def distinct(self, rows: list[tuple], errors: list[RowError]) -> list[tuple]:
        """Drop the rows whose natural key an earlier row of the file already has. Runs last, so that only
        rows that passed every other check claim a key."""
        keys = list(map(self.key, rows))
        distinct_keys = set(keys)
        # The usual case, checked without a Python-level loop. Set-to-set operations reuse the hashes the
        # sets hold, where a tuple's hash would be computed again at each use.
        if len(distinct_keys) == len(keys) and self.seen.isdisjoint(distinct_keys):
            self.seen |= distinct_keys
            return rows
        clean = []
        for row, row_key in zip(rows, keys, strict=True):
            if row_key in self.seen:
                errors.append(
                    RowError(
                        row[0],
                        "",
                        "duplicate_in_file",
                        f"An earlier row has the same {', '.join(self.spec.key)}.",
                    )
                )
            else:
                self.seen.add(row_key)
                clean.append(row)
        return clean


def _without(rows: list[tuple], new_errors: list[RowError], errors: list[RowError]) -> list[tuple]:
    if not new_errors:
        return rows
    errors.extend(new_errors)
    refused = {error.row for error in new_errors}
    return [row for row in rows if row[0] not in refused]
