"""Races of the transfers and of the gatherings of temporary accounts, with real concurrent requests
(threads, each with its own connection) against PostgreSQL."""

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction

from core.exceptions import ApplicationError
from insurance.models import (
    AccountEntry,
    ContributionRecord,
    FundEntry,
    InboxMessage,
    InsuranceRelationship,
    Scheme,
    Transfer,
    TransferKind,
    TransferStatus,
)
from insurance.services.contributions import ContributionMonth, contributions_record
from insurance.services.relationships import relationship_suspend
from insurance.services.temporary_accounts import (
    temporary_accounts_gather_at_retirement,
    temporary_accounts_gather_moved,
)
from insurance.services.transfers import (
    transfer_accept,
    transfer_apply,
    transfer_decline,
    transfer_funds_send,
    transfers_unbalanced,
)
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
    open_relationship,
)
from tests.insurance.temporary import older_worker

# serialized_rollback: the regions and the calendar that the migrations seeded come back after each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
EP = Scheme.EMPLOYEE_PENSION


@pytest.fixture
def mover(paying_person):
    relationship = paying_person.relationships.get(scheme=EP, province_id="11")
    relationship_suspend(relationship=relationship, period=202404, actor=TEST_ACTOR)
    open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    return paying_person


def _all_at_once(requests):
    """Run the callables at the same moment, each on its own thread and connection; their answers."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(10)
            answers[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def _codes(responses):
    return Counter(r.status_code if r.status_code < 300 else r.json()["error"]["code"] for r in responses)


def test_twenty_parallel_applications_create_exactly_one_transfer(mover):
    transfer_decline(
        transfer=Transfer.objects.get(person=mover), actor=TEST_ACTOR
    )  # the offer, out of the way
    citizen = CitizenFactory(id_number=mover.id_number)
    clients = [authenticated_client(citizen) for _ in range(20)]  # 20 sessions of the person

    answers = _all_at_once(
        [lambda c=c: c.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json") for c in clients]
    )

    assert _codes(answers) == {201: 1, "transfer_already_open": 19}
    assert Transfer.objects.filter(person=mover, status=TransferStatus.APPLIED).count() == 1


def test_a_concurrent_accept_and_reject_leave_exactly_one_outcome(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    accepting, rejecting = (authenticated_client(AgencyStaffFactory(province="44")) for _ in range(2))
    path = f"/api/v1/agency/transfers/{transfer.pk}"

    answers = _all_at_once(
        [
            lambda: accepting.post(f"{path}/accept"),
            lambda: rejecting.post(f"{path}/reject", {"reason": "Not confirmed"}, format="json"),
        ]
    )

    assert _codes(answers) == {200: 1, "transfer_not_in_step": 1}
    transfer.refresh_from_db()
    winner = next(answer.json()["status"] for answer in answers if answer.status_code == 200)
    assert transfer.status == winner
    assert InboxMessage.objects.filter(person=mover, subject_id=transfer.pk).count() == 3


def test_two_concurrent_completions_credit_the_money_once(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)
    sent = transfer_funds_send(transfer=transfer, actor=TEST_ACTOR)
    clients = [authenticated_client(AgencyStaffFactory(province="44")) for _ in range(2)]

    answers = _all_at_once(
        [lambda c=c: c.post(f"/api/v1/agency/transfers/{sent.pk}/complete") for c in clients]
    )

    assert _codes(answers) == {200: 1, "transfer_not_in_step": 1}
    assert AccountEntry.objects.filter(transfer_id=sent.pk, kind="transfer_in").count() == 1
    assert FundEntry.objects.filter(transfer=sent, kind="transfer_in").count() == 1


def test_two_concurrent_sends_compute_and_freeze_the_money_once(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)
    clients = [authenticated_client(AgencyStaffFactory(province="11")) for _ in range(2)]

    answers = _all_at_once(
        [lambda c=c: c.post(f"/api/v1/agency/transfers/{transfer.pk}/send") for c in clients]
    )

    assert _codes(answers) == {200: 1, "transfer_not_in_step": 1}
    assert AccountEntry.objects.filter(person=mover, kind="interest").count() == 1


def _back_payment():
    """A back payment of December 2023 into the suspended Beijing relationship."""
    return contributions_record(
        person_id=Transfer.objects.get().person_id,
        scheme=EP,
        province_id="11",
        months=[
            ContributionMonth(
                period=202312,
                declared_base=Decimal("10000.00"),
                employer_code=EMPLOYER_CODE,
                payment_type="back_payment",
            )
        ],
    )


def _overlapping(step, pay, *, holder_first):
    """Run `step` (a move that reads the months) and `pay` (a contribution), each in its own transaction on
    its own thread, the one `holder_first` names holding its transaction open while the other starts:
    returns the contribution's refusal code (or None)."""
    holding, may_commit = threading.Event(), threading.Event()
    outcome = {}

    def run(name, work):
        try:
            with transaction.atomic():
                if holder_first == name:
                    work()
                    holding.set()
                    may_commit.wait(10)
                else:
                    assert holding.wait(10)
                    work()
        except ApplicationError as refused:
            outcome[name] = refused.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("step", step)),
        threading.Thread(target=run, args=("pay", pay)),
    ]
    for thread in threads:
        thread.start()
    assert holding.wait(10)
    time.sleep(0.5)  # the other is now waiting for the holder's lock
    may_commit.set()
    for thread in threads:
        thread.join(30)
    assert "step" not in outcome
    return outcome.get("pay")


def _in_step(transfer, holder_first):
    """The funds step and a back payment, overlapping: the back payment's refusal (or None) and the
    transfer."""
    refused = _overlapping(
        lambda: transfer_funds_send(transfer=transfer, actor=TEST_ACTOR),
        _back_payment,
        holder_first=holder_first,
    )
    transfer.refresh_from_db()
    return refused, transfer


def test_a_back_payment_committed_while_the_funds_are_computed_is_in_the_amounts(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)

    refused, transfer = _in_step(transfer, holder_first="pay")

    assert refused is None
    assert ContributionRecord.objects.filter(person=mover, province_id="11", period=202312).exists()
    assert transfer.status == TransferStatus.FUNDS_SENT
    assert transfer.statement["months"] == 4
    assert transfer.pooled_amount == Decimal("4320.00") + Decimal("1200.00")


def test_a_back_payment_arriving_while_the_funds_are_sent_is_refused_not_lost(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)

    refused, transfer = _in_step(transfer, holder_first="step")

    assert refused == "relationship_not_open"
    assert not ContributionRecord.objects.filter(person=mover, province_id="11", period=202312).exists()
    assert transfer.statement["months"] == 3
    assert transfer.pooled_amount == Decimal("4320.00")


# --- the gathering of temporary accounts ------------------------------------------------------------------


@pytest.fixture
def temporary(configured_years, employer):
    """The older worker paying into a Guangdong temporary account (tests.insurance.temporary)."""
    return older_worker()


def test_two_gatherings_at_once_move_the_money_once(temporary):
    guangdong = temporary.relationships.get(province_id="44")
    relationship_suspend(relationship=guangdong, period=202407, actor=TEST_ACTOR)
    # Paying in Shanghai from a relationship recorded before the sealing existed: the account is due to be
    # gathered, on the move as at retirement, and both come at once.
    InsuranceRelationship.objects.create(person=temporary, scheme=EP, province_id="31", opened_period=202501)

    answers = _all_at_once(
        [
            lambda: temporary_accounts_gather_moved(person_ids=[temporary.pk], actor=TEST_ACTOR),
            lambda: temporary_accounts_gather_at_retirement(person=temporary, actor=TEST_ACTOR),
        ]
    )

    assert sorted(len(answer) for answer in answers) == [0, 1]
    gathering = Transfer.objects.get(person=temporary, kind=TransferKind.GATHERING)
    assert gathering.to_province_id == "11"
    assert AccountEntry.objects.filter(transfer_id=gathering.pk).count() == 2
    assert AccountEntry.objects.filter(person=temporary, kind="interest").count() == 1
    assert FundEntry.objects.filter(transfer=gathering).count() == 2
    assert InboxMessage.objects.filter(person=temporary, kind="temporary_account_gathered").count() == 1
    assert transfers_unbalanced() == []


def _month_into_guangdong():
    return contributions_record(
        person_id=InsuranceRelationship.objects.get(province_id="44").person_id,
        scheme=EP,
        province_id="44",
        months=[
            ContributionMonth(period=202407, declared_base=Decimal("8000.00"), employer_code=EMPLOYER_CODE)
        ],
    )


def _retirement_gathering():
    return temporary_accounts_gather_at_retirement(
        person=InsuranceRelationship.objects.get(province_id="44").person, actor=TEST_ACTOR
    )


def test_a_month_committed_while_the_account_is_gathered_is_in_the_gathering(temporary):
    refused = _overlapping(_retirement_gathering, _month_into_guangdong, holder_first="pay")

    assert refused is None
    gathering = Transfer.objects.get(person=temporary, kind=TransferKind.GATHERING)
    assert gathering.statement["months"] == 7
    assert gathering.pooled_amount == Decimal("5760.00") + Decimal("960.00")


def test_a_month_arriving_while_the_account_is_gathered_is_refused_not_lost(temporary):
    refused = _overlapping(_retirement_gathering, _month_into_guangdong, holder_first="step")

    assert refused == "temporary_account_sealed"
    assert not ContributionRecord.objects.filter(person=temporary, period=202407).exists()
    gathering = Transfer.objects.get(person=temporary, kind=TransferKind.GATHERING)
    assert (gathering.statement["months"], gathering.pooled_amount) == (6, Decimal("5760.00"))
