"""The four kinds of import file and their columns, one declarative table per kind.

Each table drives the header check, the row validation, the column documentation served by the API and
the test that keeps the example files honest. A parser receives a non-empty, stripped cell and the day the
import runs, returns the typed value and raises `CellError` on a bad value; an empty cell is handled before
(`required` error, or the column's default).
"""

from __future__ import annotations

import codecs
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certification.models import EvidenceKind, StatusEvidenceKind
from core.exceptions import ApplicationError
from core.identity import EARLIEST_BIRTH_DATE, IdentityNumber, InvalidIdentityNumber
from core.money import amount_text
from core.regions import PROVINCE_NAMES
from imports.errors import CellError, RowError
from imports.models import ImportKind
from insurance.employer_codes import InvalidEmployerCode, UnifiedSocialCreditCode
from insurance.models import InsuredPerson, PaymentType, Scheme
from insurance.periods import period_parse

# A monthly base is clamped to 300 % of the province's average wage; anything near a million is a typo.
MAX_MONEY = Decimal("999999.99")
MAX_TEXT_LENGTH = 100
_CENT = Decimal("0.01")


# --- parsers: (stripped non-empty text, today) -> typed value, or CellError -------------------------------


def parse_id_number(value: str, today: datetime.date) -> str:
    try:
        return IdentityNumber.parse(value, today=today).value
    except InvalidIdentityNumber as error:
        raise CellError(error.code, error.message) from None


def _choice(enum: type[TextChoices], code: str, *, upper: bool) -> Callable[[str, datetime.date], str]:
    values = frozenset(member.value for member in enum)
    allowed = ", ".join(enum)

    def parse(value: str, today: datetime.date) -> str:
        normalised = value.upper() if upper else value.lower()
        if normalised not in values:
            raise CellError(
                code, _("%(value)r is not one of: %(allowed)s.") % {"value": value, "allowed": allowed}
            )
        return normalised

    return parse


parse_scheme = _choice(Scheme, "scheme_unknown", upper=True)
parse_payment_type = _choice(PaymentType, "payment_type_unknown", upper=False)
parse_evidence_kind = _choice(EvidenceKind, "evidence_kind_unknown", upper=False)
parse_status_evidence_kind = _choice(StatusEvidenceKind, "status_evidence_kind_unknown", upper=False)


def parse_period(value: str, today: datetime.date) -> int:
    """`YYYYMM` -> the integer YYYYMM (e.g. 202401), under the valid-period rule of every path."""
    try:
        return period_parse(value, today=today)
    except ApplicationError as refusal:
        raise CellError(refusal.code, refusal.message) from None


_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})|(\d{4})(\d{2})(\d{2})")


def parse_date(value: str, today: datetime.date) -> datetime.date:
    """YYYY-MM-DD; also YYYY/M/D (what a Chinese-locale spreadsheet exports) and YYYYMMDD."""
    match = _DATE.fullmatch(value)
    if not match:
        raise CellError("date_format", _("%(value)r is not a date written YYYY-MM-DD.") % {"value": value})
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            "date_invalid", _("%(value)r is not a real calendar date.") % {"value": value}
        ) from None
    if date > today:
        raise CellError(
            "date_in_future", _("The date %(date)s is in the future.") % {"date": date.isoformat()}
        )
    if date < EARLIEST_BIRTH_DATE:
        raise CellError(
            "date_too_early",
            _("The date %(date)s is before %(earliest)s.")
            % {"date": date.isoformat(), "earliest": EARLIEST_BIRTH_DATE},
        )
    return date


def parse_money(value: str, today: datetime.date) -> Decimal:
    """A positive amount in yuan with at most two decimals (no thousands separators), below a million,
    in ASCII digits after NFKC (core.money.amount_text)."""
    text = amount_text(value)
    if text is None:
        raise CellError(
            "money_format", _("%(value)r is not an amount such as 5000 or 5000.50.") % {"value": value}
        )
    amount = Decimal(text)
    if amount.as_tuple().exponent < -2:
        raise CellError(
            "money_precision", _("%(value)r has more than two decimal places.") % {"value": value}
        )
    if amount <= 0:
        raise CellError(
            "money_not_positive", _("The amount %(value)s must be above zero.") % {"value": value}
        )
    if amount > MAX_MONEY:
        raise CellError(
            "money_too_large",
            _("The amount %(value)s is above %(maximum)s.") % {"value": value, "maximum": MAX_MONEY},
        )
    return amount.quantize(_CENT)


def parse_employer_code(value: str, today: datetime.date) -> str:
    """Unified social credit code (GB 32100-2015), 18 characters with a check character."""
    try:
        return UnifiedSocialCreditCode.parse(value).value
    except InvalidEmployerCode as refusal:
        raise CellError(refusal.code, refusal.message) from None


_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "是": True,
    "false": False,
    "0": False,
    "no": False,
    "否": False,
}


def parse_boolean(value: str, today: datetime.date) -> bool:
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise CellError(
            "boolean_format",
            _("%(value)r is not one of: true, false, 1, 0, yes, no, 是, 否.") % {"value": value},
        ) from None


def parse_province(value: str, today: datetime.date) -> str:
    if value not in PROVINCE_NAMES:
        raise CellError(
            "province_unknown",
            _("%(value)r is not a two-digit province code such as 11 or 44.") % {"value": value},
        )
    return value


def _text(max_length: int) -> Callable[[str, datetime.date], str]:
    def parse(value: str, today: datetime.date) -> str:
        if len(value) > max_length:
            raise CellError(
                "text_too_long",
                _("The text has %(value)s characters; at most %(max_length)s.")
                % {"value": len(value), "max_length": max_length},
            )
        return value

    return parse


parse_text = _text(MAX_TEXT_LENGTH)
# The name column of the person table is shorter: a longer name would fail the whole chunk's COPY.
parse_name = _text(InsuredPerson._meta.get_field("name").max_length)


# Mainland mobile (11 digits from 13x) or landline with area code, optionally with +86.
_PHONE = re.compile(r"(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})")


def parse_phone(value: str, today: datetime.date) -> str:
    if not _PHONE.fullmatch(value):
        raise CellError(
            "phone_format", _("%(value)r is not a mainland mobile or landline number.") % {"value": value}
        )
    return value


# --- the tables --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the file's header: never translated
    description: str | Promise  # lazy: read in the language of the request that asks for it
    parse: Callable[[str, datetime.date], Any]
    required: bool = True
    default: Any = None  # the value of an empty optional cell


# A cross-column check on a clean row `(row_number, *values)`; returns the error or None.
RowCheck = Callable[[tuple], RowError | None]


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: ImportKind
    description: str | Promise
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key: a second row with the same key is a duplicate_in_file
    row_check: RowCheck | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def position(self, name: str) -> int:
        """Index of a column's value in a clean row, whose index 0 is the row number."""
        return self.column_names.index(name) + 1


ID_NUMBER = Column(
    "id_number",
    gettext_lazy("18-character citizen identity number (GB 11643-1999), also the social security number."),
    parse_id_number,
)


def _not_before_birth(date_column: str, position: int) -> RowCheck:
    """The event cannot precede the person's birth, read from the ID number (value 1 of the row)."""

    def check(row: tuple) -> RowError | None:
        id_number, date = row[1], row[position]
        if date.strftime("%Y%m%d") < id_number[6:14]:
            return RowError(
                row[0],
                date_column,
                "date_before_birth",
                _("%(date)s is before the person's birth.") % {"date": date.isoformat()},
            )
        return None

    return check


def _enrolment_complete(row: tuple) -> RowError | None:
    """A persons row enrols with a scheme and a start month, or with neither (register only)."""
    scheme, start_period, employer_code = row[6:9]
    if (scheme is None) != (start_period is None):
        return RowError(
            row[0], "start_period" if start_period is None else "scheme", "enrolment_incomplete",
            _("To enrol, give both the scheme and the start month; to register only, neither."),
        )  # fmt: skip
    if employer_code is not None and scheme is None:
        return RowError(
            row[0], "employer_code", "enrolment_incomplete", _("An employer is given only with a scheme.")
        )
    return None


KINDS: dict[ImportKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            ImportKind.PERSONS,
            gettext_lazy("Insured persons: one row per person, updated if the person exists."),
            (
                ID_NUMBER,
                Column("name", gettext_lazy("Full name as on the identity card."), parse_name),
                Column(
                    "hukou_province",
                    gettext_lazy(
                        "Two-digit province code of the household registration; "
                        "empty: the ID number's province."
                    ),
                    parse_province,
                    required=False,
                ),
                Column(
                    "residence_province",
                    gettext_lazy("Two-digit province code where the person lives; empty: unknown."),
                    parse_province,
                    required=False,
                ),
                Column(
                    "phone",
                    gettext_lazy("Mainland mobile (13800138000) or landline (010-12345678) number."),
                    parse_phone,
                    required=False,
                ),
                Column(
                    "scheme",
                    gettext_lazy(
                        "To enrol the person in the uploading province too: the scheme code "
                        "(EP, RP, EM, RM, UI or WI); empty: register only."
                    ),
                    parse_scheme,
                    required=False,
                ),
                Column(
                    "start_period",
                    gettext_lazy("With a scheme: the first month paid, YYYYMM."),
                    parse_period,
                    required=False,
                ),
                Column(
                    "employer_code",
                    gettext_lazy(
                        "With a scheme: the employer's unified social credit code; "
                        "empty for a flexible worker."
                    ),
                    parse_employer_code,
                    required=False,
                ),
            ),
            key=("id_number",),
            row_check=_enrolment_complete,
        ),
        KindSpec(
            ImportKind.ENROLMENTS,
            gettext_lazy(
                "Enrolments (参保登记) in the uploading province of people registered in any province."
            ),
            (
                ID_NUMBER,
                Column("scheme", gettext_lazy("Scheme code: EP, RP, EM, RM, UI or WI."), parse_scheme),
                Column("start_period", gettext_lazy("The first month paid, YYYYMM."), parse_period),
                Column(
                    "employer_code",
                    gettext_lazy(
                        "Employer's 18-character unified social credit code; empty for a flexible worker."
                    ),
                    parse_employer_code,
                    required=False,
                ),
                Column(
                    "approved_transfer",
                    gettext_lazy(
                        "true/false: an officially approved transfer (批准调动), which opens no temporary "
                        "account; empty: false."
                    ),
                    parse_boolean,
                    required=False,
                    default=False,
                ),
            ),
            key=("id_number", "scheme"),
        ),
        KindSpec(
            ImportKind.CONTRIBUTIONS,
            gettext_lazy(
                "Contribution records for the uploading province: one row per person, scheme and period."
            ),
            (
                ID_NUMBER,
                Column("scheme", gettext_lazy("Scheme code: EP, RP, EM, RM, UI or WI."), parse_scheme),
                Column(
                    "period",
                    gettext_lazy("Contribution period (费款所属期) written YYYYMM, from 199001."),
                    parse_period,
                ),
                Column(
                    "base",
                    gettext_lazy("Monthly contribution base in yuan, at most two decimals."),
                    parse_money,
                ),
                Column(
                    "payment_type",
                    gettext_lazy("normal, back_payment or lump_sum_back_payment; empty: normal."),
                    parse_payment_type,
                    required=False,
                    default=PaymentType.NORMAL.value,
                ),
                Column(
                    "employer_code",
                    gettext_lazy(
                        "Employer's 18-character unified social credit code; empty for individual payers."
                    ),
                    parse_employer_code,
                    required=False,
                ),
                Column(
                    "temporary_account",
                    gettext_lazy(
                        "A cross-check, true/false (also 1/0, yes/no, 是/否): did the month go to a "
                        "temporary account? The platform takes this from the person's relationship and "
                        "refuses a row that says otherwise; empty: not checked."
                    ),
                    parse_boolean,
                    required=False,
                ),
            ),
            key=("id_number", "scheme", "period"),
        ),
        KindSpec(
            ImportKind.DEATHS,
            gettext_lazy("Deaths found by data comparison: one row per person."),
            (
                ID_NUMBER,
                Column("date_of_death", gettext_lazy("Date of death, YYYY-MM-DD."), parse_date),
                Column(
                    "source",
                    gettext_lazy("Who reported it, e.g. public_security, civil_affairs, health."),
                    parse_text,
                ),
            ),
            key=("id_number",),
            row_check=_not_before_birth("date_of_death", 2),
        ),
        KindSpec(
            ImportKind.LIFE_EVIDENCE,
            gettext_lazy("Evidence that a person was alive on a date (passive certification)."),
            (
                ID_NUMBER,
                Column(
                    "evidence_date", gettext_lazy("Date the person was seen alive, YYYY-MM-DD."), parse_date
                ),
                Column(
                    "kind",
                    gettext_lazy("medical_settlement, hospital_stay, rail_travel or other_service."),
                    parse_evidence_kind,
                ),
                Column("source", gettext_lazy("System or organisation the record comes from."), parse_text),
            ),
            key=("id_number", "evidence_date", "kind", "source"),
            row_check=_not_before_birth("evidence_date", 2),
        ),
        KindSpec(
            ImportKind.AWARDS,
            gettext_lazy(
                "Pensions already in payment, paid by the uploading province: one row per person and scheme."
            ),
            (
                ID_NUMBER,
                Column("scheme", gettext_lazy("Pension scheme code: EP or RP."), parse_scheme),
                Column(
                    "monthly_amount",
                    gettext_lazy("The monthly amount in yuan now, at most two decimals."),
                    parse_money,
                ),
                Column(
                    "first_month",
                    gettext_lazy("The first month paid by this platform, YYYYMM."),
                    parse_period,
                ),
                Column(
                    "last_certified_on",
                    gettext_lazy("The day of the last certification, YYYY-MM-DD."),
                    parse_date,
                ),
            ),
            key=("id_number", "scheme"),
            row_check=_not_before_birth("last_certified_on", 5),
        ),
        KindSpec(
            ImportKind.STATUS_EVIDENCE,
            gettext_lazy(
                "Imprisonment, release and disappearance records found by data comparison (public security, "
                "civil affairs): imprisonment stops the pension without back pay, release resumes it, a "
                "disappearance suspends it until the pensioner is certified again."
            ),
            (
                ID_NUMBER,
                Column(
                    "kind",
                    gettext_lazy("imprisonment, release or disappearance."),
                    parse_status_evidence_kind,
                ),
                Column(
                    "evidence_date",
                    gettext_lazy(
                        "The day imprisonment began, of release, or of the declaration, YYYY-MM-DD."
                    ),
                    parse_date,
                ),
                Column("source", gettext_lazy("System or organisation the record comes from."), parse_text),
            ),
            key=("id_number", "kind", "evidence_date", "source"),
            row_check=_not_before_birth("evidence_date", 3),
        ),
    )
}


EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


def kind_example_bytes(kind: ImportKind) -> bytes:
    """The downloadable example file of a kind (`examples/<kind>.csv`), with a UTF-8 BOM so that Excel
    shows the Chinese text correctly."""
    return codecs.BOM_UTF8 + (EXAMPLES_DIR / f"{ImportKind(kind)}.csv").read_bytes()


def kind_columns_doc(kind: ImportKind) -> list[dict[str, Any]]:
    """The column documentation of a kind, for the API, in the active language."""
    return [
        {"name": column.name, "required": column.required, "description": str(column.description)}
        for column in KINDS[kind].columns
    ]
