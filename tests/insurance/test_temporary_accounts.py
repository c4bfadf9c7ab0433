"""Temporary accounts (issue 14, requirement 4; DOMAIN.md §3): sealed on a further move or at retirement,
their contributions with interest to date gathered to the basic relationship's province or the benefit
province, both ledgers' legs balanced to the fen, the history kept; a sealed account takes no more
contributions; the person, both agencies and the back office see it."""

from decimal import Decimal
from itertools import count

import pytest
from django.db.models import Sum
from django.test import Client

from accounts.services import agency_staff_create
from core.exceptions import ApplicationError
from core.models import StateEvent
from insurance.models import (
    AccountEntry,
    ContributionRecord,
    FundEntry,
    FundLedgerEntry,
    InboxMessage,
    InsuranceRelationship,
    InterestRun,
    LedgerEntry,
    RelationshipStatus,
    Transfer,
    TransferKind,
    TransferStatus,
)
from insurance.periods import period_of
from insurance.selectors import contribution_months_of
from insurance.services.benefit_province import benefit_province_decide
from insurance.services.relationships import relationship_resume, relationship_suspend
from insurance.services.temporary_accounts import (
    REASON_MOVED,
    REASON_RETIRED,
    temporary_accounts_gather_at_retirement,
    temporary_accounts_gather_moved,
)
from insurance.services.transfers import transfers_unbalanced
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
    open_relationship,
    record_contributions,
)
from tests.insurance.temporary import (
    EP,
    TEMPORARY_CREDITS,
    TEMPORARY_POOLED,
    interest_to_date,
    months,
    older_worker,
)

pytestmark = pytest.mark.django_db


def _relationship(person, province):
    return InsuranceRelationship.objects.filter(person=person, scheme=EP, province_id=province).get()


def _balances(person):
    entries = LedgerEntry.objects.filter(person=person, scheme=EP)
    return dict(entries.values_list("province_id").annotate(Sum("amount")))


def _written(person):
    """Everything a gathering writes, counted."""
    return (
        Transfer.objects.filter(person=person).count(),
        AccountEntry.objects.filter(person=person).count(),
        FundEntry.objects.filter(person=person).count(),
        StateEvent.objects.filter(person_id=person.pk).count(),
        InboxMessage.objects.filter(person=person).count(),
        InterestRun.objects.count(),
    )


@pytest.fixture
def temporary(configured_years, employer):
    """The older worker, paying into the Guangdong temporary account, its basic relationship in Beijing."""
    person = older_worker()
    assert _relationship(person, "44").is_temporary_account is True
    return person


@pytest.fixture
def moved_on(temporary):
    """The worker left Guangdong (suspended from 2024-07) and pays in Shanghai from 2025-01: a further
    move, and at 55 Shanghai opens a temporary account of its own."""
    relationship_suspend(relationship=_relationship(temporary, "44"), period=202407, actor=TEST_ACTOR)
    open_relationship(person=temporary, scheme=EP, province_id="31", opened_period=202501)
    return temporary


def test_a_further_move_seals_the_account_and_gathers_it_with_interest_to_the_basic_relationship(moved_on):
    account = _relationship(moved_on, "44")
    interest = interest_to_date(TEMPORARY_CREDITS)

    # Sealed, a move of the state kernel with who, when and why; closed with its suspension.
    assert (account.status, account.closed_period) == (RelationshipStatus.SEALED, 202407)
    seal = StateEvent.objects.get(
        entity="insurance.insurancerelationship", object_id=account.pk, to_state="sealed"
    )
    assert (seal.from_state, seal.reason, seal.channel) == ("suspended", REASON_MOVED, TEST_ACTOR.channel)
    # The new province is a temporary account too (55, not the hukou province), and pays.
    shanghai = _relationship(moved_on, "31")
    assert (shanghai.is_temporary_account, shanghai.status) == (True, RelationshipStatus.PAYING)

    gathering = Transfer.objects.get(person=moved_on)  # nothing else: no transfer is offered
    assert (gathering.kind, gathering.status) == (TransferKind.GATHERING, TransferStatus.COMPLETED)
    assert (gathering.from_province_id, gathering.to_province_id) == ("44", "11")
    assert (gathering.from_relationship_id, gathering.to_relationship_id) == (
        account.pk,
        _relationship(moved_on, "11").pk,
    )
    assert gathering.interest_up_to_period == period_of(gathering.step_started_on)
    assert gathering.account_amount == TEMPORARY_CREDITS + interest
    assert (gathering.pooled_amount, gathering.refund_amount) == (TEMPORARY_POOLED, Decimal("0.00"))
    assert gathering.statement["months"] == 6
    assert gathering.statement["years"] == [
        {
            "year": 2024,
            "months": 6,
            "bases": "48000.00",
            "account_amount": "3840.00",
            "pooled_amount": "5760.00",
        }
    ]
    # The interest to date was credited in Guangdong by the ledger's interest service, before it moved.
    assert AccountEntry.objects.get(person=moved_on, kind="interest", province_id="44").amount == interest

    # The personal account: all of it now in Beijing, both legs naming the gathering.
    assert _balances(moved_on) == {
        "11": Decimal("2880.00") + TEMPORARY_CREDITS + interest,
        "44": Decimal("0.00"),
    }
    legs = AccountEntry.objects.filter(transfer_id=gathering.pk).values_list("province_id", "kind", "amount")
    assert set(legs) == {
        ("44", "transfer_out", -(TEMPORARY_CREDITS + interest)),
        ("11", "transfer_in", TEMPORARY_CREDITS + interest),
    }
    # The pooled fund: leaving equals arriving, to the fen, in both provinces' fund ledgers.
    funds = FundEntry.objects.filter(transfer=gathering).values_list("province_id", "kind", "amount")
    assert set(funds) == {("44", "transfer_out", -TEMPORARY_POOLED), ("11", "transfer_in", TEMPORARY_POOLED)}
    fund = dict(
        FundLedgerEntry.objects.filter(person=moved_on).values_list("province_id").annotate(Sum("amount"))
    )
    # Each province's pooled contributions (16 % of each base) with the gathering's legs.
    assert fund == {"11": Decimal("5760.00") + TEMPORARY_POOLED, "44": Decimal("7680.00") - TEMPORARY_POOLED}
    assert transfers_unbalanced() == []

    # The history arrives as history: the records stay in Guangdong, each month counts once, and Beijing
    # now holds the gathered months for the benefit province.
    assert (
        ContributionRecord.objects.filter(person=moved_on, province_id="44", temporary_account=True).count()
        == 6
    )
    assert contribution_months_of(person=moved_on, scheme=EP).total.total_months == 9
    decision = benefit_province_decide(person=moved_on)
    assert (decision.province, decision.branch, decision.branches[0].months) == ("11", 1, 9)

    # The person is told, the message naming the gathering.
    message = InboxMessage.objects.get(person=moved_on, kind="temporary_account_gathered")
    assert (message.subject_type, message.subject_id) == ("insurance.transfer", gathering.pk)
    assert str(TEMPORARY_CREDITS + interest) in message.body and "5760.00" in message.body


def test_moving_back_to_the_basic_relationship_gathers_the_account_there(temporary):
    relationship_suspend(relationship=_relationship(temporary, "44"), period=202407, actor=TEST_ACTOR)

    relationship_resume(relationship=_relationship(temporary, "11"), period=202501, actor=TEST_ACTOR)

    assert _relationship(temporary, "44").status == RelationshipStatus.SEALED
    gathering = Transfer.objects.get(person=temporary)
    assert (gathering.kind, gathering.to_province_id, gathering.to_relationship_id) == (
        TransferKind.GATHERING,
        "11",
        _relationship(temporary, "11").pk,
    )
    assert _balances(temporary)["44"] == Decimal("0.00")


def test_a_sealed_temporary_account_takes_no_more_contributions(moved_on):
    before = (ContributionRecord.objects.filter(person=moved_on).count(), _balances(moved_on))

    with pytest.raises(ApplicationError) as refused:
        record_contributions(person=moved_on, scheme=EP, province_id="44", months=months([202408], "8000.00"))

    assert refused.value.code == "temporary_account_sealed"
    assert refused.value.fields["periods"] == ["202408"]
    assert (ContributionRecord.objects.filter(person=moved_on).count(), _balances(moved_on)) == before


def test_the_contribution_api_refuses_a_sealed_account_with_its_code(moved_on):
    staff = authenticated_client(AgencyStaffFactory(province="44"))

    response = staff.post(
        f"/api/v1/agency/persons/{moved_on.pk}/contributions",
        {
            "scheme": "EP",
            "months": [{"period": "202406", "base": "8000.00", "employer_code": EMPLOYER_CODE}],
        },
        format="json",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (409, "temporary_account_sealed")


def test_gathering_again_gathers_nothing_twice(moved_on):
    written = _written(moved_on)

    assert temporary_accounts_gather_moved(person_ids=[moved_on.pk], actor=TEST_ACTOR) == []
    assert temporary_accounts_gather_moved(person_ids=[moved_on.pk], actor=TEST_ACTOR) == []

    assert _written(moved_on) == written
    assert _relationship(moved_on, "31").status == RelationshipStatus.PAYING  # no further move from it yet
    assert transfers_unbalanced() == []


def test_at_retirement_the_account_is_gathered_to_the_benefit_province_even_where_never_insured(
    configured_years, employer
):
    # Basic relationship in Shanghai (no ten years anywhere): the benefit province is the hukou province,
    # Beijing, where the person was never insured (the 10-year rule's last branch).
    person = older_worker(basic_province="31")
    account = _relationship(person, "44")
    assert account.status == RelationshipStatus.PAYING

    (gathering,) = temporary_accounts_gather_at_retirement(person=person, actor=TEST_ACTOR)
    assert temporary_accounts_gather_at_retirement(person=person, actor=TEST_ACTOR) == []  # once

    account.refresh_from_db()
    assert (account.status, account.closed_period) == (
        RelationshipStatus.SEALED,
        period_of(gathering.step_started_on),
    )
    seal = StateEvent.objects.get(
        entity="insurance.insurancerelationship", object_id=account.pk, to_state="sealed"
    )
    assert (seal.from_state, seal.reason) == ("paying", REASON_RETIRED)
    assert (gathering.from_province_id, gathering.to_province_id, gathering.to_relationship_id) == (
        "44",
        "11",
        None,
    )
    interest = interest_to_date(TEMPORARY_CREDITS)
    assert (gathering.account_amount, gathering.pooled_amount) == (
        TEMPORARY_CREDITS + interest,
        TEMPORARY_POOLED,
    )
    assert _balances(person) == {"11": TEMPORARY_CREDITS + interest, "44": Decimal("0.00")}
    assert set(FundEntry.objects.filter(transfer=gathering).values_list("province_id", "amount")) == {
        ("44", -TEMPORARY_POOLED),
        ("11", TEMPORARY_POOLED),
    }
    assert transfers_unbalanced() == []
    decision = benefit_province_decide(person=person)
    assert (decision.province, decision.branch) == ("11", 4)


def test_a_person_with_no_basic_relationship_open_keeps_the_account_until_retirement(temporary):
    # A basic relationship that is no longer open (as a closed one recorded before the platform) leaves
    # nowhere to gather to on a move: the account stays open, for the retirement to gather.
    InsuranceRelationship.objects.filter(pk=_relationship(temporary, "11").pk).update(
        status=RelationshipStatus.CLOSED
    )
    relationship_suspend(relationship=_relationship(temporary, "44"), period=202407, actor=TEST_ACTOR)
    open_relationship(person=temporary, scheme=EP, province_id="31", opened_period=202501)

    assert _relationship(temporary, "44").status == RelationshipStatus.SUSPENDED
    assert not Transfer.objects.filter(person=temporary).exists()


# --- what the person, the agencies and the back office see -----------------------------------------------


def test_the_person_and_the_agencies_see_the_sealed_account_and_its_gathering(moved_on):
    gathering = Transfer.objects.get(person=moved_on)
    citizen = authenticated_client(CitizenFactory(id_number=moved_on.id_number))
    amount = str(gathering.account_amount)

    relationships = {r["province"]: r for r in citizen.get("/api/v1/me/relationships").json()}
    assert relationships["44"]["status"] == "sealed"
    shown = relationships["44"]["gathering"]
    assert (shown["transfer"], shown["to_province"], shown["account_amount"], shown["pooled_amount"]) == (
        gathering.pk,
        "11",
        amount,
        "5760.00",
    )
    assert (shown["months"], shown["reason"], shown["interest_up_to_period"]) == (
        6,
        REASON_MOVED,
        gathering.interest_up_to_period,
    )
    assert relationships["11"]["gathering"] is None

    account = citizen.get("/api/v1/me/account").json()
    assert {row["province"]: row["balance"] for row in account["by_province"]}["44"] == "0.00"
    assert [
        (t["province"], t["status"], t["gathering"] and t["gathering"]["to_province"])
        for t in account["temporary_accounts"]
    ] == [
        ("44", "sealed", "11"),
        ("31", "paying", None),
    ]

    listed = citizen.get("/api/v1/me/transfers").json()["results"]
    assert [(t["id"], t["kind"], t["status"]) for t in listed] == [(gathering.pk, "gathering", "completed")]
    detail = citizen.get(f"/api/v1/me/transfers/{gathering.pk}").json()
    assert (detail["money"]["account_amount"], detail["timeline"][0]["step"]) == (amount, "completed")

    for province in ("11", "44"):
        staff = authenticated_client(AgencyStaffFactory(province=province))
        accounts = staff.get(f"/api/v1/agency/persons/{moved_on.pk}/accounts").json()["accounts"]
        pension = next(a for a in accounts if a["scheme"] == "EP")
        assert pension["temporary_accounts"][0]["gathering"]["account_amount"] == amount
        queue = staff.get("/api/v1/agency/transfers", {"kind": "gathering"}).json()["results"]
        assert [t["id"] for t in queue] == [gathering.pk]
        assert staff.get("/api/v1/agency/transfers", {"kind": "transfer"}).json()["results"] == []


_CLERKS = count()


def _clerk(province: str) -> Client:
    clerk = agency_staff_create(
        username=f"clerk.{province}.{next(_CLERKS)}", password="a-long-passphrase-42", province_code=province
    )
    client = Client()
    client.force_login(clerk)
    return client


def test_the_back_office_shows_the_sealed_account_where_it_was_gathered_and_the_gathering(moved_on):
    guangdong = _clerk("44")

    page = guangdong.get("/admin/insurance/insurancerelationship/", {"status__exact": "sealed"})

    assert page.status_code == 200
    (sealed,) = page.context["cl"].result_list
    assert (sealed.pk, sealed.gathered_to_province) == (_relationship(moved_on, "44").pk, "11")
    assert b'<td class="field-gathered_to">11</td>' in page.content
    gathering = Transfer.objects.get(person=moved_on)
    for clerk in (guangdong, _clerk("11")):
        listed = (
            clerk.get("/admin/insurance/transfer/", {"kind__exact": "gathering"}).context["cl"].result_list
        )
        assert list(listed) == [gathering]
    assert list(_clerk("31").get("/admin/insurance/transfer/").context["cl"].result_list) == []
