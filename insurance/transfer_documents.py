"""A transfer's documents (DOMAIN.md §3): the contact letter (联系函) the transfer-in province sends when it
accepts, and the transfer certificate (参保缴费凭证) and information table (信息表) the transfer-out province
issues with the funds. What each states, and its pages, made with the platform's document machinery
(core.documents), like the participation certificate (insurance.certificates)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.documents import Fields, Grid, Section, Text
from insurance.models import TransferDocumentKind
from insurance.periods import period_label

# The kinds as core.documents.DOCUMENT_KINDS knows them.
DOCUMENT_KIND_NAMES = {kind: f"insurance.transfer_{kind.value}" for kind in TransferDocumentKind}


def transfer_document_title(kind: str, language: str) -> str:
    with translation.override(language):
        if kind == TransferDocumentKind.CONTACT_LETTER:
            return _("Contact letter for the transfer of the social insurance relationship")
        if kind == TransferDocumentKind.TRANSFER_CERTIFICATE:
            return _("Certificate of participation and contributions for the transfer")
        return _("Information table of the transferred contributions")


def transfer_document_digest(content: dict[str, Any]) -> str:
    """SHA-256 (hex) over canonical JSON: sorted keys, no spaces, UTF-8. Any changed fact changes it."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _amount(value: str) -> str:
    return f"{Decimal(value):,.2f}"


def _parties(content: dict[str, Any]) -> Fields:
    return Fields(
        (
            (pgettext("transfer document", "Name"), content["person_name"]),
            (pgettext("transfer document", "Social security number"), content["masked_id_number"]),
            (pgettext("transfer document", "Scheme"), content["scheme"]),
            (pgettext("transfer document", "Transfer-out province"), content["from_province"]),
            (pgettext("transfer document", "Transfer-in province"), content["to_province"]),
            (pgettext("transfer document", "Transfer number"), str(content["transfer_id"])),
        )
    )


def transfer_document_sections(kind: str, content: dict[str, Any], *, language: str) -> tuple[Section, ...]:
    """What the document states, as the PDF prints it and the verification page shows it."""
    with translation.override(language):
        parties = Section(heading=None, blocks=(_parties(content),))
        if kind == TransferDocumentKind.CONTACT_LETTER:
            return (
                parties,
                Section(
                    heading=None,
                    blocks=(
                        Text(
                            _(
                                "The insured person has applied to transfer this insurance relationship "
                                "into %(to_province)s, and we accept it. Please issue the transfer "
                                "certificate and the information table, and send the funds."
                            )
                            % {"to_province": content["to_province"]}
                        ),
                    ),
                ),
            )
        statement = content["statement"]
        if kind == TransferDocumentKind.TRANSFER_CERTIFICATE:
            amounts = Fields(
                (
                    (pgettext("transfer document", "Months transferred"), str(statement["months"])),
                    (
                        pgettext("transfer document", "Interest credited up to"),
                        period_label(statement["interest_up_to_period"]),
                    ),
                    (
                        pgettext("transfer document", "Personal account transferred (yuan)"),
                        _amount(statement["account_amount"]),
                    ),
                    (
                        pgettext("transfer document", "Pooled fund transferred (yuan)"),
                        _amount(statement["pooled_amount"]),
                    ),
                    (
                        pgettext("transfer document", "Refunded to the person (yuan)"),
                        _amount(statement["refund_amount"]),
                    ),
                )
            )
            return (parties, Section(heading=pgettext("transfer document", "Funds"), blocks=(amounts,)))
        table = Grid(
            header=(
                pgettext("transfer document", "Year"),
                pgettext("transfer document", "Months"),
                pgettext("transfer document", "Contribution bases (yuan)"),
                pgettext("transfer document", "Personal account (yuan)"),
                pgettext("transfer document", "Pooled fund (yuan)"),
            ),
            rows=tuple(
                (
                    str(year["year"]),
                    str(year["months"]),
                    _amount(year["bases"]),
                    _amount(year["account_amount"]),
                    _amount(year["pooled_amount"]),
                )
                for year in statement["years"]
            ),
            widths=(16, 14, 30, 30, 30),
            numeric=(1, 2, 3, 4),
        )
        blocks: list[Text | Grid] = [table]
        if statement["duplicate_periods"]:
            blocks.append(
                Text(
                    _("Months paid in both provinces, kept by the transfer-in province: %(months)s")
                    % {"months": ", ".join(period_label(p) for p in statement["duplicate_periods"])}
                )
            )
        return (
            parties,
            Section(heading=pgettext("transfer document", "Contributions by year"), blocks=tuple(blocks)),
        )
