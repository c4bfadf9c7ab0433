"""The agency API of issue 12 (R5) and the ID number kept out of URLs (issue 11, R4): look-up by ID number
in a body, employer look-up, a person's accounts and contribution years, name search by exact name,
prefix or any part (served by the bigram index), month ranges and client-chosen page sizes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from accounts.scope import Scope
from insurance import selectors
from insurance.models import Employer, IdentityReadLog, LedgerEntry, Scheme, name_bigrams
from insurance.services.contributions import ContributionMonth
from tests.factories import (
    EMPLOYER_CODE,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

pytestmark = pytest.mark.django_db

PERSONS = "/api/v1/agency/persons"
LOOKUP = "/api/v1/agency/persons/lookup"
PENSION = Scheme.EMPLOYEE_PENSION


@pytest.fixture
def beijing_staff():
    return authenticated_client(AgencyStaffFactory(province="11"))


def test_an_id_number_in_the_search_url_is_refused_with_where_to_send_it(beijing_staff, paying_person):
    response = beijing_staff.get(PERSONS, {"id_number": paying_person.id_number, "name": "张"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "id_number_in_url"
    assert "POST /api/v1/agency/persons/lookup" in error["message"]
    assert list(error["fields"]) == ["id_number"]
    # Refused whatever the value: even one that is no ID number is not looked at.
    assert beijing_staff.get(PERSONS, {"id_number": "x"}).json()["error"]["code"] == "id_number_in_url"


def test_lookup_by_id_number_finds_full_width_input_and_reveals_nothing(beijing_staff, paying_person):
    full_width = paying_person.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))

    response = beijing_staff.post(LOOKUP, {"id_number": full_width})

    assert response.status_code == 200
    assert response.json()["id"] == paying_person.pk
    assert response.json()["id_number"] == paying_person.id_number_masked
    assert not IdentityReadLog.objects.exists()  # a masked answer is no read of the full number


def test_lookup_takes_only_a_body(beijing_staff, paying_person):
    assert beijing_staff.get(LOOKUP, {"id_number": paying_person.id_number}).status_code == 405
    assert beijing_staff.post(LOOKUP, {}).json()["error"]["fields"].keys() == {"id_number"}


@pytest.fixture
def named_people(configured_years):
    """Beijing people with names to search, and one insured in Guangdong only."""
    people = {}
    for sequence, name in enumerate(["王小明", "王小", "小明", "李明华", "欧阳明月", "张三丰"], start=1):
        person = register_person(id_number=make_id_number(sequence=sequence), name=name)
        open_relationship(
            person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401
        )
        people[name] = person
    elsewhere = register_person(id_number=make_id_number(province="44", sequence=9), name="王小明")
    open_relationship(
        person=elsewhere, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401
    )
    return people


def _names(client, **query) -> list[str]:
    response = client.get(PERSONS, query)
    assert response.status_code == 200, response.json()
    return [person["name"] for person in response.json()["results"]]


def test_name_search_by_exact_name_prefix_and_any_part(beijing_staff, named_people):
    assert _names(beijing_staff, name="王小", match="exact") == ["王小"]
    assert _names(beijing_staff, name="王小") == ["王小", "王小明"]  # prefix, the default
    assert _names(beijing_staff, name="小明", match="contains") == ["小明", "王小明"]
    assert _names(beijing_staff, name="明", match="prefix") == []
    assert _names(beijing_staff, name="明月", match="contains") == ["欧阳明月"]
    assert _names(beijing_staff, name="阳明月", match="contains") == ["欧阳明月"]
    # Every bigram present, but not side by side in this order: no match.
    assert _names(beijing_staff, name="明华李", match="contains") == []
    assert _names(beijing_staff, name="小王", match="contains") == []


def test_a_part_of_a_name_takes_two_characters(beijing_staff, named_people):
    response = beijing_staff.get(PERSONS, {"name": "明", "match": "contains"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["name"]


def test_search_by_a_part_of_a_name_is_served_by_the_bigram_index(named_people):
    """The search filters by the index's own expression, and that expression is served by the GIN index.
    On these few rows the planner may well reach the person through another index of the scope's join, so
    the plan of the whole search says nothing; on a large table the bigram index is chosen by cost (see
    bench/name_search_bench.py)."""
    scope = Scope.of(AgencyStaffFactory(province="11"))
    query = selectors.persons_search(scope=scope, name="小明", match="contains")
    sql, _params = query.query.sql_with_params()
    assert 'insurance_name_bigrams("insurance_insuredperson"."name") @>' in sql
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insurance_insuredperson")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM insurance_insuredperson WHERE insurance_name_bigrams(name) @> %s",
            [name_bigrams("小明")],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "person_name_bigrams" in plan
    assert sorted(person.name for person in query) == ["小明", "王小明"]


def test_the_database_splits_names_into_the_bigrams_python_computes(named_people):
    with connection.cursor() as cursor:
        for name in ["王小明", "欧阳明月", "王", "𠮷野家", "王王王"]:
            cursor.execute("SELECT insurance_name_bigrams(%s)", [name])
            assert sorted(cursor.fetchone()[0]) == name_bigrams(name), name


def test_contributions_filter_by_a_range_of_months(beijing_staff, paying_person):
    path = f"{PERSONS}/{paying_person.pk}/contributions"

    def periods(**query) -> list[int]:
        response = beijing_staff.get(path, query)
        assert response.status_code == 200, response.json()
        return [row["period"] for row in response.json()["results"]]

    assert periods(period_from="202402") == [202403, 202402]
    assert periods(period_to="202402") == [202402, 202401]
    assert periods(period_from="202402", period_to="202402") == [202402]
    assert periods(period_from="202404") == []


@pytest.mark.parametrize(
    "query",
    [{"period_from": "202403", "period_to": "202401"}, {"period_from": "202413"}, {"period_to": "2024-1"}],
)
def test_a_month_range_that_is_no_range_is_refused(beijing_staff, paying_person, query):
    response = beijing_staff.get(f"{PERSONS}/{paying_person.pk}/contributions", query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_client_chooses_the_page_size_and_pages_follow_it(beijing_staff, paying_person):
    path = f"{PERSONS}/{paying_person.pk}/contributions"

    first = beijing_staff.get(path, {"page_size": 2}).json()
    second = beijing_staff.get(first["next"]).json()

    assert [row["period"] for row in first["results"]] == [202403, 202402]
    assert [row["period"] for row in second["results"]] == [202401]
    assert second["next"] is None
    assert len(beijing_staff.get(PERSONS, {"name": "张", "page_size": 1}).json()["results"]) == 1


@pytest.mark.parametrize("size", ["0", "201", "-1", "two", "２"])
def test_a_page_size_out_of_bounds_is_refused(beijing_staff, paying_person, size):
    response = beijing_staff.get(f"{PERSONS}/{paying_person.pk}/contributions", {"page_size": size})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["page_size"]


def test_staff_see_a_persons_accounts_per_scheme_and_province(beijing_staff, paying_person):
    response = beijing_staff.get(f"{PERSONS}/{paying_person.pk}/accounts")

    assert response.status_code == 200
    credits = LedgerEntry.objects.filter(person=paying_person, scheme=Scheme.EMPLOYEE_PENSION)
    pension = str(sum((entry.amount for entry in credits), Decimal("0.00")))
    assert Decimal(pension) > 0
    assert response.json() == {
        "accounts": [
            {
                "scheme": "EP",
                "balance": str(pension),
                "by_province": [{"province": "11", "balance": str(pension)}],
                "temporary_accounts": [],
            },
            {"scheme": "EM", "balance": "0.00", "by_province": [], "temporary_accounts": []},
        ]
    }


def test_staff_see_a_persons_contribution_years(beijing_staff, paying_person):
    record_contributions(
        person=paying_person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[
            ContributionMonth(period=202404, declared_base=Decimal("12000.00"), employer_code=EMPLOYER_CODE)
        ],
    )

    response = beijing_staff.get(f"{PERSONS}/{paying_person.pk}/contribution-years")

    assert response.status_code == 200
    assert response.json() == {
        "scheme": "EP",
        "by_province": [{"province": "11", "total_months": 4, "years": 0, "months": 4}],
        "total": {"total_months": 4, "years": 0, "months": 4},
    }


@pytest.mark.parametrize("suffix", ["accounts", "contribution-years"])
def test_a_person_outside_the_province_is_answered_as_a_missing_one(paying_person, suffix):
    guangdong = authenticated_client(AgencyStaffFactory(province="44"))

    out_of_scope = guangdong.get(f"{PERSONS}/{paying_person.pk}/{suffix}")
    missing = guangdong.get(f"{PERSONS}/999999/{suffix}")

    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()


def test_staff_look_up_an_employer_registered_in_any_province(employer):
    guangdong = authenticated_client(AgencyStaffFactory(province="44"))

    response = guangdong.get(f"/api/v1/agency/employers/{EMPLOYER_CODE.lower()}")

    assert response.status_code == 200
    assert response.json() == {"code": EMPLOYER_CODE, "name": "Example Co.", "province": "11"}


def test_an_employer_code_is_checked_before_it_is_looked_up(beijing_staff, employer):
    typo = EMPLOYER_CODE[:-1] + ("0" if EMPLOYER_CODE[-1] != "0" else "1")

    assert beijing_staff.get(f"/api/v1/agency/employers/{typo}").json()["error"]["code"] == (
        "employer_code_checksum"
    )
    assert beijing_staff.get("/api/v1/agency/employers/123").json()["error"]["code"] == "employer_code_format"
    Employer.objects.all().delete()
    missing = beijing_staff.get(f"/api/v1/agency/employers/{EMPLOYER_CODE}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_citizens_cannot_use_the_new_agency_endpoints(paying_person):
    citizen = authenticated_client(CitizenFactory(id_number=paying_person.id_number))
    for response in (
        citizen.post(LOOKUP, {"id_number": paying_person.id_number}),
        citizen.get(f"{PERSONS}/{paying_person.pk}/accounts"),
        citizen.get(f"{PERSONS}/{paying_person.pk}/contribution-years"),
        citizen.get(f"/api/v1/agency/employers/{EMPLOYER_CODE}"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
