"""The nightly data comparison (DOMAIN.md §4), set-based: a few statements for all pensioners, not a loop
per person. Deaths reach the awards through the one death service (its DEATH_HOOKS entry), whether they
come from an import or the API; here, imprisonment and disappearance records suspend or resume payment,
and life evidence certifies passively. Running it again changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import (
    AwardStatus,
    CertificationMethod,
    PensionAward,
    StatusEvidenceKind,
    SuspensionReason,
)
from certification.services.certifications import awards_certified
from certification.states import AWARD_STATES
from core.sql import AnyOf
from core.states import Actor
from insurance.services.inbox import OutgoingMessage, Subject, inbox_send_many


class StatusEvidenceItem(NamedTuple):
    person_id: int
    kind: str  # a StatusEvidenceKind value
    evidence_date: datetime.date
    source: str


@transaction.atomic
def status_evidence_record(*, province_id: str, items: Sequence[StatusEvidenceItem]) -> int:
    """Record imprisonment, release and disappearance records reported by a province; a record already
    held is skipped. Returns how many were new. One statement for the whole list."""
    if not items:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO certification_statusevidence
                      (person_id, kind, evidence_date, source, province_id, created_at)
               SELECT e.person_id, e.kind, e.day, e.source, %s, NOW()
                 FROM UNNEST(%s::bigint[], %s::text[], %s::date[], %s::text[])
                      AS e(person_id, kind, day, source)
               ON CONFLICT (person_id, kind, evidence_date, source) DO NOTHING""",
            [province_id, *map(list, zip(*items, strict=True))],
        )
        return int(cursor.rowcount)


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    imprisoned: int
    released: int
    missing: int
    certified: int
    resumed: int


ACTOR = Actor.periodic("nightly_comparison")

# What the latest pending record of a person does to a paying or suspended award: the states it may act
# on, and the state and reason it leaves.
_EFFECTS = {
    StatusEvidenceKind.IMPRISONMENT: (
        (AwardStatus.PAYING, AwardStatus.SUSPENDED),
        (SuspensionReason.OVERDUE, SuspensionReason.DISAPPEARANCE, ""),
        AwardStatus.SUSPENDED,
        SuspensionReason.IMPRISONMENT,
    ),
    StatusEvidenceKind.DISAPPEARANCE: (
        (AwardStatus.PAYING, AwardStatus.SUSPENDED),
        (SuspensionReason.OVERDUE, ""),
        AwardStatus.SUSPENDED,
        SuspensionReason.DISAPPEARANCE,
    ),
    StatusEvidenceKind.RELEASE: (
        (AwardStatus.SUSPENDED,),
        (SuspensionReason.IMPRISONMENT,),
        AwardStatus.PAYING,
        "",
    ),
}


@transaction.atomic
def nightly_comparison(*, today: datetime.date | None = None) -> ComparisonResult:
    """Act on the status records not yet acted on (each person's latest one decides) and certify
    passively every award whose pensioner has life evidence dated after the last certification: the
    next cycle counts from the evidence's date, and an award suspended for being overdue resumes with
    its back pay."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH pending AS (
                   UPDATE certification_statusevidence SET applied_at = NOW()
                    WHERE applied_at IS NULL AND evidence_date <= %s
                RETURNING person_id, kind, evidence_date, id)
               SELECT DISTINCT ON (person_id) person_id, kind FROM pending
                ORDER BY person_id, evidence_date DESC, id DESC""",
            [today],
        )
        latest = cursor.fetchall()
    counts: dict[str, int] = {}
    for kind, (statuses, reasons, target, reason) in _EFFECTS.items():
        people = [person_id for person_id, latest_kind in latest if latest_kind == kind]
        awards = list(
            PensionAward.objects.filter(
                AnyOf(F("person_id"), people), status__in=statuses, suspension_reason__in=reasons
            ).values_list("pk", "status")
        )
        # A suspended award changes only its reason (it stays suspended); a paying one moves.
        still = [pk for pk, status in awards if status == target]
        PensionAward.objects.filter(AnyOf(F("pk"), still)).update(suspension_reason=reason)
        moving = [pk for pk, status in awards if status != target]
        AWARD_STATES.move_many(
            moving,
            to=target,
            actor=ACTOR,
            reason=str(StatusEvidenceKind(kind).label),
            values={"suspension_reason": [reason] * len(moving)},
        )
        counts[kind] = len(awards)
    certified, resumed = _passive_certify(today)
    return ComparisonResult(
        imprisoned=counts[StatusEvidenceKind.IMPRISONMENT],
        released=counts[StatusEvidenceKind.RELEASE],
        missing=counts[StatusEvidenceKind.DISAPPEARANCE],
        certified=len(certified),
        resumed=len(resumed),
    )


def _passive_certify(today: datetime.date) -> tuple[list[tuple[int, int, datetime.date]], list[int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO certification_certification
                      (person_id, award_id, method, certified_on, place_province_id, place, evidence,
                       actor_id, channel, created_at)
               SELECT DISTINCT ON (a.id) a.person_id, a.id, %(method)s, e.evidence_date, e.province_id,
                      e.source, 'life_evidence:' || e.id, NULL, %(channel)s, NOW()
                 FROM certification_pensionaward a
                 JOIN certification_lifeevidence e
                   ON e.person_id = a.person_id AND e.evidence_date > a.last_certified_on
                  AND e.evidence_date <= %(today)s
                WHERE a.status <> %(stopped)s
                ORDER BY a.id, e.evidence_date DESC, e.id DESC
               ON CONFLICT DO NOTHING
               RETURNING award_id, person_id, certified_on""",
            {
                "method": CertificationMethod.PASSIVE,
                "channel": ACTOR.channel,
                "today": today,
                "stopped": AwardStatus.STOPPED,
            },
        )
        certified = cursor.fetchall()
    resumed = awards_certified([row[0] for row in certified], [row[2] for row in certified], actor=ACTOR)
    inbox_send_many(
        [
            OutgoingMessage(
                person_id=person_id,
                kind="certification_passive",
                title=_("Your pension eligibility is certified"),
                body=_(
                    "Records of public services you used show that you are alive, so your eligibility "
                    "is certified for the next cycle: nothing more is needed from you."
                ),
                subject=Subject(type=PensionAward._meta.label_lower, id=award_id),
            )
            for award_id, person_id, _day in certified
        ]
    )
    return certified, resumed
