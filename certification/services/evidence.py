"""Writes of the certification records."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.db import connection, transaction


class LifeEvidenceItem(NamedTuple):
    person_id: int
    evidence_date: datetime.date
    kind: str  # an EvidenceKind value
    source: str


@transaction.atomic
def life_evidence_record(*, province_id: str, items: list[LifeEvidenceItem]) -> int:
    """Record evidence that people were alive, reported by a province; evidence already recorded (same
    person, date, kind and source) is skipped. Returns how many were new.

    One statement for the whole list, in place of `LifeEvidence.objects.bulk_create(...,
    ignore_conflicts=True)`, which sends every value as a parameter of its own: an import records its
    evidence a chunk of thousands at a time."""
    if not items:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO certification_lifeevidence
                      (person_id, evidence_date, kind, source, province_id, created_at)
               SELECT e.person_id, e.day, e.kind, e.source, %s, NOW()
                 FROM UNNEST(%s::bigint[], %s::date[], %s::text[], %s::text[])
                      AS e(person_id, day, kind, source)
               ON CONFLICT (person_id, evidence_date, kind, source) DO NOTHING""",
            [province_id, *map(list, zip(*items, strict=True))],
        )
        return int(cursor.rowcount)
