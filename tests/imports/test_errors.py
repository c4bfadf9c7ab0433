import csv
import io

from imports.errors import RowError, csv_cell_escape, row_errors_csv_lines

ERRORS = [
    RowError(
        2, "base", "money_format", "'=HYPERLINK(\"http://x\")' is not an amount such as 5000 or 5000.50."
    ),
    RowError(7, "", "duplicate_in_file", "An earlier row has the same id_number."),
]


def test_cells_a_spreadsheet_would_run_as_formulas_are_prefixed_with_a_quote():
    assert [csv_cell_escape(value) for value in ("=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+1",
        "'+86",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert [csv_cell_escape(value) for value in ("", "a=b", "'quoted", "王")] == ["", "a=b", "'quoted", "王"]


def test_error_report_csv_has_a_header_and_escapes_every_text_cell():
    report_errors = [*ERRORS, RowError(9, "=cmd", "@code", "-1 is not positive.")]

    report = "".join(row_errors_csv_lines(report_errors))

    assert list(csv.reader(io.StringIO(report))) == [
        ["row", "column", "code", "message"],
        ["2", "base", "money_format", "'=HYPERLINK(\"http://x\")' is not an amount such as 5000 or 5000.50."],
        ["7", "", "duplicate_in_file", "An earlier row has the same id_number."],
        ["9", "'=cmd", "'@code", "'-1 is not positive."],
    ]
