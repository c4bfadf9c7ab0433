"""Card uses (一卡通): accepted in the issuing province for everything, across the Yangtze River Delta for
everything, elsewhere for social security (and medical settlement with a filing); payments need the PIN.
And the ledger of money paid into the card."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cards.models import CardAccountEntry, CardUse, MedicalFiling
from cards.rules import use_acceptance
from cards.selectors import card_account_entries
from cards.services.uses import Credit, Presented, card_account_credit, card_accounts_credit, card_use_record
from core.exceptions import ApplicationError
from tests.cards.cardmaking import PIN, enabled_card
from tests.factories import (
    TEST_ACTOR,
    AgencyStaffFactory,
    authenticated_client,
    make_id_number,
    register_person,
)

pytestmark = pytest.mark.django_db


def _accepted(domain, card_province, point_province, kind, filing=False):
    acceptance = use_acceptance(
        domain=domain,
        card_province=card_province,
        point_province=point_province,
        point_kind=kind,
        has_medical_filing=filing,
    )
    return "accepted" if acceptance.refusal is None else acceptance.refusal.code


@pytest.mark.parametrize(
    ("domain", "kind", "card", "point", "filing", "expected"),
    [
        # The issuing province: everything.
        ("transport", "transport", "11", "11", False, "accepted"),
        ("museum", "museum", "11", "11", False, "accepted"),
        ("medical_settlement", "hospital", "11", "11", False, "accepted"),
        # The Yangtze River Delta, among its four: everything.
        ("transport", "transport", "31", "34", False, "accepted"),
        ("park", "park", "32", "33", False, "accepted"),
        ("library", "library", "34", "31", False, "accepted"),
        ("medical_settlement", "pharmacy", "33", "32", False, "accepted"),
        # Elsewhere: social security everywhere, medical with a filing, local uses refused.
        ("contribution_payment", "agency_hall", "11", "44", False, "accepted"),
        ("benefit_payment", "agency_hall", "31", "44", False, "accepted"),
        ("medical_settlement", "hospital", "11", "44", False, "card_use_needs_medical_filing"),
        ("medical_settlement", "hospital", "11", "44", True, "accepted"),
        ("medical_settlement", "hospital", "44", "31", False, "card_use_needs_medical_filing"),
        ("transport", "transport", "11", "31", False, "card_use_local_to_issuing_province"),
        ("transport", "transport", "31", "11", False, "card_use_local_to_issuing_province"),
        ("museum", "museum", "44", "11", True, "card_use_local_to_issuing_province"),
        # What a kind of place does not offer.
        ("transport", "hospital", "11", "11", False, "card_use_not_offered_here"),
    ],
)
def test_acceptance_rules(domain, kind, card, point, filing, expected):
    assert _accepted(domain, card, point, kind, filing) == expected


def test_a_payment_with_the_card_needs_its_pin_and_is_recorded(holder, point_factory):
    card = enabled_card(holder)
    hospital = point_factory("11", "hospital")
    presented = Presented(card_number=card.number)
    for pin, code in (("", "card_pin_required"), ("000001", "card_pin_wrong")):
        with pytest.raises(ApplicationError) as refusal:
            card_use_record(
                point=hospital, domain="medical_settlement", amount=Decimal("86.5"),
                presented=Presented(card_number=card.number, pin=pin), actor=TEST_ACTOR,
            )  # fmt: skip
        assert refusal.value.code == code
    assert not CardUse.objects.exists()
    use = card_use_record(
        point=hospital, domain="medical_settlement", amount=Decimal("86.5"),
        presented=Presented(card_number=card.number, pin=PIN), actor=TEST_ACTOR,
    )  # fmt: skip
    assert (use.domain, use.amount, use.province_id, use.service_point_id, use.by_ecard) == (
        "medical_settlement", Decimal("86.50"), "11", hospital.pk, False,
    )  # fmt: skip
    bus = point_factory("11", "transport")
    ride = card_use_record(
        point=bus, domain="transport", amount=Decimal("2"), presented=presented, actor=TEST_ACTOR
    )
    assert ride.amount == Decimal("2.00")  # a ride is no payment from the card's account: no PIN


def test_medical_settlement_elsewhere_needs_a_filing_which_agencies_and_citizens_register(
    holder, point_factory
):
    card = enabled_card(holder)
    canton = point_factory("44", "hospital")
    presented = Presented(card_number=card.number, pin=PIN)
    with pytest.raises(ApplicationError) as refusal:
        card_use_record(
            point=canton,
            domain="medical_settlement",
            amount=Decimal("10"),
            presented=presented,
            actor=TEST_ACTOR,
        )
    assert refusal.value.code == "card_use_needs_medical_filing"
    assert not CardUse.objects.exists()

    citizen = authenticated_client(holder.citizen)
    today = timezone.localdate()
    response = citizen.post(
        "/api/v1/me/medical-filings", {"province": "11", "valid_from": today}, format="json"
    )
    assert response.json()["error"]["code"] == "medical_filing_home_province"
    response = citizen.post(
        "/api/v1/me/medical-filings",
        {"province": "44", "valid_from": today, "valid_until": today - datetime.timedelta(days=1)},
        format="json",
    )
    assert response.json()["error"]["code"] == "medical_filing_dates_invalid"
    response = citizen.post(
        "/api/v1/me/medical-filings", {"province": "44", "valid_from": today}, format="json"
    )
    assert response.status_code == 201
    assert citizen.get("/api/v1/me/medical-filings").json()[0]["province"] == "44"
    use = card_use_record(
        point=canton, domain="medical_settlement", amount=Decimal("10"), presented=presented, actor=TEST_ACTOR
    )
    assert use.province_id == "44"

    staff = authenticated_client(AgencyStaffFactory(province="11"))
    response = staff.post(
        f"/api/v1/agency/cards/{card.pk}/medical-filings", {"province": "31", "valid_from": today}
    )
    assert response.status_code == 201
    assert _repeat_code(staff, card) == "medical_filing_exists"
    assert MedicalFiling.objects.filter(person_id=holder.pk).count() == 2


def _repeat_code(staff, card):
    today = timezone.localdate()
    body = {"province": "31", "valid_from": today}
    return staff.post(f"/api/v1/agency/cards/{card.pk}/medical-filings", body).json()["error"]["code"]


def test_uses_through_the_api_by_qr_code(holder, point_factory):
    card = enabled_card(holder)
    citizen = authenticated_client(holder.citizen)
    museum = authenticated_client(point_factory("31", "museum").user)
    token = citizen.post("/api/v1/me/ecard/qr", {}, format="json")["Ecard-Token"]
    response = museum.post(
        "/api/v1/service-point/card-uses", {"domain": "museum", "token": token}, format="json"
    )
    assert response.json()["error"]["code"] == "card_use_local_to_issuing_province"
    assert not CardUse.objects.exists()
    hospital = authenticated_client(point_factory("11", "hospital").user)
    token = citizen.post("/api/v1/me/ecard/qr", {}, format="json")["Ecard-Token"]
    body = {"domain": "medical_settlement", "amount": "30.00", "token": token}
    response = hospital.post("/api/v1/service-point/card-uses", body, format="json")
    assert response.json()["error"]["code"] == "card_use_payment_code_required"
    citizen.post("/api/v1/me/ecard/pin", {"current_pin": PIN, "new_pin": "530618"}, format="json")
    token = citizen.post("/api/v1/me/ecard/qr", {"purpose": "payment", "ecard_pin": "530618"}, format="json")[
        "Ecard-Token"
    ]
    response = hospital.post("/api/v1/service-point/card-uses", {**body, "token": token}, format="json")
    assert response.status_code == 201 and response.json()["by_ecard"] is True
    assert CardUse.objects.get().card_id == card.pk
    response = hospital.post("/api/v1/service-point/card-uses", {**body, "token": token}, format="json")
    assert response.json()["error"]["code"] == "ecard_token_replayed"
    response = hospital.post(
        "/api/v1/service-point/card-uses", {"domain": "medical_settlement"}, format="json"
    )
    assert response.json()["error"]["code"] == "invalid"


def test_pensions_are_paid_into_the_cards_ledger_once_per_reference(holder):
    card = enabled_card(holder)
    credit = Credit(holder.pk, "pension", Decimal("3210.456"), "pension-2026-11", "Pension for 2026-11")
    card_account_credit(credit=credit)
    card_account_credit(credit=credit)  # a payment run's retry
    assert list(card_account_entries(card=card).values_list("kind", "amount", "reference")) == [
        ("pension", Decimal("3210.46"), "pension-2026-11")
    ]
    response = authenticated_client(holder.citizen).get("/api/v1/me/card/account-entries").json()
    assert [e["amount"] for e in response["results"]] == ["3210.46"]


def test_credits_are_refused_without_a_valid_card_with_an_active_bank_function(holder):
    enabled_card(holder)
    inactive = register_person(id_number=make_id_number(sequence=9), name="赵六")
    enabled_card(inactive, bank=False)
    nobody = register_person(id_number=make_id_number(sequence=10), name="钱七")
    credited, refusals = card_accounts_credit(
        credits=[
            Credit(holder.pk, "subsidy", Decimal("100"), "s-1"),
            Credit(inactive.pk, "pension", Decimal("100"), "p-1"),
            Credit(nobody.pk, "pension", Decimal("100"), "p-1"),
            Credit(holder.pk, "pension", Decimal("0"), "p-0"),
            Credit(holder.pk, "bonus", Decimal("1"), "b-1"),
        ]
    )
    assert credited == [0]
    assert [(r.index, r.code) for r in refusals] == [
        (1, "card_bank_not_activated"),
        (2, "card_none_valid"),
        (3, "card_credit_amount_invalid"),
        (4, "card_credit_kind_unknown"),
    ]
    assert CardAccountEntry.objects.count() == 1
