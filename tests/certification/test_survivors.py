"""Survivors' claims (DOMAIN.md §4): opened by a pensioner's death through the API and through a deaths
import, priced by the paying province's rule, moved opened -> submitted -> checked -> paid (or rejected)
by the paying province's staff, and paid after the overpaid pension is offset against them; the recovery
case shows what came from the claim, what was repaid and what is left."""

import datetime
from decimal import Decimal

import pytest

from cards.models import CardAccountEntry
from certification.models import (
    AwardMonth,
    AwardStatus,
    CertificationProvinceConfig,
    PensionAward,
    RecoveryCase,
    SurvivorClaim,
    SurvivorClaimEntry,
)
from certification.services.awards import awards_pay_month, pension_adjustment_apply
from certification.services.recovery import (
    recovery_repayment_record,
    recovery_write_off_approve,
    recovery_write_off_propose,
)
from certification.services.survivors import (
    AwardStoppedByDeath,
    SurvivorDetails,
    survivors_claim_check,
    survivors_claim_pay,
    survivors_claim_reject,
    survivors_claim_submit,
    survivors_claims_open,
)
from certification.states import AWARD_STATES
from core.crypto import keyed_hash
from core.exceptions import ApplicationError
from core.identity import IdentityNumber
from core.models import Channel, StateEvent
from core.states import Actor
from insurance.models import Scheme
from insurance.services.persons import Death, deaths_register
from tests.cards.cardmaking import enabled_card
from tests.certification.conftest import award_in_payment, concurrently, record_death
from tests.factories import (
    TEST_ACTOR,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
)

pytestmark = pytest.mark.django_db
CLAIMS = "/api/v1/agency/pensions/survivors-claims"
SPOUSE_ID = make_id_number(province="11", birth_date=datetime.date(1952, 6, 1), sequence=77)
ACCOUNT = "6222020200112233445"
SUBMITTER, CHECKER = Actor(Channel.ADMIN, 101), Actor(Channel.ADMIN, 102)


def pensioner(*, sequence: int = 1, province: str = "11", amount: str = "3000.00", paid_to: int = 202504):
    """A pensioner in payment from January 2025, certified then, paid every month up to `paid_to`."""
    award = award_in_payment(
        sequence=sequence,
        amount=amount,
        first_month=202501,
        province=province,
        certified_on=datetime.date(2025, 1, 1),
    )
    open_relationship(
        person=award.person, scheme=Scheme.EMPLOYEE_PENSION, province_id=province, opened_period=202401
    )
    enabled_card(award.person, province=province)
    for month in range(202501, paid_to + 1):
        awards_pay_month(month=month)
    return award


def spouse(id_number: str = SPOUSE_ID, account: str = ACCOUNT) -> dict:
    return {
        "name": "王芳",
        "relationship": "spouse",
        "id_number": id_number,
        "bank_name": "中国工商银行",
        "bank_account": account,
    }


def spouse_details(**changes) -> SurvivorDetails:
    details = spouse()
    details["id_number"] = IdentityNumber.parse(details["id_number"])
    return SurvivorDetails(**{**details, **changes})


def events(claim) -> list[tuple[str, str, int | None, str]]:
    return list(
        StateEvent.objects.filter(entity="certification.survivorclaim", object_id=claim.pk)
        .order_by("at", "pk")
        .values_list("from_state", "to_state", "actor_id", "channel")
    )


@pytest.mark.parametrize("through", ["api", "import"])
def test_a_death_opens_a_claim_of_the_default_months_of_the_pension_in_force_in_the_month_of_death(through):
    award = award_in_payment(sequence=1, amount="3000.00", first_month=202501)
    open_relationship(
        person=award.person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401
    )
    pension_adjustment_apply(
        province_id="11", scheme=Scheme.EMPLOYEE_PENSION, from_month=202502, rate=Decimal("0.02"),
        fixed_amount=Decimal(0),
    )  # fmt: skip

    record_death(award.person, datetime.date(2025, 2, 20), through=through)

    claim = SurvivorClaim.objects.get(award=award)
    assert (
        claim.person_id, claim.province_id, claim.date_of_death, claim.status, claim.monthly_amount,
        claim.funeral_grant_months, claim.funeral_grant, claim.survivor_pension_months,
        claim.survivor_pension, claim.estate_amount,
    ) == (
        award.person_id, "11", datetime.date(2025, 2, 20), "opened", Decimal("3060.00"),
        2, Decimal("6120.00"), 10, Decimal("30600.00"), Decimal(0),
    )  # fmt: skip
    detail = authenticated_client(AgencyStaffFactory(province="11")).get(f"{CLAIMS}/{claim.pk}").json()
    assert [(m["from_state"], m["to_state"], m["channel"], m["reason"]) for m in detail["history"]] == [
        ("", "opened", through, "Death of the pensioner")
    ]
    assert (
        detail["estate_amount"], detail["total"], detail["survivor"]["id_number"], detail["payments"]
    ) == ("0.00", "36720.00", "", [])  # fmt: skip


def test_each_province_prices_its_claims_by_its_own_rule_and_a_claim_opens_once():
    CertificationProvinceConfig.objects.create(
        province_id="44", funeral_grant_months=3, survivor_pension_months=6
    )
    guangdong = award_in_payment(sequence=1, amount="2500.00", province="44")
    beijing = award_in_payment(sequence=2, amount="3000.00", province="11")
    died = datetime.date(2025, 5, 4)

    recorded, refusals = deaths_register(
        items=[Death(guangdong.person_id, died), Death(beijing.person_id, died)], actor=TEST_ACTOR
    )

    assert (len(recorded), refusals) == (2, [])
    priced = {
        claim.province_id: (claim.funeral_grant_months, claim.funeral_grant, claim.survivor_pension_months,
                            claim.survivor_pension, claim.total)
        for claim in SurvivorClaim.objects.all()
    }  # fmt: skip
    assert priced == {
        "44": (3, Decimal("7500.00"), 6, Decimal("15000.00"), Decimal("22500.00")),
        "11": (2, Decimal("6000.00"), 10, Decimal("30000.00"), Decimal("36000.00")),
    }
    again = survivors_claims_open(
        stopped=[AwardStoppedByDeath(guangdong.pk, guangdong.person_id, died)], actor=TEST_ACTOR
    )
    assert (again, SurvivorClaim.objects.count()) == (0, 2)


def test_staff_submit_another_clerk_checks_and_the_pay_offsets_the_overpayment_before_paying_the_survivor():
    award = pensioner(paid_to=202504)
    record_death(award.person, datetime.date(2025, 2, 20), through="api")  # 202503 and 202504 overpaid
    claim = SurvivorClaim.objects.get(award=award)
    submitter, checker = AgencyStaffFactory(province="11"), AgencyStaffFactory(province="11")
    by_submitter, by_checker = authenticated_client(submitter), authenticated_client(checker)

    submitted = by_submitter.post(f"{CLAIMS}/{claim.pk}/submit", spouse(), format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["survivor"] == {
        "name": "王芳",
        "relationship": "spouse",
        "id_number": SPOUSE_ID[:6] + "********" + SPOUSE_ID[14:],
        "bank_name": "中国工商银行",
        "bank_account": "6222 **** **** 3445",
    }
    assert SPOUSE_ID not in submitted.content.decode() and ACCOUNT not in submitted.content.decode()
    claim.refresh_from_db()
    assert (claim.id_number, claim.id_number_hash) == (SPOUSE_ID, keyed_hash(SPOUSE_ID))
    assert (
        SPOUSE_ID not in claim.id_number_ciphertext and ACCOUNT not in claim.survivor_bank_account_ciphertext
    )

    own_check = by_submitter.post(f"{CLAIMS}/{claim.pk}/check")
    assert (own_check.status_code, own_check.json()["error"]["code"]) == (
        403,
        "survivors_claim_check_same_person",
    )
    assert SurvivorClaim.objects.get(pk=claim.pk).status == "submitted"
    assert by_checker.post(f"{CLAIMS}/{claim.pk}/check").json()["status"] == "checked"

    paid = by_checker.post(f"{CLAIMS}/{claim.pk}/pay")

    assert paid.status_code == 200, paid.json()
    body = paid.json()
    assert (body["status"], body["total"], body["recovery_offset"], body["paid_to_survivor"]) == (
        "paid", "36000.00", "6000.00", "30000.00"
    )  # fmt: skip
    assert [(p["kind"], p["amount"], p["bank_account"]) for p in body["payments"]] == [
        ("recovery_offset", "6000.00", ""),
        ("survivor_payment", "30000.00", "6222 **** **** 3445"),
    ]
    assert [(m["from_state"], m["to_state"], m["actor"]) for m in body["history"]] == [
        ("", "opened", body["history"][0]["actor"]),
        ("opened", "submitted", submitter.pk),
        ("submitted", "checked", checker.pk),
        ("checked", "paid", checker.pk),
    ]
    case = RecoveryCase.objects.get(award=award)
    assert (
        case.overpaid, case.recovered_from_claim, case.recovered_by_repayment, case.left, case.status
    ) == (Decimal("6000.00"), Decimal("6000.00"), Decimal(0), Decimal(0), "recovered")  # fmt: skip
    entry = SurvivorClaimEntry.objects.get(claim=claim, kind="survivor_payment")
    assert (entry.reference, entry.recovery_case_id) == (f"survivors:{claim.pk}:survivor_payment", None)
    listed = by_checker.get("/api/v1/agency/pensions/recovery-cases").json()["results"]
    assert [(r["recovered_from_claim"], r["recovered_by_repayment"], r["left"]) for r in listed] == [
        ("6000.00", "0.00", "0.00")
    ]

    again = by_checker.post(f"{CLAIMS}/{claim.pk}/pay")

    assert (again.status_code, again.json()) == (200, body)
    assert SurvivorClaimEntry.objects.filter(claim=claim).count() == 2
    assert len(events(claim)) == 4
    assert RecoveryCase.objects.get(pk=case.pk).recovered == Decimal("6000.00")


def test_what_the_claim_cannot_cover_is_left_for_repayment_and_a_write_off_waits_for_the_claim():
    CertificationProvinceConfig.objects.create(
        province_id="11", funeral_grant_months=1, survivor_pension_months=1
    )
    award = pensioner(paid_to=202505)
    record_death(award.person, datetime.date(2025, 2, 10), through="import")  # 3 months overpaid: 9000
    claim = SurvivorClaim.objects.get(award=award)
    case = RecoveryCase.objects.get(award=award)

    with pytest.raises(ApplicationError) as pending:
        recovery_write_off_propose(case=case, reason="Estate without assets", actor=SUBMITTER)
    assert pending.value.code == "recovery_claim_pending"
    assert RecoveryCase.objects.get(pk=case.pk).write_off_proposed_by_id is None

    survivors_claim_submit(claim=claim, survivor=spouse_details(), actor=SUBMITTER)
    survivors_claim_check(claim=claim, actor=CHECKER)
    paid = survivors_claim_pay(claim=claim, actor=CHECKER)

    assert (paid.total, paid.recovery_offset, paid.paid_to_survivor) == (
        Decimal("6000.00"), Decimal("6000.00"), Decimal("0.00")
    )  # fmt: skip
    assert list(SurvivorClaimEntry.objects.filter(claim=claim).values_list("kind", "amount")) == [
        ("recovery_offset", Decimal("6000.00"))
    ]
    case.refresh_from_db()
    assert (case.overpaid, case.recovered_from_claim, case.left, case.status) == (
        Decimal("9000.00"), Decimal("6000.00"), Decimal("3000.00"), "open"
    )  # fmt: skip

    recovery_repayment_record(case=case, amount=Decimal("1000"))
    recovery_write_off_propose(case=case, reason="Estate without assets", actor=SUBMITTER)
    done = recovery_write_off_approve(case=case, actor=CHECKER)

    assert (
        done.recovered_from_claim,
        done.recovered_by_repayment,
        done.recovered,
        done.left,
        done.status,
    ) == (Decimal("6000.00"), Decimal("1000.00"), Decimal("7000.00"), Decimal("2000.00"), "written_off")


def months_of(award) -> list[tuple[int, str, Decimal]]:
    return list(
        AwardMonth.objects.filter(award=award).order_by("month").values_list("month", "outcome", "amount")
    )


def suspended_pensioner(*, suspended_from: int, withheld_to: int) -> PensionAward:
    """A pensioner paid from January 2025, suspended from `suspended_from`, its months withheld up to
    `withheld_to`."""
    award = pensioner(paid_to=suspended_from - 1)
    AWARD_STATES.move(award.pk, to=AwardStatus.SUSPENDED, actor=SUBMITTER)
    for month in range(suspended_from, withheld_to + 1):
        awards_pay_month(month=month)
    return award


@pytest.mark.parametrize("through", ["api", "import"])
def test_a_death_after_a_suspension_pays_the_months_withheld_up_to_it_to_the_estate_with_the_claim(through):
    award = suspended_pensioner(suspended_from=202502, withheld_to=202504)
    card_entries = CardAccountEntry.objects.filter(person_id=award.person_id).count()
    record_death(award.person, datetime.date(2025, 3, 31), through=through)
    claim = SurvivorClaim.objects.get(award=award)
    assert (claim.estate_amount, claim.total) == (Decimal("6000.00"), Decimal("42000.00"))
    by_checker = authenticated_client(AgencyStaffFactory(province="11"))
    survivors_claim_submit(claim=claim, survivor=spouse_details(), actor=SUBMITTER)
    survivors_claim_check(claim=claim, actor=CHECKER)

    paid = by_checker.post(f"{CLAIMS}/{claim.pk}/pay")

    assert paid.status_code == 200, paid.json()
    body = paid.json()
    assert (
        body["status"], body["estate_amount"], body["total"], body["recovery_offset"],
        body["paid_to_survivor"],
    ) == ("paid", "6000.00", "42000.00", "0.00", "42000.00")  # fmt: skip
    assert [(p["kind"], p["amount"], p["bank_account"]) for p in body["payments"]] == [
        ("estate_payment", "6000.00", "6222 **** **** 3445"),
        ("survivor_payment", "36000.00", "6222 **** **** 3445"),
    ]
    assert body["history"][-1]["reason"] == (
        "Paid: 0.00 offset against the overpayment, 6000.00 to the estate and 36000.00 to the survivor"
    )
    claim.refresh_from_db()
    assert months_of(award) == [
        (202501, "paid", Decimal("3000.00")),
        (202502, "paid_to_estate", Decimal("3000.00")),
        (202503, "paid_to_estate", Decimal("3000.00")),
        (202504, "forfeited", Decimal("3000.00")),
    ]
    assert set(
        AwardMonth.objects.filter(award=award, outcome="paid_to_estate").values_list("paid_at", flat=True)
    ) == {claim.paid_at}
    # Paid through the claim, not into the dead pensioner's card.
    assert CardAccountEntry.objects.filter(person_id=award.person_id).count() == card_entries

    again = by_checker.post(f"{CLAIMS}/{claim.pk}/pay")

    assert (again.status_code, again.json()) == (200, body)
    assert SurvivorClaimEntry.objects.filter(claim=claim).count() == 2
    assert AwardMonth.objects.filter(award=award, outcome="paid_to_estate").count() == 2


def test_the_overpayment_is_offset_against_the_estates_months_before_the_grant_and_survivor_pension():
    award = suspended_pensioner(suspended_from=202502, withheld_to=202503)
    # The runs back-pay withheld months before paying a later one, so April paid beside them is set here.
    AwardMonth.objects.create(
        person_id=award.person_id, award=award, month=202504, amount=Decimal("3000.00"), outcome="paid"
    )
    record_death(award.person, datetime.date(2025, 3, 10), through="api")
    claim = SurvivorClaim.objects.get(award=award)
    survivors_claim_submit(claim=claim, survivor=spouse_details(), actor=SUBMITTER)
    survivors_claim_check(claim=claim, actor=CHECKER)

    paid = survivors_claim_pay(claim=claim, actor=CHECKER)

    assert (paid.estate_amount, paid.total, paid.recovery_offset, paid.paid_to_survivor) == (
        Decimal("6000.00"), Decimal("42000.00"), Decimal("3000.00"), Decimal("39000.00")
    )  # fmt: skip
    assert list(
        SurvivorClaimEntry.objects.filter(claim=claim).order_by("pk").values_list("kind", "amount")
    ) == [
        ("recovery_offset", Decimal("3000.00")),
        ("estate_payment", Decimal("3000.00")),
        ("survivor_payment", Decimal("36000.00")),
    ]
    assert [outcome for _month, outcome, _amount in months_of(award)] == [
        "paid", "paid_to_estate", "paid_to_estate", "paid"
    ]  # fmt: skip
    assert RecoveryCase.objects.get(award=award).status == "recovered"


def test_a_rejected_claim_leaves_the_estates_months_payable_and_unpaid():
    award = suspended_pensioner(suspended_from=202502, withheld_to=202502)
    record_death(award.person, datetime.date(2025, 2, 5), through="api")
    claim = SurvivorClaim.objects.get(award=award)

    survivors_claim_reject(claim=claim, reason="No survivor came forward", actor=CHECKER)

    assert claim.estate_amount == Decimal("3000.00")
    assert months_of(award)[1:] == [(202502, "estate", Decimal("3000.00"))]
    assert not SurvivorClaimEntry.objects.filter(claim=claim).exists()


def _refused(call) -> str:
    with pytest.raises(ApplicationError) as error:
        call()
    return error.value.code


def test_refused_moves_change_nothing_and_a_rejected_claim_is_never_paid():
    award = pensioner(paid_to=202502)
    record_death(award.person, datetime.date(2025, 2, 20), through="api")
    claim = SurvivorClaim.objects.get(award=award)
    client = authenticated_client(AgencyStaffFactory(province="11"))

    early_pay = client.post(f"{CLAIMS}/{claim.pk}/pay")
    own_id = client.post(
        f"{CLAIMS}/{claim.pk}/submit", spouse(id_number=award.person.id_number), format="json"
    )
    bad_account = client.post(f"{CLAIMS}/{claim.pk}/submit", spouse(account="12-34"), format="json")
    no_reason = client.post(f"{CLAIMS}/{claim.pk}/reject", {"reason": " "}, format="json")

    assert [
        (r.status_code, r.json()["error"]["code"]) for r in (early_pay, own_id, bad_account, no_reason)
    ] == [
        (409, "survivors_claim_not_in_step"),
        (409, "survivors_claim_survivor_deceased"),
        (400, "card_bank_account_format"),
        (400, "invalid"),
    ]
    assert _refused(lambda: survivors_claim_reject(claim=claim, reason=" ", actor=SUBMITTER)) == (
        "survivors_claim_rejection_reason_required"
    )
    assert _refused(
        lambda: survivors_claim_submit(claim=claim, survivor=spouse_details(name=" ", relationship="cousin"),
                                       actor=SUBMITTER)
    ) == "survivors_claim_details_invalid"  # fmt: skip
    claim.refresh_from_db()
    assert (claim.status, claim.id_number_hash, claim.survivor_name) == ("opened", "", "")
    assert len(events(claim)) == 1 and not SurvivorClaimEntry.objects.exists()

    rejected = client.post(
        f"{CLAIMS}/{claim.pk}/reject", {"reason": "No survivor came forward."}, format="json"
    )

    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == (
        "rejected", "No survivor came forward."
    )  # fmt: skip
    assert rejected.json()["history"][-1]["reason"] == "No survivor came forward."
    assert client.post(f"{CLAIMS}/{claim.pk}/pay").json()["error"]["code"] == "survivors_claim_not_in_step"
    assert [row["id"] for row in client.get(CLAIMS, {"status": "rejected"}).json()["results"]] == [claim.pk]
    assert client.get(CLAIMS, {"status": "opened"}).json()["results"] == []
    assert not SurvivorClaimEntry.objects.exists()


def test_only_the_paying_provinces_staff_see_and_move_its_claims():
    award = pensioner(paid_to=202502)
    record_death(award.person, datetime.date(2025, 2, 20), through="api")
    claim = SurvivorClaim.objects.get(award=award)
    guangdong = authenticated_client(AgencyStaffFactory(province="44"))
    before = events(claim)

    answers = [
        guangdong.get(f"{CLAIMS}/{claim.pk}").status_code,
        guangdong.post(f"{CLAIMS}/{claim.pk}/submit", spouse(), format="json").status_code,
        guangdong.post(f"{CLAIMS}/{claim.pk}/check").status_code,
        guangdong.post(f"{CLAIMS}/{claim.pk}/pay").status_code,
        guangdong.post(f"{CLAIMS}/{claim.pk}/reject", {"reason": "x"}, format="json").status_code,
    ]

    assert answers == [404] * 5
    assert guangdong.get(CLAIMS).json()["results"] == []
    assert (SurvivorClaim.objects.get(pk=claim.pk).status, events(claim)) == ("opened", before)
    beijing_system = authenticated_client(AgencySystemFactory(province="11"))
    assert [row["id"] for row in beijing_system.get(CLAIMS).json()["results"]] == [claim.pk]
    assert beijing_system.post(f"{CLAIMS}/{claim.pk}/submit", spouse(), format="json").status_code == 403
    assert authenticated_client(CitizenFactory()).get(CLAIMS).status_code == 403


def test_claims_are_listed_newest_first_a_page_at_a_time():
    awards = [award_in_payment(sequence=n) for n in (1, 2, 3)]
    for award in awards:
        deaths_register(items=[Death(award.person_id, datetime.date(2025, 3, 1))], actor=TEST_ACTOR)
    client = authenticated_client(AgencyStaffFactory(province="11"))

    first = client.get(CLAIMS, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    claims = {claim.award_id: claim.pk for claim in SurvivorClaim.objects.all()}
    assert [row["id"] for row in first["results"] + second["results"]] == [
        claims[award.pk] for award in reversed(awards)
    ]
    assert second["next"] is None


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_one_claim_at_once_pay_it_once():
    award = pensioner(paid_to=202504)
    deaths_register(items=[Death(award.person_id, datetime.date(2025, 2, 20))], actor=TEST_ACTOR)
    claim = SurvivorClaim.objects.get(award=award)
    survivors_claim_submit(claim=claim, survivor=spouse_details(), actor=SUBMITTER)
    survivors_claim_check(claim=claim, actor=CHECKER)

    results, errors = concurrently(lambda: survivors_claim_pay(claim=claim, actor=CHECKER).status)

    assert (errors, results) == ([], ["paid", "paid"])
    assert sorted(SurvivorClaimEntry.objects.filter(claim=claim).values_list("kind", "amount")) == [
        ("recovery_offset", Decimal("6000.00")),
        ("survivor_payment", Decimal("30000.00")),
    ]
    assert RecoveryCase.objects.get(award=award).recovered_from_claim == Decimal("6000.00")
    assert [to for _from, to, _actor, _channel in events(claim)].count("paid") == 1
