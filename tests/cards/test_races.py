"""Races, with real concurrent requests against PostgreSQL: each thread sends its request through the
whole stack on its own database connection, all released at once."""

import threading
from collections import Counter
from itertools import pairwise

import pytest
from django.db import connection

from cards.models import Card, CardStatus
from cards.services.cards import card_enable, card_loss_withdraw, card_replacement_apply, card_report_lost
from core.models import StateEvent
from tests.cards.cardmaking import enabled_card, issue
from tests.cards.conftest import make_point
from tests.factories import TEST_ACTOR, authenticated_client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _concurrently(requests) -> list:
    """Run each `request()` in its own thread, released together; their answers, in order."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            answers[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _outcome(response) -> str:
    return "ok" if response.status_code in (200, 201) else response.json()["error"]["code"]


def test_concurrent_replacement_applications_make_one_new_card(holder):
    card = enabled_card(holder)
    clients = [authenticated_client(holder.citizen) for _ in range(6)]
    answers = _concurrently(
        [
            lambda c=c: c.post("/api/v1/me/card/replacement", {"reason": "damage"}, format="json")
            for c in clients
        ]
    )
    assert Counter(map(_outcome, answers)) == {"ok": 1, "card_application_pending": 5}
    assert Card.objects.filter(person_id=holder.pk, replaces_id=card.pk).count() == 1


def _history_is_one_path(card) -> bool:
    """Each move starts where the one before ended, and the last ends where the card is."""
    moves = list(
        StateEvent.objects.filter(entity="cards.card", object_id=card.pk, to_state__in=CardStatus.values)
    )
    moves.sort(key=lambda event: event.pk)
    return all(a.to_state == b.from_state for a, b in pairwise(moves)) and moves[-1].to_state == card.status


@pytest.mark.parametrize("formal", [False, True])
def test_a_concurrent_loss_report_and_withdrawal_leave_one_consistent_state(holder, formal):
    """From a temporary loss: a report (formal: the loss becomes final; temporary: it is reported again) and
    a withdrawal at once. Whichever wins, the other is refused or applies after it, never half."""
    outcomes_seen = set()
    for _round in range(3):
        card = Card.objects.filter(person_id=holder.pk, status__in=("enabled",)).first() or enabled_card(
            holder
        )
        card = card_report_lost(card=card, formal=False, actor=TEST_ACTOR)
        report, withdraw = authenticated_client(holder.citizen), authenticated_client(holder.citizen)
        answers = _concurrently(
            [
                lambda: report.post("/api/v1/me/card/loss", {"formal": formal}, format="json"),
                lambda: withdraw.post("/api/v1/me/card/loss/withdraw", {}, format="json"),
            ]
        )
        outcomes = tuple(_outcome(a) for a in answers)
        outcomes_seen.add(outcomes)
        card.refresh_from_db()
        if formal:
            # The formal report first: the withdrawal finds no temporary loss. The withdrawal first: the
            # formal report then ends the enabled card. Either way the card is formally lost.
            assert outcomes in (("ok", "card_not_temporarily_lost"), ("ok", "ok"))
            assert (card.status, card.resume_status) == (CardStatus.FORMALLY_LOST, "")
            new = issue(card_replacement_apply(card=card, reason="loss", actor=TEST_ACTOR))
            card_enable(card=new, actor=TEST_ACTOR)
        else:
            # The report first: refused (already lost), the withdrawal returns the card to use. The
            # withdrawal first: the report loses it again.
            assert outcomes in (("card_already_reported_lost", "ok"), ("ok", "ok"))
            expected = CardStatus.ENABLED if outcomes[0] != "ok" else CardStatus.TEMPORARILY_LOST
            assert card.status == expected
            if card.status == CardStatus.TEMPORARILY_LOST:
                assert card.resume_status == CardStatus.ENABLED
                card_loss_withdraw(card=card, actor=TEST_ACTOR)
                card.refresh_from_db()
        assert _history_is_one_path(card)


def test_twenty_concurrent_verifications_of_one_token_accept_it_once(holder):
    enabled_card(holder)
    token = authenticated_client(holder.citizen).post("/api/v1/me/ecard/qr", {}, format="json")["Ecard-Token"]
    point = make_point("11", "hospital")
    clients = [authenticated_client(point.user) for _ in range(20)]
    answers = _concurrently(
        [
            lambda c=c: c.post("/api/v1/service-point/ecard/verify", {"token": token}, format="json")
            for c in clients
        ]
    )
    assert Counter(map(_outcome, answers)) == {"ok": 1, "ecard_token_replayed": 19}
