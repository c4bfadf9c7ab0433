import datetime
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from imports.errors import ImportFileError
from imports.formats import FileFormat, file_inspect
from imports.kinds import ImportKind
from imports.validation import file_count, file_prepare, file_validate

TODAY = datetime.date(2024, 7, 1)
PERSONS_HEADER = "id_number,name,hukou_province,residence_province,phone\n"
PERSON_ROW = "11010519491231002X,王秀英,11,31,13800138000\n"


def write(tmp_path, content: bytes, name: str = "upload.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def persons(path):
    prepared = file_count(prepared=file_prepare(source=path, kind=ImportKind.PERSONS))
    return prepared, [row for chunk in file_validate(prepared=prepared, today=TODAY) for row in chunk.rows]


def refusal(path, kind=ImportKind.PERSONS, **kwargs) -> ImportFileError:
    """The file's refusal, at upload or in the job's first pass."""
    with pytest.raises(ImportFileError) as caught:
        file_count(prepared=file_prepare(source=path, kind=kind), **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [("utf-8", b"", "utf-8-sig"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("gb18030", b"", "gb18030")],
)
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gb18030(tmp_path, encoding, prefix, detected):
    path = write(tmp_path, prefix + (PERSONS_HEADER + PERSON_ROW).encode(encoding))

    prepared, rows = persons(path)

    assert prepared.source.format == FileFormat.CSV
    assert prepared.source.encoding == detected
    assert prepared.source.header == ("id_number", "name", "hukou_province", "residence_province", "phone")
    assert rows == [(2, "11010519491231002X", "王秀英", "11", "31", "13800138000", None, None, None)]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_upload_reads_the_head_only_and_the_first_pass_settles_encoding_and_count(tmp_path, encoding):
    # ASCII over the upload's head: only the job's first pass meets the Chinese text, and its encoding.
    content = PERSONS_HEADER + "11010519491231002X,WANG,11,31,13800138000\n" * 20_000
    path = write(tmp_path, (content + "440106198507152313,李建国,44,,\n").encode(encoding))

    uploaded = file_prepare(source=path, kind=ImportKind.PERSONS)
    counted = file_count(prepared=uploaded)

    assert (uploaded.row_count, uploaded.source.encoding) == (None, "utf-8-sig")
    assert counted.row_count == 20_001
    assert counted.source.encoding == {"utf-8": "utf-8-sig", "gb18030": "gb18030"}[encoding]
    assert counted.positions == uploaded.positions
    last = [chunk.rows for chunk in file_validate(prepared=counted, today=TODAY)][-1][-1]
    assert last[2] == "李建国"


def test_row_count_skips_blank_rows_and_counts_quoted_line_breaks_once(tmp_path):
    content = PERSONS_HEADER + PERSON_ROW + "\n,,,,\n" + '440106198507152313,"李\n建国",44,,\n'
    prepared, rows = persons(write(tmp_path, content.encode()))

    assert prepared.row_count == 2
    assert [row[0] for row in rows] == [2, 5]


def xlsx(tmp_path, rows, name="upload.csv"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def test_xlsx_is_detected_by_its_bytes_not_its_name_and_cells_become_text(tmp_path):
    path = xlsx(
        tmp_path,
        [
            ["id_number", "scheme", "period", "base", "temporary_account"],
            ["440106198507152313", "EP", 202401, 8500, False],
            ["440106198507152313", "EM", 202401.0, 8500.5, True],
        ],
    )

    prepared = file_count(prepared=file_prepare(source=path, kind=ImportKind.CONTRIBUTIONS))
    chunks = list(file_validate(prepared=prepared, today=TODAY))

    assert prepared.source.format == FileFormat.XLSX
    assert prepared.row_count == 2
    assert chunks[0].errors == []
    assert chunks[0].rows == [
        (2, "440106198507152313", "EP", 202401, Decimal("8500.00"), "normal", None, False),
        (3, "440106198507152313", "EM", 202401, Decimal("8500.50"), "normal", None, True),
    ]


def test_xlsx_date_cells_are_read_as_dates(tmp_path):
    path = xlsx(
        tmp_path,
        [
            ["id_number", "date_of_death", "source"],
            ["510107196204110031", datetime.datetime(2024, 3, 15), "health"],
        ],
    )

    prepared = file_prepare(source=path, kind=ImportKind.DEATHS)

    assert next(file_validate(prepared=prepared, today=TODAY)).rows == [
        (2, "510107196204110031", datetime.date(2024, 3, 15), "health")
    ]


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"\n\n", PERSONS_HEADER.encode(), (PERSONS_HEADER + ",,,,\n\n").encode()],
    ids=["zero_bytes", "bom_only", "blank_lines", "header_only", "blank_rows_only"],
)
def test_file_without_data_rows_is_refused_as_empty(tmp_path, content):
    error = refusal(write(tmp_path, content))

    assert error.code == "file_empty"
    assert error.message == "The file has no data rows."


def test_xlsx_without_data_rows_is_refused_as_empty(tmp_path):
    assert refusal(xlsx(tmp_path, [["id_number", "name"]])).code == "file_empty"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n", "The file is a PDF document, not CSV or XLSX."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
            "The file is a legacy Office file (.xls): save it as .xlsx or CSV, not CSV or XLSX.",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is binary data, not CSV or XLSX."),
        (
            b"PK\x03\x04garbage that is no zip archive",
            "The file is a ZIP archive that is not a readable XLSX workbook (BadZipFile), not CSV or XLSX.",
        ),
    ],
    ids=["pdf", "xls", "png", "broken_zip"],
)
def test_file_that_is_not_csv_or_xlsx_is_refused(tmp_path, content, message):
    error = refusal(write(tmp_path, content, name="contributions.xlsx"))

    assert (error.code, error.message) == ("file_not_csv_or_xlsx", message)


def test_zip_archive_without_a_workbook_is_refused(tmp_path):
    path = tmp_path / "upload.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    error = refusal(path)

    assert error.code == "file_not_csv_or_xlsx"
    assert error.message.startswith("The file is a ZIP archive that is not a readable XLSX workbook")


@pytest.mark.parametrize(
    ("part", "corrupt"),
    [
        ("xl/workbook.xml", lambda xml: b"<<not xml"),
        ("xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'r="A2"', b'r="A"')),
    ],
    ids=["unparsable_xml", "bad_cell_reference"],
)
def test_xlsx_with_a_corrupt_part_is_refused_not_crashed_on(tmp_path, part, corrupt):
    good = xlsx(tmp_path, [PERSONS_HEADER.strip().split(","), PERSON_ROW.strip().split(",")])
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as archive:
        for name in source.namelist():
            content = source.read(name)
            archive.writestr(name, corrupt(content) if name == part else content)

    error = refusal(path)

    assert error.code == "file_not_csv_or_xlsx"
    assert error.message.startswith("The file is a ZIP archive that is not a readable XLSX workbook")


@pytest.mark.parametrize(
    "content",
    [
        (PERSONS_HEADER + "11010519491231002X,Jos\xe9,11,,\n").encode("latin-1") + b"\xff\xfe\xfd",
        b"\xff\xfei\x00d\x00",
    ],
    ids=["latin1_and_invalid_bytes", "utf16"],
)
def test_text_that_is_neither_utf8_nor_gb18030_is_refused(tmp_path, content):
    assert refusal(write(tmp_path, content)).code == "file_encoding"


def test_file_over_the_size_limit_is_refused_with_413(tmp_path, settings):
    settings.IMPORT_MAX_FILE_BYTES = 40
    path = write(tmp_path, (PERSONS_HEADER + PERSON_ROW).encode())

    error = refusal(path)

    assert (error.code, error.status_code) == ("file_too_large", 413)
    assert error.fields == {"size": path.stat().st_size, "limit": 40}


def test_csv_the_parser_cannot_read_is_refused(tmp_path, settings):
    huge_cell = "x" * 200_000  # beyond the csv module's field limit
    error = refusal(write(tmp_path, (PERSONS_HEADER + f'"{huge_cell}",a,11,,\n').encode()))

    assert error.code == "file_not_csv_or_xlsx"
    assert error.message.startswith("The file is not readable as CSV: field larger than field limit")


def test_inspect_reports_header_stripped_with_trailing_empty_cells_dropped(tmp_path):
    source = file_inspect(source=write(tmp_path, b" id_number , name,,\n11010519491231002X,A,,\n"))

    assert source.header == ("id_number", "name")
    assert source.row_count is None  # counted by the job's first pass
