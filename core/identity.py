"""The 18-character citizen identity number (GB 11643-1999), which is also the social security number.

Every ID number that enters the system goes through `IdentityNumber.parse`, which refuses anything that is
not a valid number with a stable error code.
"""

from __future__ import annotations

import datetime
import operator
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.regions import PROVINCE_NAMES

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# Nobody alive or insured was born before this date; it catches typos such as 1090 for 1990.
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class InvalidIdentityNumber(ApplicationError):
    status_code = 400


def check_character(first_17_digits: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    if len(first_17_digits) != len(_WEIGHTS):
        raise ValueError("The check character is computed over exactly 17 digits.")
    # map() keeps the arithmetic in C: an import checks every distinct ID number of its file.
    total = sum(map(operator.mul, map(int, first_17_digits), _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    value: str

    @classmethod
    def parse(cls, raw: str, *, today: datetime.date | None = None) -> IdentityNumber:
        if not isinstance(raw, str):
            raise InvalidIdentityNumber("id_number_format", _("The ID number must be text."))
        # NFKC folds full-width input from Chinese IMEs (１１０１…Ｘ) to ASCII; other scripts' digits stay
        # out.
        value = unicodedata.normalize("NFKC", raw).strip().upper()
        if not _SHAPE.match(value):
            raise InvalidIdentityNumber(
                "id_number_format",
                _("The ID number must be 17 digits followed by a digit or X."),
            )
        if value[:2] not in PROVINCE_NAMES:
            raise InvalidIdentityNumber(
                "id_number_province",
                _("The ID number starts with %(code)s, which is no province code.") % {"code": value[:2]},
            )
        try:
            birth_date = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        except ValueError:
            raise InvalidIdentityNumber(
                "id_number_birth_date", _("The ID number's birth date is not a real date.")
            ) from None
        # The mainland calendar day (settings.TIME_ZONE), not the server's.
        today = today or timezone.localdate()
        if not EARLIEST_BIRTH_DATE <= birth_date <= today:
            raise InvalidIdentityNumber(
                "id_number_birth_date", _("The ID number's birth date is in the future or before 1900.")
            )
        if check_character(value[:17]) != value[17]:
            raise InvalidIdentityNumber(
                "id_number_checksum", _("The ID number's check character does not match: check for a typo.")
            )
        return cls(value)

    @property
    def province_code(self) -> str:
        return self.value[:2]

    @property
    def birth_date(self) -> datetime.date:
        return datetime.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def sex(self) -> Sex:
        return Sex.MALE if int(self.value[16]) % 2 else Sex.FEMALE

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)

    def __str__(self) -> str:
        return self.value


def mask_id_number(value: str) -> str:
    """`110105********002X`: the address code and the last four characters, never the birth date."""
    return f"{value[:6]}{'*' * 8}{value[14:]}"
