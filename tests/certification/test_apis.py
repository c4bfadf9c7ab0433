"""The certification API: citizens' status and face jobs, staff certification of any province's pensioners
by ID number, and the paying province's overdue list, each with its scope."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certification.models import Certification
from certification.services.certifications import awards_suspend_overdue
from certification.tasks import face_job_run
from insurance.models import IdentityReadLog
from tests.cards.cardmaking import enabled_card, face
from tests.certification.conftest import award_in_payment
from tests.factories import AgencyStaffFactory, CitizenFactory, authenticated_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def award():
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 1, 1), province="11")
    enabled_card(award.person)
    return award


def citizen(award):
    return authenticated_client(CitizenFactory(id_number=award.person.id_number))


def test_a_citizen_sees_status_due_date_and_history_and_no_one_elses(award):
    response = citizen(award).get("/api/v1/me/pension")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["paying_province"], body["due_date"], body["history"]) == (
        "paying", "11", "2025-01-01", []
    )  # fmt: skip
    assert authenticated_client(CitizenFactory()).get("/api/v1/me/pension").status_code == 404


def test_a_citizen_starts_a_face_job_gets_202_and_polls_it(award, django_capture_on_commit_callbacks):
    client = citizen(award)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            "/api/v1/me/pension/face-jobs",
            {
                "method": "face_self",
                "consent": "true",
                "selfie": SimpleUploadedFile("me.jpg", face("obama.jpg")),
            },
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    assert len(queued) == 1

    face_job_run.apply(args=[job_id])
    polled = client.get(f"/api/v1/me/pension/face-jobs/{job_id}").json()

    assert polled["status"] == "accepted" and float(polled["distance"]) <= float(polled["threshold"])
    assert client.get("/api/v1/me/pension").json()["history"][0]["method"] == "face_self"
    other = authenticated_client(CitizenFactory())
    assert other.get(f"/api/v1/me/pension/face-jobs/{job_id}").status_code == 404


def test_a_face_job_without_consent_or_with_a_bad_file_is_refused(award):
    client = citizen(award)
    refused = [
        client.post(
            "/api/v1/me/pension/face-jobs",
            {"method": "face_self", "consent": consent, "selfie": SimpleUploadedFile("me.jpg", content)},
            format="multipart",
        ).json()
        for consent, content in (("false", face("obama.jpg")), ("true", b"not a picture"))
    ]
    assert [body["error"]["code"] for body in refused] == ["face_consent_required", "selfie_format"], refused


def _staff_certify(province, award, method="on_site"):
    staff = AgencyStaffFactory(province=province)
    response = authenticated_client(staff).post(
        "/api/v1/agency/pension-certifications",
        {
            "id_number": award.person.id_number,
            "method": method,
            "certified_on": "2024-11-02",
            "place": "Hall 1",
            "evidence": "ID card checked",
        },
        format="json",
    )
    return staff, response


def test_staff_of_another_province_certify_on_site_by_id_number_and_the_read_is_logged(award):
    staff, response = _staff_certify("44", award)

    assert response.status_code == 201, response.json()
    certification = Certification.objects.get(award=award)
    assert (certification.place_province_id, certification.actor_id) == ("44", staff.pk)
    award.refresh_from_db()
    assert (award.province_id, award.last_certified_on) == ("11", datetime.date(2024, 11, 2))
    assert IdentityReadLog.objects.filter(reader=staff).count() == 1


def test_a_home_visit_only_by_the_residence_province_and_consular_only_by_the_paying_one(award):
    award.person.residence_province_id = "44"
    award.person.save(update_fields=["residence_province"])
    _, by_paying = _staff_certify("11", award, method="home_visit")
    _, by_residence = _staff_certify("44", award, method="home_visit")
    _, consular_elsewhere = _staff_certify("44", award, method="consular")

    assert by_paying.status_code == 403
    assert by_paying.json()["error"]["code"] == "certification_home_visit_not_resident"
    assert by_residence.status_code == 201
    assert consular_elsewhere.json()["error"]["code"] == "certification_consular_not_paying_province"
    assert Certification.objects.filter(award=award).count() == 1


def test_an_unknown_id_number_is_404_and_still_logged(award):
    staff = AgencyStaffFactory(province="44")
    from tests.factories import make_id_number

    response = authenticated_client(staff).post(
        "/api/v1/agency/pension-certifications",
        {
            "id_number": make_id_number(province="44", sequence=300),
            "method": "on_site",
            "certified_on": "2024-11-02",
            "place": "Hall 1",
            "evidence": "ID card checked",
        },
        format="json",
    )
    assert response.status_code == 404
    assert not Certification.objects.exists()


def test_the_overdue_list_is_the_paying_provinces_own(award):
    elsewhere = award_in_payment(sequence=2, province="44", certified_on=datetime.date(2024, 1, 1))
    awards_suspend_overdue(today=datetime.date(2025, 3, 1))

    beijing = authenticated_client(AgencyStaffFactory(province="11")).get("/api/v1/agency/pensions/overdue")
    guangdong = authenticated_client(AgencyStaffFactory(province="44")).get("/api/v1/agency/pensions/overdue")

    assert [row["id"] for row in beijing.json()["results"]] == [award.pk]
    assert [row["id"] for row in guangdong.json()["results"]] == [elsewhere.pk]
    assert authenticated_client(CitizenFactory()).get("/api/v1/agency/pensions/overdue").status_code == 403


def test_recovery_cases_are_listed_to_the_paying_province_only(award):
    from decimal import Decimal

    from certification.models import RecoveryCase

    RecoveryCase.objects.create(
        person_id=award.person_id, award=award, province_id="11", overpaid=Decimal("3000.00"), months=[202503]
    )
    beijing = authenticated_client(AgencyStaffFactory(province="11")).get(
        "/api/v1/agency/pensions/recovery-cases"
    )
    guangdong = authenticated_client(AgencyStaffFactory(province="44")).get(
        "/api/v1/agency/pensions/recovery-cases"
    )

    assert [(row["award"], row["left"], row["months"]) for row in beijing.json()["results"]] == [
        (award.pk, "3000.00", [202503])
    ]
    assert guangdong.json()["results"] == []
