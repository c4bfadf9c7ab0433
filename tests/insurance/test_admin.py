import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.crypto import keyed_hash
from core.models import Channel
from core.states import Actor, events_of
from insurance.admin.base import EstimatedCountPaginator, planner_row_estimate
from insurance.models import (
    AccountEntry,
    ContributionRate,
    ContributionRecord,
    Employer,
    IdentityReadLog,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    ParticipationCertificate,
    PersonStatus,
    ProvinceYearConfig,
    RelationshipStatus,
    Scheme,
)
from insurance.services.accounts import account_correction_approve, account_correction_propose
from tests.factories import EMPLOYER_CODE, AdministratorFactory, open_relationship, register_person
from tests.insurance.interest import year_end_interest

# These tests read the admin's English texts.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ADMIN = "/admin/insurance"
X_ID = "11010519491231002X"
X_ID_MASKED = "110105********002X"
MODELS = (
    "insuredperson",
    "employer",
    "insurancerelationship",
    "provinceyearconfig",
    "contributionrecord",
    "accountentry",
    "interestrun",
    "accountcorrection",
    "identityreadlog",
    "participationcertificate",
)


@pytest.fixture
def administrator():
    return AdministratorFactory(username="root")


@pytest.fixture
def admin_site(administrator) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


@pytest.fixture
def every_model(paying_person, administrator):
    """One row of every insurance model, all about `paying_person`."""
    year_end_interest(province_id="11", year=2024)
    account_correction_approve(
        correction=account_correction_propose(
            person=paying_person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id="11",
            amount=Decimal("-1.00"),
            period=202404,
            reason="Rounding",
            proposed_by=Actor.admin(AdministratorFactory()),
        ),
        approved_by=Actor.admin(administrator),
    )
    IdentityReadLog.objects.create(
        reader=administrator, person=paying_person, endpoint="/api/v1/agency/persons/1"
    )
    ParticipationCertificate.objects.create(
        person=paying_person,
        verification_code="K7Q2M9X4P3",
        content={"person_name": paying_person.name, "masked_id_number": paying_person.id_number_masked},
        content_sha256="a" * 64,
        pdf_sha256="b" * 64,
        valid_until=datetime.date(2025, 8, 28),
    )
    return paying_person


def found(response) -> list:
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_change_page_render_without_the_full_id_number_in_the_list(
    admin_site, every_model, model
):
    listing = admin_site.get(f"{ADMIN}/{model}/")
    [first, *_] = found(listing)
    change = admin_site.get(f"{ADMIN}/{model}/{first.pk}/change/")

    assert (listing.status_code, change.status_code) == (200, 200)
    assert every_model.id_number not in listing.content.decode()
    assert every_model.id_number_ciphertext not in listing.content.decode()


def test_person_list_shows_the_masked_id_number():
    register_person(id_number=X_ID, name="王五")
    client = Client()
    client.force_login(AdministratorFactory())

    page = client.get(f"{ADMIN}/insuredperson/").content.decode()

    assert X_ID_MASKED in page
    assert X_ID not in page
    assert not IdentityReadLog.objects.exists()


@pytest.mark.parametrize(
    "model", ["insuredperson", "employer", "insurancerelationship", "provinceyearconfig", "accountcorrection"]
)
def test_add_page_renders(admin_site, model):
    assert admin_site.get(f"{ADMIN}/{model}/add/").status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_history_page_renders_without_the_full_id_number(admin_site, every_model, model):
    [first, *_] = found(admin_site.get(f"{ADMIN}/{model}/"))

    response = admin_site.get(f"{ADMIN}/{model}/{first.pk}/history/")

    assert response.status_code == 200
    assert every_model.id_number not in response.content.decode()


def test_search_by_a_lowercase_x_id_number_finds_the_person_through_the_keyed_hash(admin_site, person):
    wang = register_person(id_number=X_ID, name="王五")

    with CaptureQueriesContext(connection) as queries:
        response = admin_site.get(f"{ADMIN}/insuredperson/", {"q": X_ID.lower()})

    assert found(response) == [wang]
    assert any(keyed_hash(X_ID) in query["sql"] for query in queries)
    assert not any("ciphertext" in query["sql"] and "LIKE" in query["sql"] for query in queries)


def test_search_by_name_prefix_and_partial_id_numbers(admin_site, person):
    wang = register_person(id_number=X_ID, name="王五")

    assert found(admin_site.get(f"{ADMIN}/insuredperson/", {"q": "王"})) == [wang]
    assert found(admin_site.get(f"{ADMIN}/insuredperson/", {"q": X_ID[:14]})) == []


def test_contributions_relationships_and_ledger_are_found_by_the_persons_id_number(admin_site, paying_person):
    other = register_person(id_number=X_ID, name="王五")
    InsuranceRelationship.objects.create(
        person=other, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401
    )
    term = paying_person.id_number.lower()

    contributions = found(admin_site.get(f"{ADMIN}/contributionrecord/", {"q": term}))
    relationships = found(admin_site.get(f"{ADMIN}/insurancerelationship/", {"q": term}))
    entries = found(admin_site.get(f"{ADMIN}/ledgerentry/", {"q": term}))

    assert sorted(record.period for record in contributions) == [202401, 202402, 202403]
    assert [(r.person_id, r.province_id) for r in relationships] == [(paying_person.pk, "11")]
    assert sorted(entry.amount for entry in entries) == [Decimal("960.00")] * 3
    assert found(admin_site.get(f"{ADMIN}/insurancerelationship/", {"q": X_ID.lower()}))[0].person == other


def test_the_ledger_is_listed_person_by_person_with_contribution_credits_and_interest(
    admin_site, paying_person
):
    year_end_interest(province_id="11", year=2024)

    unsearched = admin_site.get(f"{ADMIN}/ledgerentry/")
    searched = found(admin_site.get(f"{ADMIN}/ledgerentry/", {"q": paying_person.id_number}))

    # The whole table is never listed: the view would sort every contribution record for each page.
    assert unsearched.status_code == 200
    assert found(unsearched) == []
    assert "the ledger is shown person by person" in unsearched.content.decode()
    assert sorted((entry.kind, entry.amount) for entry in searched) == [
        *[("contribution", Decimal("960.00"))] * 3,
        ("interest", Decimal("62.88")),
    ]


def test_person_page_links_to_the_persons_own_records(admin_site, paying_person):
    other = register_person(id_number=X_ID, name="王五")
    InsuranceRelationship.objects.create(
        person=other, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401
    )

    page = admin_site.get(f"{ADMIN}/insuredperson/{paying_person.pk}/change/").content.decode()
    relationships = found(
        admin_site.get(f"{ADMIN}/insurancerelationship/", {"person__id__exact": paying_person.pk})
    )

    assert f"{ADMIN}/contributionrecord/?person__id__exact={paying_person.pk}" in page
    assert [r.person_id for r in relationships] == [paying_person.pk]


def test_filters_by_scheme_province_and_status(admin_site, paying_person):
    InsuranceRelationship.objects.create(
        person=paying_person,
        scheme=Scheme.EMPLOYEE_MEDICAL,
        province_id="44",
        opened_period=202301,
        status=RelationshipStatus.SUSPENDED,
        closed_period=202312,
    )

    by_scheme = found(admin_site.get(f"{ADMIN}/insurancerelationship/", {"scheme__exact": "EM"}))
    by_province = found(admin_site.get(f"{ADMIN}/insurancerelationship/", {"province__code__exact": "11"}))
    by_status = found(admin_site.get(f"{ADMIN}/insurancerelationship/", {"status__exact": "suspended"}))
    contributions = found(
        admin_site.get(f"{ADMIN}/contributionrecord/", {"scheme__exact": "EP", "province__code__exact": "44"})
    )
    deceased = found(admin_site.get(f"{ADMIN}/insuredperson/", {"status__exact": PersonStatus.DECEASED}))

    assert [r.scheme for r in by_scheme] == ["EM"]
    assert [r.scheme for r in by_province] == ["EP"]
    assert [r.province_id for r in by_status] == ["44"]
    assert (contributions, deceased) == ([], [])


def test_a_missing_person_page_logs_nothing(admin_site, person):
    response = admin_site.get(f"{ADMIN}/insuredperson/{person.pk + 1000}/change/")

    assert response.status_code == 302  # the admin redirects to the list with "does not exist"
    assert not IdentityReadLog.objects.exists()


def test_person_details_are_corrected_but_status_stays_with_the_services(admin_site, person):
    response = admin_site.post(
        f"{ADMIN}/insuredperson/{person.pk}/change/",
        {
            "name": "张三丰",
            "hukou_province": "44",
            "residence_province": "31",
            "phone": "13800000000",
            "status": PersonStatus.DECEASED,
            "date_of_death": "2024-01-01",
        },
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.hukou_province_id, person.residence_province_id, person.phone) == (
        "张三丰",
        "44",
        "31",
        "13800000000",
    )
    assert (person.status, person.date_of_death) == (PersonStatus.ACTIVE, None)
    assert person.history.get().history_type == "~"  # the registration's own record is its StateEvent


def _edited(person: InsuredPerson) -> InsuredPerson:
    """The person after an edit that leaves a version in their history (registration leaves none)."""
    person.phone = "13900000000"
    person.save()
    return person


def test_reverting_to_an_old_version_is_refused(admin_site, person):
    version = _edited(person).history.get()
    person.phone = "13800000000"
    person.save()
    ciphertext = person.id_number_ciphertext

    response = admin_site.post(
        f"{ADMIN}/insuredperson/{person.pk}/history/{version.history_id}/",
        {"name": person.name, "hukou_province": "11", "phone": ""},
    )

    assert response.status_code == 403
    person.refresh_from_db()
    assert (person.phone, person.id_number_ciphertext) == ("13800000000", ciphertext)
    assert person.history.count() == 2


@pytest.mark.parametrize("model", [LedgerEntry, AccountEntry])
def test_ledger_admin_refuses_add_change_and_delete(admin_site, paying_person, model):
    year_end_interest(province_id="11", year=2024)
    entry = model.objects.filter(person=paying_person).order_by("period").first()
    before = list(LedgerEntry.objects.values_list("pk", "amount").order_by("pk"))
    pages = f"{ADMIN}/{model._meta.model_name}"

    listing = admin_site.get(f"{pages}/")
    add = admin_site.post(f"{pages}/add/", {"amount": "1.00"})
    change = admin_site.post(f"{pages}/{entry.pk}/change/", {"amount": "1.00"})
    delete = admin_site.post(f"{pages}/{entry.pk}/delete/", {"post": "yes"})
    bulk_delete = admin_site.post(
        f"{pages}/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )

    assert listing.status_code == 200
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk_delete.status_code == 200  # no such action: the list is shown again
    assert list(LedgerEntry.objects.values_list("pk", "amount").order_by("pk")) == before


def test_contribution_page_shows_the_computed_record_read_only(admin_site, paying_person):
    record = ContributionRecord.objects.get(period=202401)

    response = admin_site.get(f"{ADMIN}/contributionrecord/{record.pk}/change/")

    assert response.context["adminform"].form.fields == {}
    page = response.content.decode()
    assert all(value in page for value in ("12000.00", "1920.00", "960.00", "0.1600", EMPLOYER_CODE))


@pytest.mark.parametrize("model", ["contributionrecord", "identityreadlog", "participationcertificate"])
def test_service_written_records_cannot_be_added_or_changed(admin_site, every_model, model):
    [first, *_] = found(admin_site.get(f"{ADMIN}/{model}/"))

    assert admin_site.get(f"{ADMIN}/{model}/add/").status_code == 403
    assert admin_site.post(f"{ADMIN}/{model}/{first.pk}/change/", {}).status_code == 403
    assert admin_site.post(f"{ADMIN}/{model}/{first.pk}/delete/", {"post": "yes"}).status_code == 403


def _add_person(admin_site, **fields):
    data = {
        "id_number": X_ID.lower(),
        "name": "王五",
        "hukou_province": "",
        "residence_province": "",
        "phone": "",
    }
    return admin_site.post(f"{ADMIN}/insuredperson/add/", {**data, **fields})


def test_add_person_registers_through_the_service(admin_site, administrator):
    response = _add_person(admin_site, residence_province="44")

    assert response.status_code == 302
    person = InsuredPerson.objects.get()
    assert (person.id_number, person.id_number_hash) == (X_ID, keyed_hash(X_ID))
    assert (person.name, person.sex, person.birth_date) == ("王五", "F", datetime.date(1949, 12, 31))
    assert (person.hukou_province_id, person.residence_province_id) == ("11", "44")
    (created,) = events_of(entity=InsuredPerson, object_id=person.pk)
    assert (created.from_state, created.channel, created.actor_id) == ("", Channel.ADMIN, administrator.pk)


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("110105194912310021", "check character does not match"),
        ("1101051949", "17 digits followed by a digit or X"),
    ],
)
def test_add_person_with_an_invalid_id_number_shows_the_error_and_writes_nothing(
    admin_site, id_number, message, english
):
    response = _add_person(admin_site, id_number=id_number)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["id_number"])
    assert not InsuredPerson.objects.exists()


def test_add_person_with_a_registered_id_number_shows_the_refusal_and_writes_nothing(admin_site):
    existing = register_person(id_number=X_ID, name="王五")

    response = _add_person(admin_site, name="Someone else")

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "A person with this ID number is already registered."
    ]
    assert list(InsuredPerson.objects.values_list("pk", "name")) == [(existing.pk, "王五")]
    assert events_of(entity=InsuredPerson, object_id=existing.pk).count() == 1


def _add_relationship(admin_site, person, **fields):
    data = {"person": person.pk, "scheme": "EP", "province": "44", "opened_period": "202405"}
    return admin_site.post(f"{ADMIN}/insurancerelationship/add/", {**data, **fields})


def test_add_relationship_opens_it_through_the_service(admin_site, person):
    response = _add_relationship(admin_site, person)

    assert response.status_code == 302
    relationship = InsuranceRelationship.objects.get()
    assert (relationship.person, relationship.scheme, relationship.province_id) == (person, "EP", "44")
    assert (relationship.status, relationship.opened_period) == (RelationshipStatus.PAYING, 202405)


def test_add_relationship_resumes_a_suspended_one_through_the_service(admin_site, person):
    suspended = InsuranceRelationship.objects.create(
        person=person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="44",
        opened_period=202301,
        status=RelationshipStatus.SUSPENDED,
        closed_period=202312,
    )

    response = _add_relationship(admin_site, person)

    assert response.status_code == 302
    suspended.refresh_from_db()
    assert (suspended.status, suspended.opened_period, suspended.closed_period) == (
        RelationshipStatus.PAYING,
        202301,
        None,
    )
    assert InsuranceRelationship.objects.count() == 1


def test_add_relationship_refused_by_the_service_writes_nothing(admin_site, paying_person):
    before = list(InsuranceRelationship.objects.values_list("pk", "province_id", "status"))

    response = _add_relationship(admin_site, paying_person)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["province"] == [
        "This person pays into this scheme in province 11: that relationship must be suspended first."
    ]
    assert list(InsuranceRelationship.objects.values_list("pk", "province_id", "status")) == before


def test_an_open_relationship_is_not_changed_in_admin(admin_site, paying_person):
    relationship = InsuranceRelationship.objects.get()

    response = admin_site.post(
        f"{ADMIN}/insurancerelationship/{relationship.pk}/change/", {"status": RelationshipStatus.CLOSED}
    )

    assert response.status_code == 403
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.PAYING


def test_add_relationship_with_an_invalid_period_is_a_field_error(admin_site, person):
    response = _add_relationship(admin_site, person, opened_period="202413")

    assert response.status_code == 200
    assert "opened_period" in response.context["adminform"].form.errors
    assert not InsuranceRelationship.objects.exists()


def _add_config(admin_site, **fields):
    data = {
        "province": "31",
        "year": "2024",
        "average_monthly_wage": "12000.00",
        "base_floor_ratio": "0.6",
        "base_ceiling_ratio": "3",
        "account_interest_rate": "",
    }
    return admin_site.post(f"{ADMIN}/provinceyearconfig/add/", {**data, **fields})


def test_add_config_creates_it_with_the_default_rates_through_the_service(admin_site):
    response = _add_config(admin_site)

    assert response.status_code == 302
    config = ProvinceYearConfig.objects.get()
    assert (config.province_id, config.year, config.average_monthly_wage) == ("31", 2024, Decimal("12000.00"))
    assert sorted(config.rates.values_list("scheme", flat=True)) == sorted(Scheme.values)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_floor_ratio": "3.5"}, "The base floor must be positive and below the ceiling."),
        ({"province": "11"}, "11 already has figures for 2024."),
    ],
)
def test_add_config_refused_by_the_service_writes_nothing(admin_site, configured_years, fields, message):
    before = ProvinceYearConfig.objects.count(), ContributionRate.objects.count()

    response = _add_config(admin_site, **fields)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [message]
    assert (ProvinceYearConfig.objects.count(), ContributionRate.objects.count()) == before


def test_config_rates_are_overridden_inline(admin_site, configured_years):
    config = ProvinceYearConfig.objects.get(province_id="11", year=2024)
    rates = list(config.rates.order_by("pk"))
    data = {
        "average_monthly_wage": "10500.00",
        "base_floor_ratio": "0.6000",
        "base_ceiling_ratio": "3.0000",
        "account_interest_rate": "0.0262",
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": str(len(rates)),
    }
    for index, rate in enumerate(rates):
        data |= {
            f"rates-{index}-id": rate.pk,
            f"rates-{index}-config": config.pk,
            f"rates-{index}-scheme": rate.scheme,
            f"rates-{index}-employer_rate": "0.1500" if rate.scheme == "EP" else rate.employer_rate,
            f"rates-{index}-individual_rate": rate.individual_rate,
            f"rates-{index}-account_rate": rate.account_rate,
            f"rates-{index}-flexible_rate": rate.flexible_rate or "",
        }

    response = admin_site.post(f"{ADMIN}/provinceyearconfig/{config.pk}/change/", data)

    assert response.status_code == 302
    config.refresh_from_db()
    assert config.average_monthly_wage == Decimal("10500.00")
    assert config.rates.get(scheme="EP").employer_rate == Decimal("0.1500")
    assert config.history.count() == 2


def test_employer_code_is_validated(admin_site):
    refused = admin_site.post(
        f"{ADMIN}/employer/add/", {"code": "91110000600037341A", "name": "Bad", "province": "11"}
    )
    added = admin_site.post(
        f"{ADMIN}/employer/add/", {"code": "91110000600037341l", "name": "Good", "province": "11"}
    )

    assert "check character does not match" in " ".join(refused.context["adminform"].form.errors["code"])
    assert added.status_code == 302
    assert list(Employer.objects.values_list("code", "name")) == [("91110000600037341L", "Good")]


def test_big_lists_count_by_the_planners_estimate_instead_of_count(paying_person, monkeypatch):
    records = ContributionRecord.objects.order_by("-pk")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 0)

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(records, 100).count

    assert count == planner_row_estimate(records)
    assert not any("COUNT(" in query["sql"].upper() for query in queries)


def test_small_lists_are_counted_exactly(paying_person):
    assert EstimatedCountPaginator(ContributionRecord.objects.order_by("-pk"), 100).count == 3
    assert EstimatedCountPaginator(ContributionRecord.objects.none(), 100).count == 0


def test_big_lists_do_not_count_the_whole_table(admin_site, paying_person, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 0)

    with CaptureQueriesContext(connection) as queries:
        response = admin_site.get(f"{ADMIN}/contributionrecord/", {"scheme__exact": "EP"})

    assert response.status_code == 200
    assert len(found(response)) == 3
    assert not any("COUNT(" in query["sql"].upper() for query in queries)


def test_admin_action_credits_the_years_interest_once(client, paying_person):
    client.force_login(AdministratorFactory())
    config = ProvinceYearConfig.objects.get(province_id="11", year=2024)
    unpublished = ProvinceYearConfig.objects.get(province_id="11", year=2023)
    unpublished.account_interest_rate = None
    unpublished.save()

    for _ in range(2):
        response = client.post(
            "/admin/insurance/provinceyearconfig/",
            {"action": "credit_account_interest", "_selected_action": [config.pk, unpublished.pk]},
            follow=True,
        )

    messages = [str(message) for message in response.context["messages"]]
    assert AccountEntry.objects.filter(person=paying_person, kind="interest").count() == 1
    assert "11 2024: 0 interest entries credited." in messages
    assert any(
        "has not published an account interest rate for 2023 or before" in message for message in messages
    )


def test_relationship_actions_suspend_and_resume_through_the_services_with_events(
    admin_site, administrator, person
):
    relationship = open_relationship(
        person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202001
    )

    def act(action: str) -> tuple[int, str]:
        selected = {"action": action, "_selected_action": [relationship.pk]}
        response = admin_site.post(f"{ADMIN}/insurancerelationship/", selected)
        return response.status_code, admin_site.get(f"{ADMIN}/insurancerelationship/").content.decode()

    suspended, again, resumed = act("suspend_this_month"), act("suspend_this_month"), act("resume_this_month")

    assert suspended[0] == again[0] == resumed[0] == 302
    assert "Only a paying relationship can be suspended." in again[1]
    relationship.refresh_from_db()
    assert (relationship.status, relationship.closed_period) == (RelationshipStatus.PAYING, None)
    moves = events_of(entity=InsuranceRelationship, object_id=relationship.pk).exclude(from_state="")
    assert [(e.from_state, e.to_state, e.channel, e.actor_id) for e in moves] == [
        ("paying", "suspended", Channel.ADMIN, administrator.pk),
        ("suspended", "paying", Channel.ADMIN, administrator.pk),
    ]


def test_certificate_revoke_action_goes_through_the_service_once(admin_site, every_model):
    certificate = ParticipationCertificate.objects.get()
    selected = {"action": "revoke", "_selected_action": [certificate.pk]}

    first = admin_site.post(f"{ADMIN}/participationcertificate/", selected)
    again = admin_site.post(f"{ADMIN}/participationcertificate/", selected, follow=True)

    assert first.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "revoked" and certificate.revoked_at is not None
    (event,) = events_of(entity=ParticipationCertificate, object_id=certificate.pk).filter(to_state="revoked")
    assert (event.from_state, event.channel) == ("issued", Channel.ADMIN)
    assert "state_move_not_allowed" not in again.content.decode()
    # The first post's confirmation, then the second's refusal.
    assert [message.level_tag for message in again.context["messages"]] == ["info", "error"]
