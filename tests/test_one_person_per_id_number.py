"""One person is never registered twice through different spellings of the same ID number, on any entry
point: API registration, enrolment, import of persons, import of contributions, and the admin. And an
amount takes full-width digits but no other script's (core.money.amount_text), on the API and in files."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.crypto import keyed_hash
from imports.services import import_job_run, import_upload
from insurance.models import ContributionRecord, InsuranceRelationship, InsuredPerson
from tests.factories import (
    EMPLOYER_CODE,
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    authenticated_client,
    register_person,
)

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
SPELLINGS = [
    ID,
    ID.lower(),  # lower-case x
    ID.translate(FULL_WIDTH),  # full-width digits and Ｘ, from a Chinese input method
    ID.translate(FULL_WIDTH).lower(),  # full-width ｘ
    f"  {ID}  ",  # surrounding spaces
    f"\u3000{ID.lower()}\u00a0",  # ideographic and no-break spaces around
]


def only_one_person() -> InsuredPerson:
    (person,) = InsuredPerson.objects.all()
    assert person.id_number_hash == keyed_hash(ID)
    return person


def import_file(user, kind: str, lines: list[str]):
    job, _ = import_upload(
        user=user,
        kind=kind,
        province_id="11",
        uploaded=SimpleUploadedFile(f"{kind}.csv", ("\n".join(lines) + "\n").encode()),
        enqueue=False,
    )
    return import_job_run(job_id=job.pk)


def test_api_registration(db):
    client = authenticated_client(AgencyStaffFactory(province="11"))
    statuses = [
        client.post("/api/v1/agency/registrations", {"id_number": spelling, "name": "王五"}).status_code
        for spelling in SPELLINGS
    ]

    assert statuses == [201] + [200] * (len(SPELLINGS) - 1)
    only_one_person()


def test_api_enrolment_finds_the_one_person_by_every_spelling(db):
    register_person(id_number=ID, name="王五")
    client = authenticated_client(AgencyStaffFactory(province="11"))
    schemes = ["EP", "EM", "UI", "WI", "EP", "EM"]
    answers = [
        client.post(
            "/api/v1/agency/enrolments", {"id_number": spelling, "scheme": scheme, "start_period": "202401"}
        )
        for spelling, scheme in zip(SPELLINGS, schemes, strict=True)
    ]

    # Never "not found": each spelling is the same person (the last two, enrolled already, are conflicts).
    assert [answer.status_code for answer in answers] == [201, 201, 201, 201, 409, 409]
    person = only_one_person()
    assert InsuranceRelationship.objects.filter(person=person).count() == 4


def test_import_of_persons(db):
    system = AgencySystemFactory(province="11")
    for spelling in SPELLINGS:
        job = import_file(system, "persons", ["id_number,name", f'"{spelling}",王五'])
        assert job.state == "succeeded"

    only_one_person()


def test_import_of_contributions_finds_the_one_person_by_every_spelling(configured_years, employer):
    person = register_person(id_number=ID, name="王五")
    InsuranceRelationship.objects.create(person=person, scheme="EP", province_id="11", opened_period=202301)
    system = AgencySystemFactory(province="11")
    header = "id_number,scheme,period,base,payment_type,employer_code,temporary_account"
    rows = [
        f'"{spelling}",EP,{202401 + n},9000.00,normal,{EMPLOYER_CODE},false'
        for n, spelling in enumerate(SPELLINGS)
    ]

    job = import_file(system, "contributions", [header, *rows])

    assert (job.rows_accepted, job.rows_rejected) == (len(SPELLINGS), 0)
    assert ContributionRecord.objects.filter(person=only_one_person()).count() == len(SPELLINGS)


def test_admin(db):
    admin_site = Client()
    admin_site.force_login(AdministratorFactory())
    for spelling in SPELLINGS:
        admin_site.post(
            "/admin/insurance/insuredperson/add/",
            {
                "id_number": spelling,
                "name": "王五",
                "hukou_province": "",
                "residence_province": "",
                "phone": "",
            },
        )

    only_one_person()


def test_every_entry_point_after_another_still_finds_one_person(configured_years, employer):
    staff = authenticated_client(AgencyStaffFactory(province="11"))
    staff.post("/api/v1/agency/registrations", {"id_number": SPELLINGS[2], "name": "王五"})
    import_file(AgencySystemFactory(province="11"), "persons", ["id_number,name", f'"{SPELLINGS[5]}",王五'])
    admin_site = Client()
    admin_site.force_login(AdministratorFactory())
    admin_site.post(
        "/admin/insurance/insuredperson/add/",
        {
            "id_number": SPELLINGS[3],
            "name": "王五",
            "hukou_province": "",
            "residence_province": "",
            "phone": "",
        },
    )

    only_one_person()


# Amounts


@pytest.fixture
def paying(configured_years, employer):
    person = register_person(id_number=ID, name="王五")
    InsuranceRelationship.objects.create(person=person, scheme="EP", province_id="11", opened_period=202301)
    return person


def post_month(client, person, base: str):
    return client.post(
        f"/api/v1/agency/persons/{person.pk}/contributions",
        {"scheme": "EP", "months": [{"period": "202401", "base": base, "employer_code": EMPLOYER_CODE}]},
    )


def test_a_full_width_amount_is_read_as_ascii_on_the_api(paying):
    response = post_month(authenticated_client(AgencyStaffFactory(province="11")), paying, "９０００.００")

    assert response.status_code == 201
    assert ContributionRecord.objects.get(person=paying).declared_base == Decimal("9000.00")


@pytest.mark.parametrize("base", ["٩٠٠٠", "९०००", "9000\u0660"])
def test_an_amount_in_other_scripts_digits_is_refused_on_the_api_and_nothing_is_written(paying, base):
    response = post_month(authenticated_client(AgencyStaffFactory(province="11")), paying, base)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["months.0.base"]
    assert not ContributionRecord.objects.exists()


def test_amounts_in_a_file_take_full_width_digits_and_refuse_other_scripts(paying):
    header = "id_number,scheme,period,base,payment_type,employer_code,temporary_account"
    job = import_file(
        AgencySystemFactory(province="11"),
        "contributions",
        [
            header,
            f"{ID},EP,202401,９０００.５０,normal,{EMPLOYER_CODE},false",
            f"{ID},EP,202402,٩٠٠٠,normal,{EMPLOYER_CODE},false",
        ],
    )

    assert (job.rows_accepted, job.rows_rejected) == (1, 1)
    assert list(job.row_errors.values_list("row", "column", "code")) == [(3, "base", "money_format")]
    assert ContributionRecord.objects.get(person=paying, period=202401).declared_base == Decimal("9000.50")
