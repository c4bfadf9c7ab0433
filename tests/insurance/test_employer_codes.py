import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from insurance.employer_codes import CHARACTERS, InvalidEmployerCode, UnifiedSocialCreditCode

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character_by_the_standard(first_17: str) -> str:
    """GB 32100-2015 written out: check = 31 - (sum mod 31), where 31 becomes 0."""
    remainder = sum(CHARACTERS.index(c) * w for c, w in zip(first_17, WEIGHTS, strict=True)) % 31
    return CHARACTERS[(31 - remainder) % 31]


codes_without_check = st.builds(
    lambda head, region, tail: head + region + tail,
    st.text(CHARACTERS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CHARACTERS, min_size=9, max_size=9),
)


def test_a_published_code_is_accepted():
    assert UnifiedSocialCreditCode.parse("91110000600037341L").value == "91110000600037341L"


def test_lower_case_and_surrounding_spaces_are_normalised():
    assert str(UnifiedSocialCreditCode.parse("  91110000600037341l ")) == "91110000600037341L"


def test_codes_from_letter_registration_authorities_are_accepted():
    first_17 = "N2110000MA0012345"
    code = first_17 + check_character_by_the_standard(first_17)

    assert UnifiedSocialCreditCode.parse(code).value == code


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "91110000600037341",  # 17 characters
        "91110000600037341LX",  # 19 characters
        "91110000600037341I",  # I is not in the character set
        "9111000060003734OL",  # nor is O
        "911A0000600037341L",  # the administrative division must be digits
        "91110000-60003734L",
        12345,
        None,
    ],
)
def test_malformed_codes_are_refused_as_format(raw):
    with pytest.raises(InvalidEmployerCode) as error:
        UnifiedSocialCreditCode.parse(raw)

    assert error.value.code == "employer_code_format"
    assert error.value.status_code == 400


def test_wrong_check_character_is_refused_as_checksum():
    with pytest.raises(InvalidEmployerCode) as error:
        UnifiedSocialCreditCode.parse("91110000600037341M")

    assert error.value.code == "employer_code_checksum"


@given(codes_without_check)
def test_check_character_matches_the_standard_and_stdnum(first_17):
    check = check_character_by_the_standard(first_17)

    assert UnifiedSocialCreditCode.parse(first_17 + check).value == first_17 + check
    assert uscc.calc_check_digit(first_17) == check


@given(codes_without_check, st.sampled_from(CHARACTERS))
def test_any_other_check_character_is_refused(first_17, check):
    if check == check_character_by_the_standard(first_17):
        return
    with pytest.raises(InvalidEmployerCode) as error:
        UnifiedSocialCreditCode.parse(first_17 + check)

    assert error.value.code == "employer_code_checksum"


@given(st.text(CHARACTERS + "IOSVZ-", min_size=16, max_size=20))
def test_agrees_with_stdnum_on_codes_with_a_digit_authority_and_type(raw):
    """stdnum also demands digits in positions 1-2; on the codes where it does not refuse that, it agrees."""
    try:
        UnifiedSocialCreditCode.parse(raw)
        accepted = True
    except InvalidEmployerCode:
        accepted = False

    if raw[:2].isdigit():
        assert accepted == uscc.is_valid(raw)
    else:
        assert not uscc.is_valid(raw)
