from decimal import Decimal

import pytest

from insurance.models import (
    ContributionRecord,
    IdentityReadLog,
    InsuredPerson,
    ParticipationCertificate,
    Scheme,
)
from insurance.services.contributions import ContributionMonth
from tests.factories import (
    EMPLOYER_CODE,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

pytestmark = pytest.mark.django_db

CITIZEN_ENDPOINTS = [
    "/api/v1/me/profile",
    "/api/v1/me/relationships",
    "/api/v1/me/contributions",
    "/api/v1/me/contribution-years",
    "/api/v1/me/account",
    "/api/v1/me/account/entries",
    "/api/v1/me/retirement",
    "/api/v1/me/pension-estimate",
]


@pytest.fixture
def citizen(paying_person):
    return CitizenFactory(id_number=paying_person.id_number)


@pytest.fixture
def other_person(configured_years):
    other = register_person(id_number=make_id_number(province="44", sequence=7), name="陈七")
    open_relationship(person=other, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202001)
    return other


def test_citizen_profile_shows_the_masked_id(citizen, paying_person):
    response = authenticated_client(citizen).get("/api/v1/me/profile")

    number = paying_person.id_number
    assert response.status_code == 200
    assert response.json()["id_number"] == f"{number[:6]}********{number[14:]}"
    assert response.json()["name"] == "张三"
    assert number not in response.content.decode()


def test_citizen_contributions_filter_by_scheme_province_and_year(citizen):
    client = authenticated_client(citizen)

    all_2024 = client.get("/api/v1/me/contributions", {"year": 2024, "scheme": "EP", "province": "11"}).json()
    none_2023 = client.get("/api/v1/me/contributions", {"year": 2023}).json()

    assert [row["period"] for row in all_2024["results"]] == [202403, 202402, 202401]
    assert all_2024["results"][0]["individual_amount"] == "960.00"
    assert none_2023["results"] == []


def test_citizen_contribution_filters_are_validated(citizen):
    response = authenticated_client(citizen).get("/api/v1/me/contributions", {"scheme": "XX"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "scheme" in response.json()["error"]["fields"]


def test_citizen_contribution_years_and_account(citizen):
    client = authenticated_client(citizen)

    years = client.get("/api/v1/me/contribution-years").json()
    account = client.get("/api/v1/me/account").json()
    entries = client.get("/api/v1/me/account/entries").json()

    assert years == {
        "scheme": "EP",
        "by_province": [{"province": "11", "total_months": 3, "years": 0, "months": 3}],
        "total": {"total_months": 3, "years": 0, "months": 3},
    }
    assert account == {
        "scheme": "EP",
        "balance": "2880.00",
        "by_province": [{"province": "11", "balance": "2880.00"}],
        "temporary_accounts": [],
    }
    assert sum(Decimal(e["amount"]) for e in entries["results"]) == Decimal(account["balance"])


@pytest.mark.parametrize("path", CITIZEN_ENDPOINTS)
def test_citizen_without_a_record_gets_404_on_every_endpoint(path, paying_person):
    stranger = CitizenFactory(id_number=make_id_number(province="31", sequence=3))

    response = authenticated_client(stranger).get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", CITIZEN_ENDPOINTS)
def test_citizen_sees_only_their_own_records(path, citizen, paying_person, other_person):
    response = authenticated_client(citizen).get(path)

    assert response.status_code == 200
    assert "陈七" not in response.content.decode()
    assert other_person.id_number_masked not in response.content.decode()


@pytest.mark.parametrize("path", CITIZEN_ENDPOINTS)
@pytest.mark.parametrize("factory", [AgencyStaffFactory, ServicePointFactory])
def test_non_citizens_cannot_use_citizen_endpoints(path, factory, paying_person):
    response = authenticated_client(factory()).get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_is_refused_with_not_authenticated(client, paying_person):
    response = client.get("/api/v1/me/profile")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_staff_finds_a_person_by_exact_id_number_in_the_body_and_by_name(paying_person):
    client = authenticated_client(AgencyStaffFactory(province="11"))

    by_id = client.post("/api/v1/agency/persons/lookup", {"id_number": paying_person.id_number.lower()})
    by_name = client.get("/api/v1/agency/persons", {"name": "张"}).json()

    assert by_id.status_code == 200
    assert by_id.json()["id"] == paying_person.pk
    assert by_id.json()["id_number"] == paying_person.id_number_masked
    assert [p["id"] for p in by_name["results"]] == [paying_person.pk]


def test_search_needs_a_name(paying_person):
    response = authenticated_client(AgencyStaffFactory(province="11")).get("/api/v1/agency/persons")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["name"]


def test_lookup_refuses_an_invalid_id_number_with_its_code(paying_person):
    response = authenticated_client(AgencyStaffFactory(province="11")).post(
        "/api/v1/agency/persons/lookup", {"id_number": "110105194912310021"}
    )

    assert response.status_code == 400
    assert "id_number" in response.json()["error"]["fields"]


def test_staff_detail_shows_the_full_id_and_logs_the_read(paying_person):
    staff = AgencyStaffFactory(province="11")

    response = authenticated_client(staff).get(f"/api/v1/agency/persons/{paying_person.pk}")

    assert response.status_code == 200
    assert response.json()["id_number"] == paying_person.id_number
    log = IdentityReadLog.objects.get()
    assert (log.reader, log.person, log.endpoint) == (
        staff,
        paying_person,
        f"/api/v1/agency/persons/{paying_person.pk}",
    )


def _agency_paths(person_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", f"/api/v1/agency/persons/{person_id}", {}),
        ("get", f"/api/v1/agency/persons/{person_id}/contributions", {}),
        (
            "post",
            f"/api/v1/agency/persons/{person_id}/contributions",
            {
                "scheme": "EP",
                "months": [{"period": "202405", "base": "9000.00", "employer_code": EMPLOYER_CODE}],
            },
        ),
        ("post", f"/api/v1/agency/persons/{person_id}/death", {"date_of_death": "2024-05-01"}),
    ]


@pytest.mark.parametrize("index", range(4))
def test_staff_of_another_province_get_404_exactly_as_for_a_missing_person(index, paying_person):
    client = authenticated_client(AgencyStaffFactory(province="44"))
    method, path, body = _agency_paths(paying_person.pk)[index]
    _, missing_path, _ = _agency_paths(999_999)[index]

    out_of_scope = getattr(client, method)(path, body, format="json")
    missing = getattr(client, method)(missing_path, body, format="json")

    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert not IdentityReadLog.objects.exists()
    assert ContributionRecord.objects.count() == 3
    assert InsuredPerson.objects.get(pk=paying_person.pk).date_of_death is None


def test_staff_lookup_does_not_find_people_of_other_provinces(paying_person, other_person):
    client = authenticated_client(AgencyStaffFactory(province="44"))

    out_of_scope = client.post("/api/v1/agency/persons/lookup", {"id_number": paying_person.id_number})
    nobody = client.post("/api/v1/agency/persons/lookup", {"id_number": make_id_number(sequence=77)})

    assert out_of_scope.status_code == nobody.status_code == 404
    assert out_of_scope.json() == nobody.json()
    assert out_of_scope.json()["error"]["code"] == "person_not_found"


def test_agency_system_records_contributions_in_its_own_province(paying_person):
    client = authenticated_client(AgencySystemFactory(province="11"))

    response = client.post(
        f"/api/v1/agency/persons/{paying_person.pk}/contributions",
        {
            "scheme": "EP",
            "months": [
                {"period": "202404", "base": "3000.00", "employer_code": EMPLOYER_CODE},
                {"period": "202405", "base": "12000.00", "employer_code": EMPLOYER_CODE},
            ],
        },
        format="json",
    )

    assert response.status_code == 201
    assert [(r["period"], r["base"], r["base_adjustment"], r["province"]) for r in response.json()] == [
        (202404, "6000.00", "raised_to_floor", "11"),
        (202405, "12000.00", "none", "11"),
    ]


def test_amounts_sent_by_the_client_are_ignored(paying_person):
    client = authenticated_client(AgencyStaffFactory(province="11"))

    client.post(
        f"/api/v1/agency/persons/{paying_person.pk}/contributions",
        {
            "scheme": "EP",
            "months": [
                {
                    "period": "202404",
                    "base": "10000.00",
                    "employer_code": EMPLOYER_CODE,
                    "individual_amount": "1.00",
                }
            ],
        },
        format="json",
    )

    assert ContributionRecord.objects.get(period=202404).individual_amount == Decimal("800.00")


@pytest.mark.usefixtures("english")
def test_recording_a_month_twice_answers_409_and_writes_nothing(paying_person):
    client = authenticated_client(AgencyStaffFactory(province="11"))

    response = client.post(
        f"/api/v1/agency/persons/{paying_person.pk}/contributions",
        {
            "scheme": "EP",
            "months": [
                {"period": "202404", "base": "10000.00", "employer_code": EMPLOYER_CODE},
                {"period": "202401", "base": "10000.00", "employer_code": EMPLOYER_CODE},
            ],
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "contribution_already_recorded",
        "message": "The month 202401 is already recorded.",
        "fields": {"periods": ["202401"]},
    }
    assert ContributionRecord.objects.count() == 3


def test_staff_register_a_death(paying_person):
    client = authenticated_client(AgencyStaffFactory(province="11"))

    response = client.post(
        f"/api/v1/agency/persons/{paying_person.pk}/death", {"date_of_death": "2024-06-30"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["date_of_death"]) == ("deceased", "2024-06-30")


@pytest.mark.parametrize("factory", [CitizenFactory, ServicePointFactory])
def test_non_agency_users_cannot_use_agency_endpoints(factory, paying_person):
    response = authenticated_client(factory()).get(f"/api/v1/agency/persons/{paying_person.pk}")

    assert response.status_code == 403


def test_unknown_birth_dates_in_search_do_not_crash(paying_person):
    response = authenticated_client(AgencyStaffFactory(province="11")).get(
        "/api/v1/agency/persons", {"name": "张", "hukou_province": "99", "status": "active"}
    )

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_certificate_needs_the_citizens_own_record(paying_person):
    stranger = CitizenFactory(id_number=make_id_number(province="31", sequence=3))

    response = authenticated_client(stranger).post("/api/v1/me/certificates")

    assert response.status_code == 404
    assert not ParticipationCertificate.objects.exists()


def test_contribution_rows_show_the_employers_code_or_none(citizen, paying_person):
    record_contributions(
        person=paying_person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[ContributionMonth(period=202404, declared_base=Decimal("12000.00"))],
    )

    rows = authenticated_client(citizen).get("/api/v1/me/contributions").json()["results"]

    assert [(row["period"], row["employer_code"]) for row in rows] == [
        (202404, None),
        (202403, EMPLOYER_CODE),
        (202402, EMPLOYER_CODE),
        (202401, EMPLOYER_CODE),
    ]


# The reads that run most, in their fewest queries: the token with its user, the person in scope, then
# the page (a contribution list) or the access log row (an agency detail: one statement, no transaction).
@pytest.mark.parametrize(("path", "queries"), [("/api/v1/me/profile", 2), ("/api/v1/me/contributions", 3)])
def test_citizen_reads_take_their_fewest_queries(path, queries, citizen, django_assert_num_queries):
    client = authenticated_client(citizen)

    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_agency_person_detail_takes_three_queries(paying_person, django_assert_num_queries):
    client = authenticated_client(AgencyStaffFactory(province="11"))

    with django_assert_num_queries(3):
        assert client.get(f"/api/v1/agency/persons/{paying_person.pk}").status_code == 200
