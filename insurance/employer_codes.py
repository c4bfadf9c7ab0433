"""The employer's unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z): registration authority (1),
entity type (1), administrative division (6 digits), organisation code (9), check character (1). The
check character is computed by python-stdnum's `stdnum.cn.uscc.calc_check_digit` (weights
1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, check = 31 - sum mod 31, 31 -> 0).

The shape follows GB 32100 rather than `stdnum.cn.uscc.validate`, which also demands digits in the first
two positions: real codes begin with letters too (N for rural collective organisations, Y for "other"
registration authorities), and refusing them would refuse real employers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from stdnum.cn import uscc

from core.exceptions import ApplicationError

CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SHAPE = re.compile(rf"^[{CHARACTERS}]{{2}}\d{{6}}[{CHARACTERS}]{{10}}$")


class InvalidEmployerCode(ApplicationError):
    status_code = 400


@dataclass(frozen=True, slots=True)
class UnifiedSocialCreditCode:
    value: str

    @classmethod
    def parse(cls, raw: str) -> UnifiedSocialCreditCode:
        if not isinstance(raw, str):
            raise InvalidEmployerCode(
                "employer_code_format", _("The unified social credit code must be text.")
            )
        value = raw.strip().upper()
        if not _SHAPE.match(value):
            raise InvalidEmployerCode(
                "employer_code_format",
                _(
                    "The unified social credit code is 18 characters: digits and capital letters except "
                    "I, O, S, V and Z, with digits in positions 3 to 8."
                ),
            )
        if uscc.calc_check_digit(value[:17]) != value[17]:
            raise InvalidEmployerCode(
                "employer_code_checksum",
                _("The unified social credit code's check character does not match: check for a typo."),
            )
        return cls(value)

    def __str__(self) -> str:
        return self.value
