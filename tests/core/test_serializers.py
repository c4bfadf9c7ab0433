import datetime

import pytest
from rest_framework import serializers

from core.identity import IdentityNumber
from core.serializers import IdentityNumberField


class _Person(serializers.Serializer):
    id_number = IdentityNumberField()


def test_valid_number_becomes_an_identity_number():
    serializer = _Person(data={"id_number": " 11010519491231002x "})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["id_number"] == IdentityNumber("11010519491231002X")
    assert serializer.validated_data["id_number"].birth_date == datetime.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (
            "110105194912310021",
            "id_number_checksum",
            "The ID number's check character does not match: check for a typo.",
        ),
        ("1101051949123100", "id_number_format", "The ID number must be 17 digits followed by a digit or X."),
        (
            "10010519491231002X",
            "id_number_province",
            "The ID number starts with 10, which is no province code.",
        ),
        ("11010519490231002X", "id_number_birth_date", "The ID number's birth date is not a real date."),
    ],
)
@pytest.mark.usefixtures("english")
def test_invalid_number_reports_the_stable_code(raw, code, message):
    serializer = _Person(data={"id_number": raw})

    assert not serializer.is_valid()
    assert serializer.errors == {"id_number": [message]}
    assert serializer.errors["id_number"][0].code == code


def test_missing_and_blank_numbers_use_drf_codes():
    missing, blank = _Person(data={}), _Person(data={"id_number": ""})

    assert not missing.is_valid() and not blank.is_valid()
    assert missing.errors["id_number"][0].code == "required"
    assert blank.errors["id_number"][0].code == "blank"


@pytest.mark.parametrize("value", [IdentityNumber("11010519491231002X"), "11010519491231002X"])
def test_output_is_masked(value):
    assert _Person({"id_number": value}).data == {"id_number": "110105********002X"}
