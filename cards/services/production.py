"""Card production in batches: a province's applications go to the card maker as one file, and the
maker's returned file marks the cards issued (cards.services.cards.cards_issue)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import Card, CardStatus, ProductionBatch
from cards.services.cards import cards_issue
from cards.states import CARD_STATES
from core.batch import Refusal, batch_refused
from core.exceptions import ApplicationError, ConflictError
from core.states import Actor

# The columns of the card maker's returned file.
RETURNED_COLUMNS = ("card_number", "issue_date")


@transaction.atomic
def production_batch_create(*, province_id: str, actor: Actor, limit: int = 10_000) -> ProductionBatch:
    """Put the province's applications (oldest first, at most `limit`) into production as one batch."""
    pks = list(
        Card.objects.select_for_update(skip_locked=True)
        .filter(province_id=province_id, status=CardStatus.APPLIED)
        .order_by("applied_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not pks:
        raise ConflictError(
            "card_batch_empty", _("No card applications of this province wait for production.")
        )
    batch = ProductionBatch.objects.create(province_id=province_id, created_by_id=actor.user_id, card_count=0)
    moved = CARD_STATES.move_many(
        pks,
        to=CardStatus.IN_PRODUCTION,
        actor=actor,
        reason=f"Production batch {batch.pk}",
        sources=[CardStatus.APPLIED],
        values={"production_batch_id": [batch.pk] * len(pks)},
    )
    ProductionBatch.objects.filter(pk=batch.pk).update(card_count=len(moved))
    batch.card_count = len(moved)
    return batch


@dataclass(frozen=True, slots=True)
class Returned:
    issued: int
    no_longer_in_production: list[str]


@transaction.atomic
def production_batch_return(*, batch: ProductionBatch, content: str, actor: Actor) -> Returned:
    """Read the maker's returned file (CSV with a header: card_number, issue_date as YYYY-MM-DD) and mark
    its cards issued. Every line must name a card of this batch and a real date no later than today, or
    nothing is written. Cards cancelled since they went into production (a death) are left out and
    reported. A batch can come back in several files."""
    ProductionBatch.objects.select_for_update().filter(pk=batch.pk).first()
    reader = csv.DictReader(io.StringIO(content))
    if reader.fieldnames is None or tuple(reader.fieldnames[:2]) != RETURNED_COLUMNS:
        raise ApplicationError(
            "card_batch_file_header",
            _("The returned file's header must be: card_number,issue_date."),
            fields={"file": [",".join(reader.fieldnames or [])]},
        )
    rows = list(reader)
    in_batch = dict(Card.objects.filter(production_batch_id=batch.pk).values_list("number", "pk"))
    today = timezone.localdate()
    refusals: list[Refusal] = []
    chosen: dict[int, datetime.date] = {}
    for index, row in enumerate(rows):
        number = (row.get("card_number") or "").strip()
        if number not in in_batch:
            refusals.append(
                Refusal(
                    index,
                    ApplicationError("card_not_in_batch", _("No card of this batch has this number.")),
                    "card_number",
                )
            )
            continue
        try:
            day = datetime.date.fromisoformat((row.get("issue_date") or "").strip())
        except ValueError:
            day = None
        if day is None or day > today:
            refusals.append(
                Refusal(
                    index,
                    ApplicationError(
                        "card_issue_date_invalid", _("The issue date is not a date up to today.")
                    ),
                    "issue_date",
                )
            )
            continue
        chosen[in_batch[number]] = day
    if refusals:
        raise batch_refused(refusals, "lines")
    issued = cards_issue(card_ids=list(chosen), issue_dates=list(chosen.values()), actor=actor)
    ProductionBatch.objects.filter(pk=batch.pk).update(returned_at=timezone.now())
    numbers = {pk: number for number, pk in in_batch.items()}
    return Returned(
        issued=len(issued),
        no_longer_in_production=sorted(numbers[pk] for pk in chosen if pk not in set(issued)),
    )
