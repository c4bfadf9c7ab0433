import datetime

import pytest
from django.test import Client

from accounts.services import agency_staff_create
from certification.models import FaceJob, SurvivorClaim
from certification.services.faces import face_job_start
from certification.services.survivors import SurvivorDetails, survivors_claim_submit
from core.identity import IdentityNumber
from core.models import Channel
from core.states import Actor
from insurance.services.persons import Death, deaths_register
from tests.cards.cardmaking import enabled_card, face
from tests.certification.conftest import award_in_payment
from tests.factories import TEST_ACTOR, make_id_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page",
    [
        "pensionaward",
        "certification",
        "facejob",
        "recoverycase",
        "statusevidence",
        "certificationprovinceconfig",
        "survivorclaim",
        "survivorclaimentry",
    ],
)
def test_each_page_opens_and_a_clerk_of_another_province_cannot_open_an_award(admin_client, client, page):
    from accounts.services import agency_staff_create

    beijing = award_in_payment(sequence=1, province="11")
    guangdong = award_in_payment(sequence=2, province="44")
    assert admin_client.get(f"/admin/certification/{page}/").status_code == 200
    client.force_login(
        agency_staff_create(username="clerk.gd", password="x-Long-pass-42!", province_code="44")
    )
    assert client.get(f"/admin/certification/{page}/").status_code == 200
    listed = client.get("/admin/certification/pensionaward/").context["cl"].result_list
    assert [award.pk for award in listed] == [guangdong.pk]
    assert client.get(f"/admin/certification/pensionaward/{guangdong.pk}/change/").status_code == 200
    assert client.get(f"/admin/certification/pensionaward/{beijing.pk}/change/").status_code in (302, 404)


def test_the_face_job_page_never_shows_the_selfie(admin_client):
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 1, 1))
    enabled_card(award.person)
    job = face_job_start(
        award=award, method="face_self", selfie=face("obama.jpg"), consent_text="yes", actor=TEST_ACTOR
    )
    page = admin_client.get(f"/admin/certification/facejob/{job.pk}/change/")
    assert page.status_code == 200
    assert "selfie_ciphertext" not in page.content.decode()
    assert FaceJob.objects.count() == 1


CLAIMS_PAGE = "/admin/certification/survivorclaim/"


def _clerk(username: str, province: str) -> Client:
    client = Client()
    client.force_login(
        agency_staff_create(username=username, password="x-Long-pass-42!", province_code=province)
    )
    return client


def test_a_clerk_checks_and_rejects_claims_through_the_services_and_sees_the_survivor_masked():
    awards = [award_in_payment(sequence=n, province="11") for n in (1, 2)]
    deaths_register(
        items=[Death(award.person_id, datetime.date(2025, 3, 1)) for award in awards], actor=TEST_ACTOR
    )
    submitted, other = (SurvivorClaim.objects.get(award=award) for award in awards)
    survivor = make_id_number(province="11", birth_date=datetime.date(1955, 1, 1), sequence=9)
    survivors_claim_submit(
        claim=submitted,
        survivor=SurvivorDetails(
            "王芳", "spouse", IdentityNumber.parse(survivor), "中国工商银行", "6222020200112233445"
        ),
        actor=Actor(Channel.API, 999),
    )
    guangdong, beijing = _clerk("clerk.gd", "44"), _clerk("clerk.bj", "11")

    guangdong.post(CLAIMS_PAGE, {"action": "check_claims", "_selected_action": [submitted.pk]})
    assert SurvivorClaim.objects.get(pk=submitted.pk).status == "submitted"
    assert guangdong.get(f"{CLAIMS_PAGE}{submitted.pk}/change/").status_code in (403, 302)

    beijing.post(CLAIMS_PAGE, {"action": "check_claims", "_selected_action": [submitted.pk]})
    beijing.post(CLAIMS_PAGE, {"action": "reject_claims", "_selected_action": [other.pk], "reason": ""})
    beijing.post(
        CLAIMS_PAGE, {"action": "reject_claims", "_selected_action": [other.pk], "reason": "No heir"}
    )

    assert SurvivorClaim.objects.get(pk=submitted.pk).status == "checked"
    other.refresh_from_db()
    assert (other.status, other.rejection_reason) == ("rejected", "No heir")
    page = beijing.get(f"{CLAIMS_PAGE}{submitted.pk}/change/").content.decode()
    assert survivor[:6] + "********" + survivor[14:] in page and "6222 **** **** 3445" in page
    assert survivor not in page and "6222020200112233445" not in page
