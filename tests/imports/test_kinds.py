import codecs
import csv
import datetime
import io

import pytest

from imports.kinds import EXAMPLES_DIR, KINDS, ImportKind, kind_columns_doc, kind_example_bytes
from imports.validation import file_count, file_prepare, file_validate


@pytest.mark.parametrize("kind", list(ImportKind))
def test_example_file_names_every_column_in_table_order_and_all_its_rows_are_valid(kind):
    prepared = file_count(prepared=file_prepare(source=EXAMPLES_DIR / f"{kind}.csv", kind=kind))
    chunks = list(file_validate(prepared=prepared, today=datetime.date(2024, 7, 1)))

    assert prepared.source.header == KINDS[kind].column_names
    assert [error for chunk in chunks for error in chunk.errors] == []
    assert sum(len(chunk.rows) for chunk in chunks) == prepared.row_count >= 2


def test_example_download_is_the_example_file_behind_a_utf8_bom():
    content = kind_example_bytes(ImportKind.PERSONS)

    assert content.startswith(codecs.BOM_UTF8)
    assert content[3:] == (EXAMPLES_DIR / "persons.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1] == ["11010519491231002X", "王秀英", "11", "11", "13800138000", "RP", "202401", ""]


@pytest.mark.usefixtures("english")
def test_column_documentation_comes_from_the_column_table():
    assert kind_columns_doc(ImportKind.DEATHS) == [
        {
            "name": "id_number",
            "required": True,
            "description": (
                "18-character citizen identity number (GB 11643-1999), also the social security number."
            ),
        },
        {"name": "date_of_death", "required": True, "description": "Date of death, YYYY-MM-DD."},
        {
            "name": "source",
            "required": True,
            "description": "Who reported it, e.g. public_security, civil_affairs, health.",
        },
    ]
