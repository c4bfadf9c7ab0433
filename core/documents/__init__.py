"""Documents the platform issues, as signed PDFs that an employer or another agency can accept.

One machinery for every kind: the participation certificate (参保证明) today, and the transfer's contact
letter (联系函), transfer certificate (参保缴费凭证) and information table (信息表). A kind supplies its
title and its sections; the machinery adds what every document carries:

- the text in Simplified Chinese (default) or English, in fonts embedded in the file (Noto Serif SC and
  Noto Sans SC subsets, see `core.documents.fonts`), so a reader without Chinese fonts shows it;
- the issuing agency (a province's social insurance agency, `Region.agency_name_zh`/`agency_name`) with
  its electronic seal, drawn;
- a statement of validity: until when, and where (QR code and address) anyone can verify it, with its
  verification code, which is also in every page's footer with the agency and "page n of total";
- the platform's digital signature (PAdES, pyHanko; `core.documents.signing`), so that a PDF reader
  shows who signed the file and that it is unaltered.

Verification codes are nation-unique and looked up through their own table (`core.models.DocumentCode`,
written in the same transaction as the document's row): `document_code_claim` makes one, and the public
page `/api/v1/certificates/verify/<code>` (HTML for a browser, JSON for an API client) shows what the
document states, by the kind's own reader registered in `DOCUMENT_KINDS`.

Adding a kind:

    from core.documents import Fields, Issuer, Section, Text, Verification, document_render

    pdf = document_render(
        kind="insurance.transfer_contact_letter",
        title=_("Contact letter for the transfer of the basic pension insurance relationship"),
        sections=[Section(heading=None, blocks=(Fields(((_("Name"), "张三"), ...)), Text(...)))],
        language="zh-hans",
        verification=Verification(code=code, url=document_verify_url(base_url=..., code=code),
                                  valid_until=...),
        issuer=Issuer(name=region.agency_name_zh, seal_name=region.agency_name_zh),
        issued_on=today,
    )

and, for its verification page, `DOCUMENT_KINDS.register("insurance.transfer_contact_letter", reader)`
from the app's `AppConfig.ready()`, where `reader(person_id=, record_id=)` returns a `DocumentFacts`.
"""

from core.documents.codes import (
    DOCUMENT_KINDS,
    DocumentFacts,
    DocumentKinds,
    document_code_bind,
    document_code_claim,
    document_facts_by_code,
    document_status,
    document_verify_url,
)
from core.documents.fonts import document_web_font
from core.documents.render import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Block,
    Fields,
    Grid,
    Issuer,
    Section,
    Text,
    Verification,
    date_text,
    document_render,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOCUMENT_KINDS",
    "LANGUAGES",
    "Block",
    "DocumentFacts",
    "DocumentKinds",
    "Fields",
    "Grid",
    "Issuer",
    "Section",
    "Text",
    "Verification",
    "date_text",
    "document_code_bind",
    "document_code_claim",
    "document_facts_by_code",
    "document_render",
    "document_status",
    "document_verify_url",
    "document_web_font",
]
