"""The admin as a back office: agency staff sign in, see and change only their province, and do only what
their role's group allows; administrators work through their group's permissions, not as superusers."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client

from accounts.admin_scope import ProvinceScopedAdmin
from accounts.models import User
from accounts.roles import PROVINCIAL_SUPERVISORS
from accounts.services import administrator_create, agency_staff_create, citizen_create
from core.states import Actor
from imports.models import ImportJob
from insurance.models import (
    AccountCorrection,
    ContributionRecord,
    CorrectionStatus,
    InsuranceRelationship,
    InsuredPerson,
    RelationshipStatus,
    Scheme,
)
from insurance.services.accounts import account_correction_propose
from insurance.services.contributions import ContributionMonth
from tests.factories import (
    EMPLOYER_CODE,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-42"
BEIJING, GUANGDONG = "11", "44"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_provinces(configured_years, employer):
    """A person insured in Beijing and one in Guangdong, each with a contribution, a correction proposed
    by a national administrator, and an import job of their province."""
    people = {}
    nation = administrator_create(username="nation", password=PASSWORD)
    for province, name, day in ((BEIJING, "北京人", 1), (GUANGDONG, "广东人", 2)):
        person = register_person(
            id_number=make_id_number(province=province, birth_date=datetime.date(1980, 1, day)), name=name
        )
        open_relationship(
            person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id=province, opened_period=202401
        )
        record_contributions(
            person=person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id=province,
            months=[
                ContributionMonth(
                    period=202401,
                    declared_base=Decimal("9000.00"),
                    employer_code=EMPLOYER_CODE if province == BEIJING else None,
                )
            ],
        )
        account_correction_propose(
            person=person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id=province,
            amount=Decimal("10.00"),
            period=202401,
            reason="test",
            proposed_by=Actor.admin(nation),
        )
        ImportJob.objects.create(
            kind="persons",
            province_id=province,
            uploaded_by=nation,
            file_name=f"{province}.csv",
            file_sha256=province * 32,
        )
        people[province] = person
    return people


@pytest.fixture
def clerk() -> User:
    return agency_staff_create(username="clerk.bj", password=PASSWORD, province_code=BEIJING)


@pytest.fixture
def supervisor() -> User:
    user = agency_staff_create(username="supervisor.bj", password=PASSWORD, province_code=BEIJING)
    user.groups.set(user.groups.model.objects.filter(name=PROVINCIAL_SUPERVISORS))
    return user


@pytest.fixture
def nation_admin() -> User:
    return User.objects.get(username="nation")


def listed(client: Client, url: str, **query) -> set[int]:
    response = client.get(url, query)
    assert response.status_code == 200, url
    return {row.pk for row in response.context["cl"].result_list}


def of_province(model, province: str) -> set[int]:
    return set(model.objects.filter(province_id=province).values_list("pk", flat=True))


CHANGELISTS = [
    ("/admin/insurance/insurancerelationship/", InsuranceRelationship),
    ("/admin/insurance/contributionrecord/", ContributionRecord),
    ("/admin/insurance/accountcorrection/", AccountCorrection),
    ("/admin/imports/importjob/", ImportJob),
]


def test_every_admin_of_a_province_or_person_table_applies_the_scope():
    unscoped = []
    for model, model_admin in admin.site._registry.items():
        names = {field.name for field in model._meta.get_fields()}
        if not ({"province", "person"} & names or model is InsuredPerson):
            continue
        scoped = isinstance(model_admin, ProvinceScopedAdmin) and (
            model_admin.scope_province_field is not None or model_admin.scope_person_field is not None
        )
        if not scoped:
            unscoped.append(model.__name__)
    assert unscoped == []


def test_agency_staff_sign_in_to_the_admin_with_their_role_only(clerk):
    client = Client()
    assert client.post("/admin/login/", {"username": "clerk.bj", "password": PASSWORD}).status_code == 302

    index = client.get("/admin/")

    assert index.status_code == 200
    models = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert {"InsuredPerson", "InsuranceRelationship", "ContributionRecord", "ImportJob"} <= models
    assert not {"User", "AuthToken", "Group", "PeriodicTask"} & models
    assert client.get("/admin/accounts/user/").status_code == 403


@pytest.mark.parametrize(("url", "model"), CHANGELISTS)
def test_a_clerk_lists_only_their_provinces_rows(two_provinces, clerk, nation_admin, url, model):
    assert listed(signed_in(clerk), url) == of_province(model, BEIJING) != set()
    assert listed(signed_in(nation_admin), url) == set(model.objects.values_list("pk", flat=True))


def test_a_clerk_lists_only_the_people_insured_in_their_province(two_provinces, clerk):
    client = signed_in(clerk)

    assert listed(client, "/admin/insurance/insuredperson/") == {two_provinces[BEIJING].pk}
    # The other province's filter choice leads to nothing either.
    assert listed(client, "/admin/insurance/insuredperson/", hukou_province__code__exact=GUANGDONG) == set()


def test_a_clerk_searching_another_provinces_id_number_finds_nothing(two_provinces, clerk):
    client = signed_in(clerk)
    guangdong, beijing = two_provinces[GUANGDONG], two_provinces[BEIJING]

    assert listed(client, "/admin/insurance/insuredperson/", q=guangdong.id_number) == set()
    assert listed(client, "/admin/insurance/insuredperson/", q=beijing.id_number) == {beijing.pk}
    assert listed(client, "/admin/insurance/contributionrecord/", q=guangdong.id_number) == set()


@pytest.mark.parametrize(
    "page",
    ["change", "history", "id-number", "delete"],
)
def test_a_clerk_cannot_open_another_provinces_person(two_provinces, clerk, page):
    guangdong = two_provinces[GUANGDONG]

    response = signed_in(clerk).get(f"/admin/insurance/insuredperson/{guangdong.pk}/{page}/")

    # The admin answers a row outside the scope as a missing one (a redirect to the index, or 404/403).
    assert response.status_code in (302, 403, 404)
    assert "广东人" not in response.content.decode()


@pytest.mark.parametrize(("url", "model"), CHANGELISTS)
def test_a_clerk_cannot_open_another_provinces_row(two_provinces, clerk, url, model):
    (other,) = of_province(model, GUANGDONG)
    (own,) = of_province(model, BEIJING)
    client = signed_in(clerk)

    assert client.get(f"{url}{own}/change/").status_code == 200
    assert client.get(f"{url}{other}/change/").status_code == 302


def test_a_clerk_corrects_their_own_persons_contact_details_and_not_the_others(two_provinces, clerk):
    client = signed_in(clerk)
    beijing, guangdong = two_provinces[BEIJING], two_provinces[GUANGDONG]
    form = {"name": "改名", "hukou_province": "11", "residence_province": "", "phone": "13800000000"}

    assert client.post(f"/admin/insurance/insuredperson/{beijing.pk}/change/", form).status_code == 302
    client.post(f"/admin/insurance/insuredperson/{guangdong.pk}/change/", {**form, "hukou_province": "44"})

    beijing.refresh_from_db()
    guangdong.refresh_from_db()
    assert (beijing.name, beijing.phone) == ("改名", "13800000000")
    assert (guangdong.name, guangdong.phone) == ("广东人", "")


def _run_action(client: Client, url: str, action: str, pks) -> None:
    client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks]})


def test_a_clerks_actions_reach_only_their_provinces_rows(two_provinces, clerk):
    client = signed_in(clerk)
    relationships = InsuranceRelationship.objects.order_by("province_id")

    _run_action(
        client, "/admin/insurance/insurancerelationship/", "suspend_this_month", [r.pk for r in relationships]
    )

    statuses = dict(relationships.values_list("province_id", "status"))
    assert statuses == {BEIJING: RelationshipStatus.SUSPENDED, GUANGDONG: RelationshipStatus.PAYING}


def test_only_a_supervisor_approves_corrections_and_only_in_their_province(two_provinces, clerk, supervisor):
    url = "/admin/insurance/accountcorrection/"
    every = list(AccountCorrection.objects.values_list("pk", flat=True))

    # A clerk is offered no action here (nor the bulk delete: nobody deletes corrections).
    assert signed_in(clerk).get(url).context["action_form"] is None
    _run_action(signed_in(clerk), url, "approve_corrections", every)
    assert set(AccountCorrection.objects.values_list("status", flat=True)) == {CorrectionStatus.PROPOSED}

    _run_action(signed_in(supervisor), url, "approve_corrections", every)

    statuses = dict(AccountCorrection.objects.values_list("province_id", "status"))
    assert statuses == {BEIJING: CorrectionStatus.APPROVED, GUANGDONG: CorrectionStatus.PROPOSED}


def test_a_clerk_may_not_enrol_anyone_in_another_province(two_provinces, clerk):
    person = register_person(
        id_number=make_id_number(province=BEIJING, birth_date=datetime.date(1990, 5, 5)), name="新人"
    )
    url = "/admin/insurance/insurancerelationship/add/"
    form = {"person": person.pk, "scheme": Scheme.EMPLOYEE_PENSION, "opened_period": "202402"}

    refused = signed_in(clerk).post(url, {**form, "province": GUANGDONG})

    assert refused.status_code == 200
    assert "province" in refused.context["adminform"].form.errors
    assert not InsuranceRelationship.objects.filter(person=person).exists()
    # A person insured nowhere yet may be enrolled in the clerk's own province.
    assert signed_in(clerk).post(url, {**form, "province": BEIJING}).status_code == 302
    assert InsuranceRelationship.objects.get(person=person).province_id == BEIJING


def test_a_clerk_cannot_pick_another_provinces_person_on_a_form(two_provinces, clerk):
    guangdong = two_provinces[GUANGDONG]
    form = {"person": guangdong.pk, "scheme": Scheme.EMPLOYEE_PENSION, "province": BEIJING}

    response = signed_in(clerk).post(
        "/admin/insurance/accountcorrection/add/",
        {**form, "amount": "5.00", "period": "202401", "reason": "x"},
    )

    assert response.status_code == 200
    assert "person" in response.context["adminform"].form.errors
    assert AccountCorrection.objects.filter(person=guangdong).count() == 1


def test_autocomplete_offers_a_clerk_only_the_people_they_may_see(two_provinces, clerk, nation_admin):
    query = {
        "app_label": "insurance",
        "model_name": "insurancerelationship",
        "field_name": "person",
        "term": "",
    }

    def offered(user):
        response = signed_in(user).get("/admin/autocomplete/", query)
        assert response.status_code == 200
        return {int(result["id"]) for result in response.json()["results"]}

    assert offered(clerk) == {two_provinces[BEIJING].pk}
    assert offered(nation_admin) == {two_provinces[BEIJING].pk, two_provinces[GUANGDONG].pk}


def test_a_national_administrator_is_not_a_superuser_yet_manages_accounts(two_provinces, nation_admin):
    client = signed_in(nation_admin)

    assert not nation_admin.is_superuser
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
    assert listed(client, "/admin/insurance/insuredperson/") == {p.pk for p in two_provinces.values()}


def test_a_staff_accounts_groups_are_limited_to_its_roles_own(two_provinces, clerk, nation_admin):
    form = signed_in(nation_admin).get(f"/admin/accounts/user/{clerk.pk}/change/").context["adminform"].form

    assert {group.name for group in form.fields["groups"].queryset} == {
        "Provincial clerks",
        PROVINCIAL_SUPERVISORS,
    }


def test_citizens_never_become_staff(db):
    citizen = citizen_create(username="citizen", password=PASSWORD, id_number=make_id_number())

    assert (citizen.is_staff, citizen.is_superuser, citizen.groups.count()) == (False, False, 0)


def test_the_view_site_link_leads_to_the_api_documentation(clerk):
    page = signed_in(clerk).get("/admin/").content.decode()

    assert 'href="/api/docs/"' in page
    assert Client().get("/api/docs/").status_code == 200


def test_a_national_administrator_opens_every_admin_page_and_a_clerk_every_certification_page(db):
    """The roles' permissions come from data migrations, each of which can grant only the tables that exist
    by then: a table added later without a grant of its own would be closed to everyone."""
    nation = signed_in(administrator_create(username="nation", password=PASSWORD))
    clerk = signed_in(agency_staff_create(username="clerk", password=PASSWORD, province_code=BEIJING))
    closed = [
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in admin.site._registry
        if nation.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/").status_code != 200
    ]
    closed_to_clerk = [
        model._meta.model_name
        for model in admin.site._registry
        if model._meta.app_label == "certification"
        and clerk.get(f"/admin/certification/{model._meta.model_name}/").status_code != 200
    ]

    assert closed == []
    assert closed_to_clerk == []
