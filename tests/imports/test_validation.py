import datetime
from decimal import Decimal

import pytest

from imports.errors import ImportFileError, RowError
from imports.kinds import KINDS, ImportKind
from imports.validation import file_count, file_prepare, file_validate, header_check, row_count_check

TODAY = datetime.date(2024, 7, 15)
CONTRIBUTIONS_HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account"
WANG = "11010519491231002X"
LI = "440106198507152313"
EMPLOYER = "91440300708461136T"


def validate(tmp_path, kind, lines, **kwargs):
    path = tmp_path / "upload.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    prepared = file_prepare(source=path, kind=kind)
    return list(file_validate(prepared=prepared, today=TODAY, **kwargs))


def rows_and_errors(chunks):
    return [row for chunk in chunks for row in chunk.rows], [
        error for chunk in chunks for error in chunk.errors
    ]


def test_contribution_rows_come_out_typed_in_column_order(tmp_path):
    chunks = validate(
        tmp_path,
        ImportKind.CONTRIBUTIONS,
        [
            CONTRIBUTIONS_HEADER,
            f"{LI.lower()[:-1] + LI[-1]},ep,202401, 8500 ,back_payment,{EMPLOYER.lower()},是",
            f"{WANG.lower()},RP,199001,300.5,,,",
        ],
    )

    assert chunks[0].errors == []
    assert chunks[0].rows == [
        (2, LI, "EP", 202401, Decimal("8500.00"), "back_payment", EMPLOYER, True),
        (3, WANG, "RP", 199001, Decimal("300.50"), "normal", None, None),
    ]
    assert KINDS[ImportKind.CONTRIBUTIONS].column_names == (
        "id_number",
        "scheme",
        "period",
        "base",
        "payment_type",
        "employer_code",
        "temporary_account",
    )


def test_optional_columns_may_be_left_out_of_the_header_and_take_their_defaults(tmp_path):
    chunks = validate(
        tmp_path, ImportKind.CONTRIBUTIONS, ["period,base,scheme,id_number", f"202401,5000,WI,{LI}"]
    )

    assert chunks[0].rows == [(2, LI, "WI", 202401, Decimal("5000.00"), "normal", None, None)]


@pytest.mark.parametrize(
    ("cells", "column", "code"),
    [
        ("11010519491231002Y,EP,202401,5000,normal,,", "id_number", "id_number_format"),
        ("99010519491231002X,EP,202401,5000,normal,,", "id_number", "id_number_province"),
        ("110105194912310021,EP,202401,5000,normal,,", "id_number", "id_number_checksum"),
        ("110105203001010015,EP,202401,5000,normal,,", "id_number", "id_number_birth_date"),
        (",EP,202401,5000,normal,,", "id_number", "required"),
        (f"{LI},XX,202401,5000,normal,,", "scheme", "scheme_unknown"),
        (f"{LI},EP,2024-01,5000,normal,,", "period", "period_format"),
        (f"{LI},EP,202413,5000,normal,,", "period", "period_format"),
        (f"{LI},EP,202408,5000,normal,,", "period", "period_in_future"),
        (f"{LI},EP,198912,5000,normal,,", "period", "period_too_early"),
        (f'{LI},EP,202401,"5,000",normal,,', "base", "money_format"),
        (f"{LI},EP,202401,1e3,normal,,", "base", "money_format"),
        (f"{LI},EP,202401,NaN,normal,,", "base", "money_format"),
        (f"{LI},EP,202401,5000.001,normal,,", "base", "money_precision"),
        (f"{LI},EP,202401,0.00,normal,,", "base", "money_not_positive"),
        (f"{LI},EP,202401,-5000,normal,,", "base", "money_not_positive"),
        (f"{LI},EP,202401,1000000,normal,,", "base", "money_too_large"),
        (f"{LI},EP,202401,5000,arrears,,", "payment_type", "payment_type_unknown"),
        (f"{LI},EP,202401,5000,normal,91440300708461136X,", "employer_code", "employer_code_checksum"),
        (f"{LI},EP,202401,5000,normal,9144030070846113,", "employer_code", "employer_code_format"),
        (f"{LI},EP,202401,5000,normal,,maybe", "temporary_account", "boolean_format"),
    ],
)
def test_bad_cell_rejects_its_row_with_a_coded_error_and_keeps_the_good_rows(tmp_path, cells, column, code):
    good = f"{WANG},RP,202401,300,normal,,"
    chunks = validate(
        tmp_path, ImportKind.CONTRIBUTIONS, [CONTRIBUTIONS_HEADER, good, cells, good.replace("RP", "EM")]
    )

    rows, errors = rows_and_errors(chunks)
    assert [row[0] for row in rows] == [2, 4]
    assert [(error.row, error.column, error.code) for error in errors] == [(3, column, code)]
    assert chunks[0].rejected == 1


def test_each_bad_cell_of_a_row_is_reported(tmp_path):
    chunks = validate(
        tmp_path, ImportKind.CONTRIBUTIONS, [CONTRIBUTIONS_HEADER, f"{LI},ZZ,202401,abc,normal,,"]
    )

    assert chunks[0].errors == [
        RowError(2, "scheme", "scheme_unknown", "'ZZ' is not one of: EP, RP, EM, RM, UI, WI."),
        RowError(2, "base", "money_format", "'abc' is not an amount such as 5000 or 5000.50."),
    ]
    assert chunks[0].rows == []
    assert chunks[0].rejected == 1


def test_second_occurrence_of_a_natural_key_is_a_duplicate_even_across_chunks(tmp_path):
    lines = [
        CONTRIBUTIONS_HEADER,
        f"{LI},EP,202401,5000,,,",
        f"{LI},EP,202402,5000,,,",
        f"{LI},EM,202401,5000,,,",
    ]
    lines += [f"{LI.lower()},ep,202401,6000,,,"]

    chunks = validate(tmp_path, ImportKind.CONTRIBUTIONS, lines, chunk_size=2)

    assert [(chunk.first_row, chunk.last_row) for chunk in chunks] == [(2, 3), (4, 5)]
    rows, errors = rows_and_errors(chunks)
    assert [row[0] for row in rows] == [2, 3, 4]
    assert errors == [
        RowError(5, "", "duplicate_in_file", "An earlier row has the same id_number, scheme, period.")
    ]


def test_a_rejected_row_does_not_claim_its_key(tmp_path):
    chunks = validate(
        tmp_path,
        ImportKind.CONTRIBUTIONS,
        [CONTRIBUTIONS_HEADER, f"{LI},EP,202401,-1,,,", f"{LI},EP,202401,5000,,,"],
    )

    rows, errors = rows_and_errors(chunks)
    assert [row[0] for row in rows] == [3]
    assert [error.code for error in errors] == ["money_not_positive"]


def test_blank_rows_are_skipped_short_rows_padded_and_rows_with_extra_cells_refused(tmp_path):
    chunks = validate(
        tmp_path,
        ImportKind.CONTRIBUTIONS,
        [
            CONTRIBUTIONS_HEADER,
            "",
            ",,,,,,",
            f"{LI},EP,202401,5000",
            f"{LI},EM,202401,5000,,,,surprise",
            "  ,,",
        ],
    )

    rows, errors = rows_and_errors(chunks)
    assert rows == [(4, LI, "EP", 202401, Decimal("5000.00"), "normal", None, None)]
    assert [(error.row, error.column, error.code) for error in errors] == [
        (5, "", "row_too_many_cells"),
        (6, "id_number", "required"),
        (6, "scheme", "required"),
        (6, "period", "required"),
        (6, "base", "required"),
    ]
    assert errors[0].message == "The row has 8 cells; the header 7."
    # Blank rows are outside the count, so accepted + rejected always add up to it.
    assert (
        len(rows) + sum(chunk.rejected for chunk in chunks) == sum(chunk.processed for chunk in chunks) == 3
    )
    prepared = file_prepare(source=tmp_path / "upload.csv", kind=ImportKind.CONTRIBUTIONS)
    assert file_count(prepared=prepared).row_count == 3


def test_chunk_whose_every_row_has_too_many_cells_is_all_errors(tmp_path):
    chunks = validate(tmp_path, ImportKind.DEATHS, ["id_number,date_of_death,source", f"{LI},2024-01-01,x,y"])

    assert chunks[0].rows == []
    assert [(error.row, error.code) for error in chunks[0].errors] == [(2, "row_too_many_cells")]


def test_person_rows_check_provinces_phone_and_name_length(tmp_path):
    chunks = validate(
        tmp_path,
        ImportKind.PERSONS,
        [
            "id_number,name,hukou_province,residence_province,phone",
            f"{WANG},王秀英,,44,010-64371234",
            f"{LI},李建国,99,44,",
            f"{LI[:-1]}3,{'长' * 101},44,44,12345",
        ],
    )

    rows, errors = rows_and_errors(chunks)
    assert rows == [(2, WANG, "王秀英", None, "44", "010-64371234", None, None, None)]
    assert [(error.row, error.column, error.code) for error in errors] == [
        (3, "hukou_province", "province_unknown"),
        (4, "name", "text_too_long"),
        (4, "phone", "phone_format"),
    ]


def test_death_dates_must_be_real_past_and_not_before_birth(tmp_path):
    chunks = validate(
        tmp_path,
        ImportKind.DEATHS,
        [
            "id_number,date_of_death,source",
            "510107196204110031,2024/3/5,civil_affairs",
            f"{LI},2024-02-30,health",
            f"{WANG},2024-07-16,health",
            "11010519491231002X,1949-12-30,health",
            "31011519900308462X,15.03.2024,health",
        ],
    )

    rows, errors = rows_and_errors(chunks)
    assert rows == [(2, "510107196204110031", datetime.date(2024, 3, 5), "civil_affairs")]
    assert [(error.row, error.column, error.code) for error in errors] == [
        (3, "date_of_death", "date_invalid"),
        (4, "date_of_death", "date_in_future"),
        (5, "date_of_death", "date_before_birth"),
        (6, "date_of_death", "date_format"),
    ]


def test_life_evidence_duplicates_need_the_same_person_date_kind_and_source(tmp_path):
    chunks = validate(
        tmp_path,
        ImportKind.LIFE_EVIDENCE,
        [
            "id_number,evidence_date,kind,source",
            f"{WANG},20240520,medical_settlement,HIS",
            f"{WANG},2024-05-20,rail_travel,12306",
            f"{WANG},2024-05-20,Medical_Settlement,HIS",
            f"{WANG},2024-05-21,flight,HIS",
        ],
    )

    rows, errors = rows_and_errors(chunks)
    assert rows == [
        (2, WANG, datetime.date(2024, 5, 20), "medical_settlement", "HIS"),
        (3, WANG, datetime.date(2024, 5, 20), "rail_travel", "12306"),
    ]
    assert [(error.row, error.column, error.code) for error in errors] == [
        (4, "", "duplicate_in_file"),
        (5, "kind", "evidence_kind_unknown"),
    ]


def test_header_with_missing_unknown_and_repeated_columns_is_refused_naming_them(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_text(f"id_number,scheme,scheme,amount\n{LI},EP,EP,5\n", encoding="utf-8")

    with pytest.raises(ImportFileError) as caught:
        file_prepare(source=path, kind=ImportKind.CONTRIBUTIONS)

    assert caught.value.code == "file_header"
    assert caught.value.message == (
        "The first row of a contributions file must name the columns id_number, scheme, period, base and "
        "optionally payment_type, employer_code, temporary_account. "
        "Found: id_number, scheme, scheme, amount. "
        "Missing: 'period', 'base'. Unknown: 'amount'. Repeated: 'scheme'."
    )
    assert caught.value.fields == {
        "expected": list(KINDS[ImportKind.CONTRIBUTIONS].column_names),
        "found": ["id_number", "scheme", "scheme", "amount"],
        "missing": ["period", "base"],
        "unknown": ["amount"],
        "repeated": ["scheme"],
    }


def test_header_check_returns_each_columns_position_in_the_file():
    positions = header_check(spec=KINDS[ImportKind.DEATHS], header=("source", "id_number", "date_of_death"))

    assert positions == (1, 2, 0)


def test_declared_row_count_must_match(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_text(f"{CONTRIBUTIONS_HEADER}\n{LI},EP,202401,5000,,,\n\n", encoding="utf-8")

    prepared = file_prepare(source=path, kind=ImportKind.CONTRIBUTIONS)

    assert file_count(prepared=prepared, expected_rows=1).row_count == 1
    with pytest.raises(ImportFileError) as caught:
        file_count(prepared=prepared, expected_rows=2)

    assert caught.value.code == "file_row_count_mismatch"
    assert caught.value.fields == {"declared": 2, "counted": 1}
    row_count_check(declared=None, counted=5)
