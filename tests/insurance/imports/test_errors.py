import csv
import io

from insurance.imports.errors import RowError, csv_cell_escape, row_errors_as_json, row_errors_write_csv

ERRORS = [
    RowError(
        2, "base", "money_format", "'=HYPERLINK(\"http://x\")' is not an amount such as 5000 or 5000.50."
    ),
    RowError(7, "", "duplicate_in_file", "An earlier row has the same id_number."),
]


def test_error_report_as_json_lists_row_column_code_and_message():
    assert row_errors_as_json(ERRORS) == [
        {
            "row": 2,
            "column": "base",
            "code": "money_format",
            "message": "'=HYPERLINK(\"http://x\")' is not an amount such as 5000 or 5000.50.",
        },
        {
            "row": 7,
            "column": "",
            "code": "duplicate_in_file",
            "message": "An earlier row has the same id_number.",
        },
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
    out = io.StringIO()
    report_errors = [*ERRORS, RowError(9, "=cmd", "@code", "-1 is not positive.")]

    row_errors_write_csv(report_errors, out)

    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["row", "column", "code", "message"],
        ["2", "base", "money_format", "'=HYPERLINK(\"http://x\")' is not an amount such as 5000 or 5000.50."],
        ["7", "", "duplicate_in_file", "An earlier row has the same id_number."],
        ["9", "'=cmd", "'@code", "'-1 is not positive."],
    ]
