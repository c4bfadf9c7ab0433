import datetime

import pytest

from certification.models import FaceJob
from certification.services.faces import face_job_start
from tests.cards.cardmaking import enabled_card, face
from tests.certification.conftest import award_in_payment
from tests.factories import TEST_ACTOR

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
