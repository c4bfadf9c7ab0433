"""How the OpenAPI description groups the operations: one tag per role and area, each with what it
covers, and the tags grouped by role (`x-tagGroups`, shown by Redoc and other viewers). An operation takes
the tag of the first pattern its path matches (core.schema.operation_tag); tests/core/test_schema.py
fails for one whose path matches none, so a new endpoint is given a place here."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Tag:
    role: str
    name: str
    description: str
    paths: str  # a regular expression, matched from the start of the path

    def matches(self, path: str) -> bool:
        return re.match(self.paths, path) is not None


_V1 = "/api/v1/"
_PERSON = rf"{_V1}agency/persons/\{{person_id\}}"

TAGS = (
    Tag(
        "Everyone", "Sign-in", "API tokens: sign in, sign out, and who the token belongs to.", rf"{_V1}auth/"
    ),
    Tag(
        "Citizens",
        "Citizen: profile and relationships",
        "The signed-in citizen's own record (ID number masked) and insurance relationships.",
        rf"{_V1}me/(profile|relationships)$",
    ),
    Tag(
        "Citizens",
        "Citizen: contributions and account",
        "The citizen's contribution months, contribution years and personal account ledger.",
        rf"{_V1}me/(contributions|contribution-years|account)",
    ),
    Tag(
        "Citizens",
        "Citizen: retirement and pension",
        "The statutory retirement age under the 2025 reform, and a pension estimate, step by step.",
        rf"{_V1}me/(retirement|pension-estimate)$",
    ),
    Tag(
        "Citizens",
        "Citizen: certificates",
        "Participation certificates (参保证明) as signed PDFs.",
        rf"{_V1}me/certificates",
    ),
    Tag("Citizens", "Citizen: messages", "The citizen's inbox.", rf"{_V1}me/messages"),
    Tag(
        "Agencies",
        "Agency: persons",
        "Finding people insured in the agency's province (by name, or by ID number in a body), their "
        "details and deaths.",
        rf"{_V1}agency/persons(/lookup)?$|{_PERSON}(/death)?$",
    ),
    Tag(
        "Agencies",
        "Agency: registration and enrolment",
        "Registration (once nationwide), enrolment (参保登记) and the moves of relationships.",
        rf"{_V1}agency/(registrations|enrolments)|{_PERSON}/relationships",
    ),
    Tag(
        "Agencies",
        "Agency: contributions and accounts",
        "A person's contribution months, contribution years and personal accounts.",
        rf"{_PERSON}/(contributions|contribution-years|accounts)$",
    ),
    Tag(
        "Agencies",
        "Agency: employers",
        "Employers, by unified social credit code.",
        rf"{_V1}agency/employers/",
    ),
    Tag(
        "Agencies",
        "Agency: batch files",
        "Provincial batch files: kinds, examples, uploads, jobs and their row errors.",
        rf"{_V1}imports",
    ),
    Tag(
        "Citizens",
        "Citizen: social security card",
        "The citizen's card (社会保障卡): application with a photo, production, loss, replacement, PINs, the "
        "electronic card's QR code, cross-province medical filings and the card's account.",
        rf"{_V1}me/(card|cards|ecard|medical-filings)",
    ),
    Tag(
        "Citizens",
        "Citizen: transfers",
        "Moving the pension or medical insurance to the province where one pays now (转移接续), and where "
        "the pension would be paid.",
        rf"{_V1}me/(transfers|benefit-province)",
    ),
    Tag(
        "Agencies",
        "Agency: social security cards",
        "The province's cards: search, every lifecycle move, production batches and service points.",
        rf"{_V1}agency/(cards|card-batches|service-points)",
    ),
    Tag(
        "Agencies",
        "Agency: transfers",
        "The queue of transfers into or out of the province, and each step's action.",
        rf"{_V1}agency/transfers",
    ),
    Tag(
        "Citizens",
        "Citizen: pension and certification",
        "The pension in payment, its certification (资格认证) due date and history, and face certification "
        "jobs.",
        rf"{_V1}me/pension",
    ),
    Tag(
        "Agencies",
        "Agency: pensions and certification",
        "On-site certification of a pensioner of any province, home visits, and the paying province's "
        "overdue awards, survivors' claims (submitted, checked, paid or rejected) and recovery cases.",
        rf"{_V1}agency/(pension-certifications|pensions/)",
    ),
    Tag(
        "Service points",
        "Service point: electronic card",
        "Verifying an electronic card's QR code online, recording card uses, and the public keys that "
        "verify it offline.",
        rf"{_V1}(service-point/|ecard/keys)",
    ),
    Tag(
        "Public",
        "Public: certificate verification",
        "Anyone holding a certificate checks that it is genuine and unaltered, without signing in.",
        rf"{_V1}certificates/verify/",
    ),
    Tag(
        "Operators",
        "Operations",
        "Health of the service and its dependencies, and readiness for a load balancer.",
        r"/api/(health|ready)$",
    ),
)


def tag_groups() -> list[dict]:
    roles: dict[str, list[str]] = {}
    for tag in TAGS:
        roles.setdefault(tag.role, []).append(tag.name)
    return [{"name": role, "tags": names} for role, names in roles.items()]


# What each path parameter names, for every operation that takes it.
PATH_PARAMETERS = {
    "person_id": "The person's id, from a search or a look-up (`id` of a person).",
    "relationship_id": "The relationship's id, from the person's relationships.",
    "message_id": "The message's id, from the inbox.",
    "job_id": "The import job's id, from its upload.",
    "certificate_id": "The certificate's id, from the list of my certificates.",
    "kind": "The kind of batch file (see /api/v1/imports/kinds).",
    "code": "The code: a certificate's verification code, or an employer's unified social credit code.",
    "card_id": "The card's id, from a card search.",
    "batch_id": "The production batch's id, from the list of batches.",
    "transfer_id": "The transfer's id, from my transfers or the agency's queue.",
    "claim_id": "The survivors' claim's id, from the list of the province's claims.",
}
