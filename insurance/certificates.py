"""The participation certificate (参保缴费证明): what it states, and its pages, made with the platform's
document machinery (core.documents: embedded fonts, issuing agency and seal, statement of validity,
digital signature). The facts are kept as issued, with a digest over them, and the signed PDF itself.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.documents import Fields, Grid, Issuer, Section, Text, Verification, document_render
from core.money import money
from insurance.periods import period_label

KIND = "insurance.participation_certificate"


@dataclass(frozen=True, slots=True)
class CertificateRow:
    scheme: str  # as printed, in the certificate's language, e.g. 企业职工基本养老保险
    province: str  # as printed, e.g. 北京市 (Beijing)
    period_from: int  # YYYYMM
    period_to: int  # YYYYMM
    months: int  # months actually paid within the range
    base_min: Decimal
    base_max: Decimal
    amount: Decimal  # employer and individual contributions paid for these months


@dataclass(frozen=True, slots=True)
class CertificateContent:
    """Every fact printed on a certificate, and nothing else."""

    person_name: str
    masked_id_number: str
    issue_date: datetime.date
    verification_code: str
    rows: tuple[CertificateRow, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only: what is stored as issued, and what the digest is taken over."""
        return {
            "person_name": self.person_name,
            "masked_id_number": self.masked_id_number,
            "issue_date": self.issue_date.isoformat(),
            "verification_code": self.verification_code,
            "rows": [
                {
                    "scheme": row.scheme,
                    "province": row.province,
                    "period_from": row.period_from,
                    "period_to": row.period_to,
                    "months": row.months,
                    "base_min": _money_text(row.base_min),
                    "base_max": _money_text(row.base_max),
                    "amount": _money_text(row.amount),
                }
                for row in self.rows
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CertificateContent:
        return cls(
            person_name=data["person_name"],
            masked_id_number=data["masked_id_number"],
            issue_date=datetime.date.fromisoformat(data["issue_date"]),
            verification_code=data["verification_code"],
            rows=tuple(
                CertificateRow(
                    scheme=row["scheme"],
                    province=row["province"],
                    period_from=row["period_from"],
                    period_to=row["period_to"],
                    months=row["months"],
                    base_min=Decimal(row["base_min"]),
                    base_max=Decimal(row["base_max"]),
                    amount=Decimal(row["amount"]),
                )
                for row in data["rows"]
            ),
        )


def _money_text(value: Decimal) -> str:
    # 5000 and 5000.00 are the same amount and must give the same digest.
    return str(money(value))


def certificate_content_digest(content: CertificateContent) -> str:
    """SHA-256 (hex) over canonical JSON: sorted keys, no spaces, UTF-8. Any changed fact changes it."""
    canonical = json.dumps(content.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _base_range(row: CertificateRow) -> str:
    if row.base_min == row.base_max:
        return f"{row.base_min:,.2f}"
    return f"{row.base_min:,.2f} - {row.base_max:,.2f}"


def _scheme_totals(rows: tuple[CertificateRow, ...]) -> Iterator[tuple[str, int, Decimal]]:
    """Months and amounts per scheme, in the order the schemes first appear."""
    totals: dict[str, tuple[int, Decimal]] = {}
    for row in rows:
        months, amount = totals.get(row.scheme, (0, Decimal(0)))
        totals[row.scheme] = (months + row.months, amount + row.amount)
    for scheme, (months, amount) in totals.items():
        yield scheme, months, amount


def certificate_title(language: str) -> str:
    with translation.override(language):
        return _("Certificate of social insurance participation and contributions")


def certificate_sections(content: CertificateContent, *, language: str) -> tuple[Section, ...]:
    """What the certificate states, as the PDF prints it and the verification page shows it."""
    with translation.override(language):
        holder = Fields(
            (
                (pgettext("certificate", "Name"), content.person_name),
                (pgettext("certificate", "Social security number"), content.masked_id_number),
            )
        )
        history = Grid(
            header=(
                pgettext("certificate", "Scheme"),
                pgettext("certificate", "Province"),
                pgettext("certificate", "From"),
                pgettext("certificate", "To"),
                pgettext("certificate", "Months"),
                pgettext("certificate", "Contribution base (yuan)"),
                pgettext("certificate", "Contributions (yuan)"),
            ),
            rows=tuple(
                (
                    row.scheme,
                    row.province,
                    period_label(row.period_from),
                    period_label(row.period_to),
                    str(row.months),
                    _base_range(row),
                    f"{row.amount:,.2f}",
                )
                for row in content.rows
            ),
            widths=(34, 22, 16, 16, 13, 34, 28),
            numeric=(4, 5, 6),
        )
        totals = Grid(
            header=(
                pgettext("certificate", "Scheme"),
                pgettext("certificate", "Months in total"),
                pgettext("certificate", "Contributions in total (yuan)"),
            ),
            rows=tuple(
                (scheme, str(months), f"{amount:,.2f}")
                for scheme, months, amount in _scheme_totals(content.rows)
            ),
            widths=(50, 25, 25),
            numeric=(1, 2),
        )
        return (
            Section(heading=None, blocks=(holder,)),
            Section(
                heading=pgettext("certificate", "Contribution record"),
                blocks=(
                    Text(
                        _(
                            "According to the national social insurance public service platform, the "
                            "insured person's contribution record is as follows:"
                        )
                    ),
                    history,
                ),
            ),
            Section(heading=pgettext("certificate", "Totals"), blocks=(totals,)),
        )


def certificate_render_pdf(
    *, content: CertificateContent, language: str, verification: Verification, issuer: Issuer
) -> bytes:
    """The certificate as a signed PDF."""
    return document_render(
        kind=KIND,
        title=certificate_title(language),
        sections=certificate_sections(content, language=language),
        language=language,
        verification=verification,
        issuer=issuer,
        issued_on=content.issue_date,
    )
