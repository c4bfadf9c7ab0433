"""Pages of a person's contributions (insurance.apis.NewestContributionsFirst, selectors.contribution_page):
their rows as DRF would render them, cursor links that walk every record exactly once in both directions,
filters, refusals, and the index that serves them in order."""

from decimal import Decimal

import pytest
from django.db import connection

from insurance import selectors
from insurance.apis import NewestContributionsFirst
from insurance.models import ContributionRecord, Scheme
from insurance.serializers import ContributionSerializer
from insurance.services.contributions import ContributionMonth
from tests.factories import (
    EMPLOYER_CODE,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
    open_relationship,
    record_contributions,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(paying_person):
    return CitizenFactory(id_number=paying_person.id_number)


@pytest.fixture
def two_years_two_schemes(paying_person):
    """Pension for 2023-2024 and medical for 2024, in Beijing: 36 records, 12 periods held twice."""
    open_relationship(
        person=paying_person, scheme=Scheme.EMPLOYEE_MEDICAL, province_id="11", opened_period=202401
    )
    for scheme, years in ((Scheme.EMPLOYEE_PENSION, (2023, 2024)), (Scheme.EMPLOYEE_MEDICAL, (2024,))):
        already = {202401, 202402, 202403} if scheme == Scheme.EMPLOYEE_PENSION else set()
        record_contributions(
            person=paying_person,
            scheme=scheme,
            province_id="11",
            months=[
                ContributionMonth(period=year * 100 + month, declared_base=Decimal("9000.00"))
                for year in years
                for month in range(1, 13)
                if year * 100 + month not in already
            ],
        )
    return paying_person


def newest_first(person) -> list[tuple[int, str]]:
    records = ContributionRecord.objects.filter(person=person).order_by("-period", "-id")
    return list(records.values_list("period", "scheme"))


def walk(client, url, direction):
    """Every page from `url` on, following `direction` ("next" or "previous")."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        url = pages[-1][direction]
    return pages


def test_rows_are_what_drf_would_render_from_the_record(citizen, paying_person):
    (row,) = (
        authenticated_client(citizen).get("/api/v1/me/contributions", {"year": 2024}).json()["results"][:1]
    )
    record = ContributionRecord.objects.select_related("employer").get(
        person=paying_person, period=row["period"]
    )

    fields = ContributionSerializer().fields
    values = {name: getattr(record, name) for name in fields if name not in {"province", "employer_code"}}
    values |= {"province": record.province_id, "employer_code": EMPLOYER_CODE}
    assert row == {name: fields[name].to_representation(value) for name, value in values.items()}
    assert row["base"] == "12000.00" and row["employer_rate"] == "0.1600"


def test_next_links_walk_every_record_once_and_previous_links_walk_back(
    citizen, two_years_two_schemes, monkeypatch
):
    monkeypatch.setattr(NewestContributionsFirst, "page_size", 5)
    client = authenticated_client(citizen)

    forward = walk(client, "/api/v1/me/contributions", "next")
    shown = [(row["period"], row["scheme"]) for page in forward for row in page["results"]]
    assert shown == newest_first(two_years_two_schemes)
    assert [len(page["results"]) for page in forward] == [5] * 7 + [1]
    assert forward[0]["previous"] is None and forward[-1]["next"] is None

    backward = walk(client, forward[-1]["previous"], "previous")
    assert [page["results"] for page in backward] == [page["results"] for page in reversed(forward[:-1])]
    # From a page reached backwards, "next" goes forwards again.
    assert client.get(backward[0]["next"]).json()["results"] == forward[-1]["results"]


def test_filters_apply_to_every_page(citizen, two_years_two_schemes, monkeypatch):
    monkeypatch.setattr(NewestContributionsFirst, "page_size", 5)

    pages = walk(authenticated_client(citizen), "/api/v1/me/contributions?year=2024&scheme=EM", "next")

    shown = [row["period"] for page in pages for row in page["results"]]
    assert shown == list(range(202412, 202400, -1))
    assert all("year=2024" in page["next"] and "scheme=EM" in page["next"] for page in pages[:-1])


def test_a_record_added_between_pages_does_not_shift_the_next_page(
    citizen, two_years_two_schemes, monkeypatch
):
    monkeypatch.setattr(NewestContributionsFirst, "page_size", 5)
    client = authenticated_client(citizen)
    first = client.get("/api/v1/me/contributions").json()
    expected_next = client.get(first["next"]).json()["results"]

    # Recorded late, for a month the first page already shows: it comes before the cursor's position.
    open_relationship(
        person=two_years_two_schemes, scheme=Scheme.UNEMPLOYMENT, province_id="11", opened_period=202412
    )
    record_contributions(
        person=two_years_two_schemes,
        scheme=Scheme.UNEMPLOYMENT,
        province_id="11",
        months=[
            ContributionMonth(period=202412, declared_base=Decimal("9000.00"), employer_code=EMPLOYER_CODE)
        ],
    )

    assert client.get(first["next"]).json()["results"] == expected_next


def test_agency_staff_page_the_same_way(paying_person):
    client = authenticated_client(AgencyStaffFactory(province="11"))

    page = client.get(f"/api/v1/agency/persons/{paying_person.pk}/contributions").json()

    assert [row["period"] for row in page["results"]] == [202403, 202402, 202401]
    assert page["next"] is None and page["previous"] is None


@pytest.mark.parametrize("cursor", ["not-base64!", "cD1hYmM=", "bz0zJnA9MjAyNDAzLjE=", "cj0x"])
def test_a_cursor_that_was_not_issued_is_refused(citizen, cursor):
    # "p=abc"; "o=3&p=202403.1" (an offset: never issued here); "r=1" (no position)
    response = authenticated_client(citizen).get("/api/v1/me/contributions", {"cursor": cursor})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_newest_page_reads_the_unique_key_backwards(paying_person):
    sql, params = selectors.contribution_page_query(person=paying_person, limit=51)
    with connection.cursor() as cursor:
        # A three-row table would be read whole whatever the indexes: ask what the index can do.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Backwards only because the index's order is the page's (period first after the person).
    assert "Index Scan Backward using one_contribution_per_period" in plan, plan
