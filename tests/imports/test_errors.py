from imports.errors import csv_cell_escape


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
