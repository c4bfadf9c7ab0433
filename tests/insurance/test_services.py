import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from accounts.scope import Scope
from core.crypto import keyed_hash
from core.exceptions import ApplicationError
from core.identity import IdentityNumber
from insurance.models import (
    AccountEntry,
    AccountEntryKind,
    BaseAdjustment,
    ContributionRecord,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    InterestRun,
    LedgerEntry,
    PersonStatus,
    RelationshipStatus,
    Scheme,
)
from insurance.periods import period_parse
from insurance.services.contributions import ContributionMonth
from insurance.services.persons import PersonDetails, person_register
from insurance.services.relationships import relationship_suspend
from insurance.services.tariffs import province_year_config_create
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    make_id_number,
    open_relationship,
    record_contributions,
    register_death,
    register_person,
)
from tests.insurance.interest import year_end_interest

pytestmark = pytest.mark.django_db


def test_register_reads_sex_birth_date_and_hukou_from_the_id_number():
    number = make_id_number(province="44", birth_date=datetime.date(1972, 3, 9), sex="F")

    person = register_person(id_number=number, name=" 李四 ")

    person.refresh_from_db()
    assert (person.name, person.sex, person.birth_date) == ("李四", "F", datetime.date(1972, 3, 9))
    assert person.hukou_province_id == "44"
    assert person.id_number == number
    assert person.id_number_hash == keyed_hash(number)


def test_id_number_is_not_stored_in_clear():
    number = make_id_number(province="31")
    person = register_person(id_number=number, name="王五")

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM insurance_insuredperson WHERE id = %s", [person.pk])
        row = cursor.fetchone()
        cursor.execute("SELECT * FROM core_stateevent WHERE person_id = %s", [person.pk])
        events = cursor.fetchall()

    assert events
    assert not any(number in str(value) for value in (*row, *[v for event in events for v in event]))


def test_registering_the_same_id_again_in_another_spelling_registers_nobody_new(person):
    again, created = person_register(
        details=PersonDetails(id_number=IdentityNumber.parse(person.id_number.lower()), name=" 张三丰 "),
        scope=Scope(role=Role.ADMINISTRATOR),
        actor=TEST_ACTOR,
    )

    assert (again.pk, created, again.name) == (person.pk, False, "张三丰")
    assert InsuredPerson.objects.count() == 1


def test_invalid_id_number_is_refused_with_its_code():
    with pytest.raises(ApplicationError) as refused:
        register_person(id_number="110105194912310021", name="x")

    assert refused.value.code == "id_number_checksum"
    assert not InsuredPerson.objects.exists()


def test_contribution_amounts_come_from_the_province_figures(paying_person):
    record = ContributionRecord.objects.get(person=paying_person, period=202401)

    assert record.base == Decimal("12000.00")
    assert record.base_adjustment == BaseAdjustment.NONE
    assert (record.employer_rate, record.individual_rate) == (Decimal("0.1600"), Decimal("0.0800"))
    assert (record.employer_amount, record.individual_amount) == (Decimal("1920.00"), Decimal("960.00"))
    assert record.account_credit == Decimal("960.00")
    assert record.employer.code == EMPLOYER_CODE


@pytest.mark.parametrize(
    ("declared", "base", "adjustment"),
    [
        (Decimal("3000.00"), Decimal("6000.00"), BaseAdjustment.RAISED_TO_FLOOR),
        (Decimal("45000.00"), Decimal("30000.00"), BaseAdjustment.LOWERED_TO_CEILING),
        (Decimal("6000.00"), Decimal("6000.00"), BaseAdjustment.NONE),
    ],
)
def test_base_is_clamped_to_60_and_300_percent_and_the_clamp_is_visible(
    person, configured_years, employer, declared, base, adjustment
):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)

    (record,) = record_contributions(
        person=person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[ContributionMonth(period=202405, declared_base=declared, employer_code=EMPLOYER_CODE)],
    )

    assert (record.declared_base, record.base, record.base_adjustment) == (declared, base, adjustment)
    assert record.individual_amount == (base * Decimal("0.08")).quantize(Decimal("0.01"))


def test_flexible_worker_pays_twenty_percent_alone(person, configured_years):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)

    (record,) = record_contributions(
        person=person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[ContributionMonth(period=202401, declared_base=Decimal("10000.00"))],
    )

    assert (record.employer_amount, record.individual_amount, record.account_credit) == (
        Decimal("0.00"),
        Decimal("2000.00"),
        Decimal("800.00"),
    )


def test_each_pension_credit_is_in_the_ledger_with_its_record_and_the_interest(paying_person):
    open_relationship(
        person=paying_person, scheme=Scheme.EMPLOYEE_MEDICAL, province_id="11", opened_period=202401
    )
    record_contributions(
        person=paying_person,
        scheme=Scheme.EMPLOYEE_MEDICAL,
        province_id="11",
        months=[
            ContributionMonth(period=202401, declared_base=Decimal("12000"), employer_code=EMPLOYER_CODE)
        ],
    )
    year_end_interest(province_id="11", year=2024)
    pension = dict(
        ContributionRecord.objects.filter(person=paying_person, scheme=Scheme.EMPLOYEE_PENSION).values_list(
            "period", "pk"
        )
    )

    entries = LedgerEntry.objects.filter(person=paying_person).order_by("period", "kind")

    # Medical insurance has no personal account here: only the pension months and their interest.
    assert [(e.kind, e.amount, e.period, e.contribution_id) for e in entries] == [
        ("contribution", Decimal("960.00"), 202401, pension[202401]),
        ("contribution", Decimal("960.00"), 202402, pension[202402]),
        ("contribution", Decimal("960.00"), 202403, pension[202403]),
        ("interest", Decimal("62.88"), 202412, None),
    ]
    assert len({entry.pk for entry in entries}) == 4


def test_a_recorded_month_cannot_be_recorded_twice_and_nothing_is_written(paying_person):
    before = (ContributionRecord.objects.count(), LedgerEntry.objects.count())

    with pytest.raises(ApplicationError) as refused:
        record_contributions(
            person=paying_person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id="11",
            months=[
                ContributionMonth(period=202404, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE),
                ContributionMonth(period=202402, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE),
            ],
        )

    assert refused.value.code == "contribution_already_recorded"
    assert refused.value.fields == {"periods": ["202402"]}
    assert (ContributionRecord.objects.count(), LedgerEntry.objects.count()) == before


def test_the_database_refuses_a_duplicate_contribution_too(paying_person):
    record = ContributionRecord.objects.get(person=paying_person, period=202401)
    record.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


@pytest.mark.parametrize(
    ("months", "code"),
    [
        (
            [ContributionMonth(period=202201, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE)],
            "province_year_not_configured",
        ),
        (
            [ContributionMonth(period=203001, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE)],
            "period_in_future",
        ),
        (
            [
                ContributionMonth(
                    period=202401, declared_base=Decimal("9000"), employer_code="91350100M000100Y43"
                )
            ],
            "employer_not_found",
        ),
        (
            [ContributionMonth(period=202401, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE)]
            * 2,
            "duplicate_period",
        ),
        (
            [ContributionMonth(period=202401, declared_base=Decimal("0"), employer_code=EMPLOYER_CODE)],
            "base_invalid",
        ),
        ([], "contributions_empty"),
    ],
)
def test_refused_contributions_leave_nothing_written(person, configured_years, employer, months, code):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)

    with pytest.raises(ApplicationError) as refused:
        record_contributions(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", months=months)

    assert refused.value.code == code
    assert not ContributionRecord.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_contributions_need_an_open_relationship_in_the_province(person, configured_years, employer):
    with pytest.raises(ApplicationError) as refused:
        record_contributions(
            person=person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id="44",
            months=[
                ContributionMonth(period=202401, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE)
            ],
        )

    assert refused.value.code == "relationship_not_open"


def test_unemployment_insurance_needs_an_employer(person, configured_years):
    open_relationship(person=person, scheme=Scheme.UNEMPLOYMENT, province_id="11", opened_period=202401)

    with pytest.raises(ApplicationError) as refused:
        record_contributions(
            person=person,
            scheme=Scheme.UNEMPLOYMENT,
            province_id="11",
            months=[ContributionMonth(period=202401, declared_base=Decimal("9000"))],
        )

    assert refused.value.code == "employer_required"


@pytest.mark.parametrize("model", [ContributionRecord, AccountEntry])
def test_both_tables_of_the_ledger_are_append_only_in_the_database(paying_person, model):
    year_end_interest(province_id="11", year=2024)
    row = model.objects.filter(person=paying_person).first()
    amount_field = "account_credit" if model is ContributionRecord else "amount"
    before = getattr(row, amount_field)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{amount_field: Decimal("1.00")})
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()

    row.refresh_from_db()
    assert getattr(row, amount_field) == before


def test_a_contribution_credit_cannot_be_entered_as_a_plain_account_entry(paying_person):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(
            person=paying_person,
            province_id="11",
            kind=AccountEntryKind.CONTRIBUTION,
            amount=Decimal("960.00"),
            period=202404,
        )


def test_a_person_or_employer_with_contributions_cannot_be_deleted_even_in_sql(paying_person):
    employer = Employer.objects.get(code=EMPLOYER_CODE)

    # Contribution records have no foreign keys (an import writes millions): triggers guard the parents.
    with connection.cursor() as cursor:
        for table, pk in (("insurance_insuredperson", paying_person.pk), ("insurance_employer", employer.pk)):
            with pytest.raises(IntegrityError, match="has contribution records"), transaction.atomic():
                cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])

    assert InsuredPerson.objects.filter(pk=paying_person.pk).exists()
    assert Employer.objects.filter(pk=employer.pk).exists()


def test_yearly_interest_is_credited_once_with_months_left_in_the_year(paying_person):
    written = year_end_interest(province_id="11", year=2024)
    again = year_end_interest(province_id="11", year=2024)

    interest = AccountEntry.objects.get(person=paying_person, kind="interest")
    # 960 each, entered in months 1, 2, 3: earning 11, 10 and 9 twelfths of 2.62 %.
    expected = (Decimal("960") * (11 + 10 + 9) / 12 * Decimal("0.0262")).quantize(Decimal("0.01"))
    assert (written.entries, written.total, again.entries, again.total) == (1, expected, 0, Decimal("0"))
    assert (interest.amount, interest.period) == (expected, 202412)
    assert expected == Decimal("62.88")


def test_interest_on_the_opening_balance_earns_the_whole_year(paying_person):
    year_end_interest(province_id="11", year=2024)
    province_year_config_create(
        province_id="11",
        year=2025,
        average_monthly_wage=Decimal("11000"),
        account_interest_rate=Decimal("0.0200"),
    )

    year_end_interest(province_id="11", year=2025)

    opening = Decimal("2880.00") + Decimal("62.88")
    assert AccountEntry.objects.get(person=paying_person, kind="interest", period=202512).amount == (
        opening * Decimal("0.02")
    ).quantize(Decimal("0.01"))


def test_interest_needs_a_rate_published_for_the_year_or_before(paying_person):
    province_year_config_create(province_id="31", year=2024, average_monthly_wage=Decimal("11000"))

    with pytest.raises(ApplicationError) as refused:
        year_end_interest(province_id="31", year=2024)
    with pytest.raises(ApplicationError) as refused_earlier:
        year_end_interest(province_id="11", year=2022)

    assert refused.value.code == refused_earlier.value.code == "interest_rate_not_published"
    assert not AccountEntry.objects.filter(kind="interest").exists()
    assert not InterestRun.objects.exists()


def test_death_closes_open_relationships_in_the_month_of_death(paying_person):
    register_death(person=paying_person, date_of_death=datetime.date(2024, 5, 20))

    paying_person.refresh_from_db()
    relationship = paying_person.relationships.get()
    assert (paying_person.status, paying_person.date_of_death) == (
        PersonStatus.DECEASED,
        datetime.date(2024, 5, 20),
    )
    assert (relationship.status, relationship.closed_period) == (RelationshipStatus.CLOSED, 202405)


def test_death_twice_or_in_the_future_is_refused(person):
    with pytest.raises(ApplicationError) as future:
        register_death(person=person, date_of_death=timezone.localdate() + datetime.timedelta(days=2))
    register_death(person=person, date_of_death=datetime.date(2024, 5, 20))
    with pytest.raises(ApplicationError) as twice:
        register_death(person=person, date_of_death=datetime.date(2024, 6, 1))

    person.refresh_from_db()
    assert (future.value.code, twice.value.code) == ("date_of_death_invalid", "person_already_deceased")
    assert person.date_of_death == datetime.date(2024, 5, 20)


def test_death_before_an_open_relationship_was_opened_is_refused(paying_person):
    # Found by the schema fuzz test: closing the relationship before its opening month broke a constraint.
    with pytest.raises(ApplicationError) as refused:
        register_death(person=paying_person, date_of_death=datetime.date(2023, 12, 31))

    paying_person.refresh_from_db()
    relationship = paying_person.relationships.get()
    assert (refused.value.code, refused.value.status_code) == ("date_of_death_before_relationship", 400)
    assert (paying_person.status, paying_person.date_of_death) == (PersonStatus.ACTIVE, None)
    assert (relationship.status, relationship.closed_period) == (RelationshipStatus.PAYING, None)


def test_one_paying_relationship_per_scheme(person):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202001)

    with pytest.raises(ApplicationError) as refused:
        open_relationship(
            person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401
        )

    assert (refused.value.code, refused.value.fields) == (
        "relationship_paying_elsewhere",
        {"province": ["11"]},
    )
    assert InsuranceRelationship.objects.count() == 1


def test_older_worker_moving_away_from_hukou_gets_a_temporary_account():
    older_man = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1970, 1, 1)), name="赵六"
    )
    beijing = open_relationship(
        person=older_man, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=200001
    )
    relationship_suspend(relationship=beijing, period=202312, actor=TEST_ACTOR)

    guangdong = open_relationship(
        person=older_man, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401
    )

    assert guangdong.is_temporary_account is True


@pytest.mark.parametrize(("opened_period", "temporary"), [(202411, False), (202412, True)])
def test_temporary_account_age_counts_from_the_birth_month_not_the_birth_year(opened_period, temporary):
    # Born 1974-12: 49 until 2024-12, although 2024 - 1974 is already 50 in January.
    man = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1974, 12, 1)), name="钱七"
    )
    beijing = open_relationship(
        person=man, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=200001
    )
    relationship_suspend(relationship=beijing, period=202312, actor=TEST_ACTOR)

    guangdong = open_relationship(
        person=man, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=opened_period
    )

    assert guangdong.is_temporary_account is temporary


def test_approved_transfer_or_young_worker_opens_a_normal_relationship(person):
    beijing = open_relationship(
        person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=201001
    )
    relationship_suspend(relationship=beijing, period=202312, actor=TEST_ACTOR)

    guangdong = open_relationship(
        person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401
    )

    assert guangdong.is_temporary_account is False


def test_suspending_twice_is_refused(person):
    relationship = open_relationship(
        person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202001
    )
    relationship_suspend(relationship=relationship, period=202312, actor=TEST_ACTOR)

    with pytest.raises(ApplicationError) as refused:
        relationship_suspend(relationship=relationship, period=202401, actor=TEST_ACTOR)

    relationship.refresh_from_db()
    assert refused.value.code == "relationship_not_paying"
    assert relationship.closed_period == 202312


def test_interest_for_every_province_that_published_its_rate_in_one_call(paying_person, employer):
    mover = register_person(id_number=make_id_number(province="44", sequence=11), name="周八")
    open_relationship(person=mover, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401)
    record_contributions(
        person=mover,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="44",
        months=[ContributionMonth(period=202407, declared_base=Decimal("8000"), employer_code=EMPLOYER_CODE)],
    )

    written = year_end_interest(year=2024)

    interest = dict(AccountEntry.objects.filter(kind="interest").values_list("province_id", "amount"))
    # Guangdong: 640.00 credited in July earns 5 twelfths of 2.62 %.
    assert (written.province_id, written.entries) == (None, 2)
    assert interest == {
        "11": Decimal("62.88"),
        "44": (Decimal("640") * 5 / 12 * Decimal("0.0262")).quantize(Decimal("0.01")),
    }
    assert year_end_interest(year=2024).entries == 0


@pytest.mark.parametrize("name", ["a\u202eb", "张\u0007三", "李\u200b四"])
def test_names_with_control_or_direction_characters_are_refused(name):
    with pytest.raises(ApplicationError) as refused:
        register_person(id_number=make_id_number(sequence=40), name=name)

    assert refused.value.code == "name_invalid_characters"
    assert not InsuredPerson.objects.exists()


def test_full_width_periods_fold_to_ascii_and_other_scripts_digits_are_refused():
    assert period_parse("２０２４０１") == 202401
    with pytest.raises(ApplicationError) as refused:
        period_parse("٢٠٢٤٠١")
    assert refused.value.code == "period_format"
