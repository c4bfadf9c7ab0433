import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from accounts.scope import Scope
from accounts.services import user_login
from core.crypto import keyed_hash
from core.identity import IdentityNumber
from core.models import Channel, StateEvent
from demo.bulk import DemoRefused
from demo.seed import DEMO_PASSWORD, EXAMPLE_EMPLOYERS, demo_seed, plan_people
from insurance import selectors
from insurance.employer_codes import UnifiedSocialCreditCode
from insurance.models import (
    AccountEntry,
    AccountEntryKind,
    ContributionRecord,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    PersonStatus,
    ProvinceYearConfig,
    RelationshipStatus,
    Scheme,
    Transfer,
    TransferStatus,
)
from insurance.periods import period_add_months
from insurance.services.tariffs import tariff_get
from tests.insurance.interest import year_end_interest

TODAY = datetime.date(2026, 11, 23)
PERSONS = 8
YEARS = 3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is slow on purpose; the demo logins' hashing algorithm is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**overrides):
    arguments = {"persons": PERSONS, "seed": 7, "years": YEARS, "today": TODAY, "progress": lambda _: None}
    return demo_seed(**(arguments | overrides))


def table_counts() -> dict[str, int]:
    models = (
        InsuredPerson,
        InsuranceRelationship,
        ContributionRecord,
        AccountEntry,
        Employer,
        ProvinceYearConfig,
        User,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.usefixtures("english")
def test_seed_demo_command_creates_people_histories_and_prints_the_logins():
    out = StringIO()
    call_command("seed_demo", "--persons", str(PERSONS), "--seed", "7", "--years", str(YEARS), stdout=out)

    plans = plan_people(persons=PERSONS, seed=7, years=YEARS, today=timezone.localdate())
    assert InsuredPerson.objects.count() == PERSONS
    assert ContributionRecord.objects.count() == sum(plan.months() for plan in plans)
    assert InsuranceRelationship.objects.count() == sum(
        len(stint.schemes) for plan in plans for stint in plan.stints
    )
    output = out.getvalue()
    assert f"password for every one: {DEMO_PASSWORD}" in output
    for username in ("citizen", "agency-11", "agency-44", "agency-system-11", "service-point", "admin"):
        assert f"  {username} " in output
    assert "persons 8/8" in output  # progress per stage, with counts


def test_demo_covers_every_kind_of_career():
    seed()
    statuses = Counter(InsuredPerson.objects.values_list("status", flat=True))
    assert statuses[PersonStatus.RETIRED] >= 1
    assert statuses[PersonStatus.DECEASED] >= 1
    assert statuses[PersonStatus.ACTIVE] >= 1
    assert ContributionRecord.objects.filter(period__lt=199801).values("person").distinct().count() >= 1
    pension = InsuranceRelationship.objects.filter(scheme=Scheme.EMPLOYEE_PENSION)
    provinces_per_person = Counter(pension.values_list("person_id", flat=True))
    assert max(provinces_per_person.values()) == 3
    moved = [person for person, count in provinces_per_person.items() if count > 1]
    for person in moved:
        assert pension.filter(person_id=person, status=RelationshipStatus.SUSPENDED).exists() or (
            InsuredPerson.objects.get(pk=person).status == PersonStatus.DECEASED
        )
    dead = InsuredPerson.objects.filter(status=PersonStatus.DECEASED)
    for person in dead:
        assert set(person.relationships.values_list("status", flat=True)) == {RelationshipStatus.CLOSED}
        assert not person.contributions.filter(period__gt=person.date_of_death.year * 100 + 12).exists()


def test_people_have_valid_identity_numbers_and_employers_valid_codes():
    seed()
    for person in InsuredPerson.objects.all():
        number = IdentityNumber.parse(person.id_number)
        assert (person.sex, person.birth_date) == (number.sex.value, number.birth_date)
    assert Employer.objects.count() == 62 + len(EXAMPLE_EMPLOYERS)  # and the example files' two
    for employer in Employer.objects.all():
        assert UnifiedSocialCreditCode.parse(employer.code).value == employer.code


def test_same_seed_gives_the_same_people_and_another_seed_other_people():
    seed()
    plans = plan_people(persons=PERSONS, seed=7, years=YEARS, today=TODAY)
    assert plan_people(persons=PERSONS, seed=7, years=YEARS, today=TODAY) == plans
    stored = {(p.name, p.id_number) for p in InsuredPerson.objects.all()}
    assert stored == {(plan.name, plan.id_number) for plan in plans}
    others = plan_people(persons=PERSONS, seed=8, years=YEARS, today=TODAY)
    assert [p.id_number for p in others] != [p.id_number for p in plans]


def test_seeding_again_with_the_same_arguments_writes_nothing():
    seed()
    before = table_counts()
    report = seed()
    assert table_counts() == before
    assert (report.written.persons, report.skipped_persons, report.configs, report.employers) == (
        0,
        PERSONS,
        0,
        0,
    )
    assert report.created_logins == 0


def test_every_demo_login_signs_in_with_the_demo_password():
    report = seed()
    roles = {}
    for login in report.logins:
        issued = user_login(username=login.username, password=DEMO_PASSWORD, client_address="127.0.0.1")
        roles[login.username] = issued.user.role
    assert roles == {
        "citizen": Role.CITIZEN,
        "agency-11": Role.AGENCY_STAFF,
        "agency-44": Role.AGENCY_STAFF,
        "agency-system-11": Role.AGENCY_SYSTEM,
        "service-point": Role.SERVICE_POINT,
        "admin": Role.ADMINISTRATOR,
    }
    citizen = User.objects.get(username="citizen")
    showcase = selectors.person_of_citizen(scope=Scope.of(citizen))
    assert showcase.id_number == plan_people(persons=1, seed=7, years=YEARS, today=TODAY)[0].id_number
    # The showcase is visible to both agencies: insured in Guangdong before 1998, in Beijing since.
    for username in ("agency-11", "agency-44"):
        scope = Scope.of(User.objects.get(username=username))
        assert selectors.person_get(scope=scope, person_id=showcase.pk) == showcase
    assert showcase.contributions.filter(period__lt=199801).exists()
    assert set(showcase.contributions.values_list("scheme", flat=True)) == {
        Scheme.EMPLOYEE_PENSION,
        Scheme.EMPLOYEE_MEDICAL,
        Scheme.UNEMPLOYMENT,
        Scheme.WORK_INJURY,
    }


def test_contribution_amounts_are_the_tariff_of_their_declared_base():
    seed()
    tariffs = {}
    checked = 0
    for record in ContributionRecord.objects.all():
        key = (record.province_id, record.scheme, record.period // 100)
        if key not in tariffs:
            tariffs[key] = tariff_get(province_id=key[0], scheme=key[1], year=key[2])
        tariff = tariffs[key]
        amounts = tariff.compute(record.declared_base, has_employer=record.employer_id is not None)
        assert (
            record.base,
            record.base_adjustment,
            record.employer_rate,
            record.individual_rate,
            record.employer_amount,
            record.individual_amount,
            record.account_credit,
        ) == (
            amounts.base,
            amounts.base_adjustment,
            amounts.employer_rate,
            amounts.individual_rate,
            amounts.employer_amount,
            amounts.individual_amount,
            amounts.account_credit,
        )
        checked += 1
    assert checked == ContributionRecord.objects.count() > 0


def test_ledger_holds_every_pension_credit_and_its_yearly_interest():
    seed()
    credits = LedgerEntry.objects.filter(kind=AccountEntryKind.CONTRIBUTION, scheme=Scheme.EMPLOYEE_PENSION)
    pension = ContributionRecord.objects.filter(scheme=Scheme.EMPLOYEE_PENSION, account_credit__gt=0)
    assert sorted(credits.values_list("contribution_id", "amount", "period", "province_id")) == sorted(
        pension.values_list("pk", "account_credit", "period", "province_id")
    )
    for person in InsuredPerson.objects.all():
        balance, _ = selectors.account_balance_of(person=person)
        contributed = person.contributions.filter(scheme=Scheme.EMPLOYEE_PENSION).aggregate(
            total=Sum("account_credit")
        )["total"] or Decimal("0.00")
        interest = person.account_entries.filter(kind=AccountEntryKind.INTEREST).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0.00")
        assert balance == contributed + interest
    assert AccountEntry.objects.filter(kind=AccountEntryKind.INTEREST, amount__gt=0).exists()
    # Every year with a published rate is already credited: the service finds nothing left to do.
    for province, year in AccountEntry.objects.filter(kind=AccountEntryKind.INTEREST).values_list(
        "province_id", "period"
    ):
        assert year_end_interest(province_id=province, year=year // 100).entries == 0


def _person_ids(plans) -> dict[int, int]:
    """Plan index -> the person registered for it."""
    ids = dict(InsuredPerson.objects.values_list("id_number_hash", "pk"))
    return {plan.index: ids[keyed_hash(plan.id_number)] for plan in plans}


def test_the_services_leave_every_person_and_relationship_as_planned():
    seed()
    plans = plan_people(persons=PERSONS, seed=7, years=YEARS, today=TODAY)
    person_ids = _person_ids(plans)

    people = InsuredPerson.objects.values_list("pk", "hukou_province_id", "status", "date_of_death")
    assert set(people) == {
        (person_ids[plan.index], plan.hukou_province, plan.status, plan.date_of_death) for plan in plans
    }
    relationships = InsuranceRelationship.objects.values_list(
        "person_id", "scheme", "province_id", "opened_period", "employer__code", "is_temporary_account",
        "status", "closed_period",
    )  # fmt: skip
    expected = {
        (
            person_ids[plan.index], scheme, stint.province, stint.first, stint.employer,
            stint.temporary_account and scheme == Scheme.EMPLOYEE_PENSION, stint.status, stint.closed_period,
        )
        for plan in plans
        for stint in plan.stints
        for scheme in stint.schemes
    }  # fmt: skip
    assert Counter(relationships) == Counter(expected)
    assert any(row[5] for row in expected)  # a temporary account, as enrolment decides it
    assert any(row[4] is None for row in expected)  # a flexible worker
    # Each suspension follows the stint's last month paid.
    for plan in plans:
        for stint in plan.stints:
            if stint.suspended_from is not None:
                last_paid = ContributionRecord.objects.filter(
                    person_id=person_ids[plan.index], province_id=stint.province
                ).latest("period")
                assert (last_paid.period, stint.suspended_from) == (
                    stint.last,
                    period_add_months(stint.last, 1),
                )


def _moves(states: list[str], person_id: int) -> list[tuple[int, str, str]]:
    return [(person_id, source, target) for source, target in pairwise(states)]


def test_every_person_and_relationship_has_the_events_of_its_moves():
    seed()
    plans = plan_people(persons=PERSONS, seed=7, years=YEARS, today=TODAY)
    person_ids = _person_ids(plans)
    moves = defaultdict(list)
    for event in StateEvent.objects.order_by("at", "pk"):
        assert (event.channel, event.reference, event.actor_id) == (Channel.ADMIN, "seed_demo", None)
        moves[event.entity, event.object_id].append((event.person_id, event.from_state, event.to_state))

    expected = {}
    for plan in plans:
        person_id = person_ids[plan.index]
        states = ["", PersonStatus.ACTIVE]
        states += [PersonStatus.RETIRED] if plan.retired else []
        states += [PersonStatus.DECEASED] if plan.date_of_death else []
        expected["insurance.insuredperson", person_id] = _moves(states, person_id)
        relationship_ids = {
            (province, scheme): pk
            for province, scheme, pk in InsuranceRelationship.objects.filter(person_id=person_id).values_list(
                "province_id", "scheme", "pk"
            )
        }
        for stint in plan.stints:
            states = ["", RelationshipStatus.PAYING]
            states += [RelationshipStatus.SUSPENDED] if stint.suspended_from else []
            states += [RelationshipStatus.CLOSED] if stint.status == RelationshipStatus.CLOSED else []
            for scheme in stint.schemes:
                key = ("insurance.insurancerelationship", relationship_ids[stint.province, scheme])
                expected[key] = _moves(states, person_id)
    # A move to another province that meets a suspended relationship there is offered a transfer
    # (insurance.services.transfers): offered, and nothing more until the person answers.
    for transfer in Transfer.objects.all():
        expected["insurance.transfer", transfer.pk] = [(transfer.person_id, "", TransferStatus.OFFERED)]
    assert dict(moves) == expected


def test_a_plan_the_services_refuse_stops_the_seed_and_writes_nothing(settings):
    settings.EARLIEST_CONTRIBUTION_PERIOD = 201001  # the showcase enrolled before 1998
    before = table_counts()

    with pytest.raises(DemoRefused, match=r"enrolments refused, the first \(item 0\): period_too_early"):
        seed()

    assert table_counts() == before
    assert not StateEvent.objects.exists()
