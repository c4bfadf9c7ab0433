"""Participation certificates through the API: issued signed, listed and downloaded again by their
holder only, verified by anyone with the code (a page for a browser, JSON for an API client)."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from pyhanko.sign.validation.status import SignatureCoverageLevel

from core.exceptions import ConflictError
from core.models import DocumentCode, StateEvent
from insurance.models import ParticipationCertificate
from insurance.services.certificates import certificate_revoke
from tests.factories import TEST_ACTOR, CitizenFactory, authenticated_client
from tests.pdf import page_texts, signature_status

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture
def citizen_client(paying_person):
    return authenticated_client(CitizenFactory(id_number=paying_person.id_number))


@pytest.fixture
def issued(citizen_client):
    response = citizen_client.post("/api/v1/me/certificates")
    assert response.status_code == 201
    return ParticipationCertificate.objects.get(), response.content


def test_citizen_gets_a_signed_certificate_from_the_agency_where_they_pay(citizen_client, paying_person):
    response = citizen_client.post("/api/v1/me/certificates")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    certificate = ParticipationCertificate.objects.get(person=paying_person)
    assert response["Location"] == f"/api/v1/me/certificates/{certificate.pk}/pdf"
    assert certificate.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert certificate.content["rows"] == [
        {
            "scheme": "企业职工基本养老保险",
            "province": "北京市",
            "period_from": 202401,
            "period_to": 202403,
            "months": 3,
            "base_min": "12000.00",
            "base_max": "12000.00",
            "amount": "8640.00",
        }
    ]
    assert (certificate.issuer_province_id, certificate.issuer_name) == ("11", "北京市社会保险事业管理中心")
    # Valid from the day of issue in China, which is a day ahead of UTC from 16:00 UTC.
    assert certificate.valid_until == timezone.localtime(certificate.issued_at).date() + datetime.timedelta(
        days=180
    )
    status = signature_status(pdf)
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    (text,) = page_texts(pdf)
    assert "出具机构：北京市社会保险事业管理中心" in text
    assert paying_person.id_number not in text and paying_person.id_number_masked in text
    # The code is looked up through its own table, and the issue is the certificate's first event.
    code = DocumentCode.objects.get(code=certificate.verification_code)
    assert (code.kind, code.person_id, code.record_id) == (
        "insurance.participation_certificate",
        paying_person.pk,
        certificate.pk,
    )
    event = StateEvent.objects.get(entity="insurance.participationcertificate", object_id=certificate.pk)
    assert (event.from_state, event.to_state, event.person_id) == ("", "issued", paying_person.pk)


def test_an_english_certificate_is_issued_on_request(citizen_client):
    response = citizen_client.post("/api/v1/me/certificates", {"language": "en"}, format="json")

    assert response.status_code == 201
    (text,) = page_texts(response.content)
    assert "Certificate of social insurance participation and contributions" in " ".join(text.split())
    assert "Enterprise-employee basic pension" in text
    assert "Beijing" in text
    assert "Page 1 of 1" in text
    assert ParticipationCertificate.objects.get().language == "en"


def test_a_language_not_offered_is_refused_and_nothing_is_issued(citizen_client):
    response = citizen_client.post("/api/v1/me/certificates", {"language": "fr"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["language"]
    assert not ParticipationCertificate.objects.exists()
    assert not DocumentCode.objects.exists()


def test_citizen_lists_certificates_newest_first_and_downloads_each_again_byte_for_byte(citizen_client):
    first = citizen_client.post("/api/v1/me/certificates").content
    second = citizen_client.post("/api/v1/me/certificates", {"language": "en"}, format="json").content

    listing = citizen_client.get("/api/v1/me/certificates")

    assert listing.status_code == 200
    body = listing.json()
    assert body["next"] is None
    items = body["results"]
    older, newer = ParticipationCertificate.objects.order_by("issued_at", "id")
    assert [item["id"] for item in items] == [newer.pk, older.pk]
    assert items[1] == {
        "id": older.pk,
        "verification_code": older.verification_code,
        "status": "valid",
        "issued_at": items[1]["issued_at"],
        "valid_until": older.valid_until.isoformat(),
        "revoked_at": None,
        "language": "zh-hans",
        "issuer": "北京市社会保险事业管理中心",
        "pdf_url": f"http://testserver/api/v1/me/certificates/{older.pk}/pdf",
        "verify_url": f"http://testserver/api/v1/certificates/verify/{older.verification_code}",
    }
    assert items[0]["issuer"] == "Beijing Social Insurance Agency"
    again = [citizen_client.get(item["pdf_url"]) for item in reversed(items)]
    assert [response.status_code for response in again] == [200, 200]
    assert [response.content for response in again] == [first, second]
    assert again[0]["Content-Type"] == "application/pdf"


def test_another_citizens_certificate_is_not_found(issued, paying_person):
    certificate, _ = issued
    stranger = authenticated_client(CitizenFactory())

    download = stranger.get(f"/api/v1/me/certificates/{certificate.pk}/pdf")
    listing = stranger.get("/api/v1/me/certificates")

    assert download.status_code == 404
    assert download.json()["error"]["code"] == "not_found"
    # The stranger is not an insured person at all: the list says so, as every citizen endpoint does.
    assert listing.status_code == 404


def test_another_insured_citizens_list_holds_only_their_own(issued, configured_years):
    from tests.factories import make_id_number, register_person

    other = register_person(id_number=make_id_number(province="44"), name="李四")
    client = authenticated_client(CitizenFactory(id_number=other.id_number))
    certificate, _ = issued

    assert client.get("/api/v1/me/certificates").json()["results"] == []
    assert client.get(f"/api/v1/me/certificates/{certificate.pk}/pdf").status_code == 404


def test_a_certificate_issued_before_pdfs_were_kept_is_listed_without_a_download(issued, citizen_client):
    certificate, _ = issued
    ParticipationCertificate.objects.filter(pk=certificate.pk).update(pdf="")

    (item,) = citizen_client.get("/api/v1/me/certificates").json()["results"]
    download = citizen_client.get(f"/api/v1/me/certificates/{certificate.pk}/pdf")

    assert item["pdf_url"] is None
    assert download.status_code == 404


@override_settings(LANGUAGE_CODE="zh-hans")
def test_a_browser_gets_the_verification_page_in_chinese(issued, paying_person, client):
    certificate, _ = issued

    response = client.get(
        f"/api/v1/certificates/verify/{certificate.verification_code.lower()}", HTTP_ACCEPT=BROWSER_ACCEPT
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "真实有效" in page
    assert "社会保险参保缴费证明" in page
    assert "北京市社会保险事业管理中心" in page
    assert "张三" in page
    assert paying_person.id_number_masked in page and paying_person.id_number not in page
    assert "<td>企业职工基本养老保险</td>" in page
    assert '<td class="number">8,640.00</td>' in page
    assert certificate.verification_code in page
    assert "data:font/woff;base64,d09GRk9UVE8" in page  # the page's Chinese comes with it: wOFF, CFF inside


def test_an_api_client_gets_json(issued, paying_person, client):
    certificate, _ = issued

    by_accept = client.get(
        f"/api/v1/certificates/verify/{certificate.verification_code}", HTTP_ACCEPT="application/json"
    )
    by_format = client.get(
        f"/api/v1/certificates/verify/{certificate.verification_code}?format=json", HTTP_ACCEPT=BROWSER_ACCEPT
    )
    by_default = client.get(f"/api/v1/certificates/verify/{certificate.verification_code}")

    assert by_accept.status_code == by_format.status_code == by_default.status_code == 200
    body = by_accept.json()
    assert by_format.json() == body == by_default.json()
    assert body["status"] == "valid" and body["genuine"] is True
    assert body["kind"] == "insurance.participation_certificate"
    assert body["title"] == "社会保险参保缴费证明"
    assert body["issuer"] == "北京市社会保险事业管理中心"
    assert body["valid_until"] == certificate.valid_until.isoformat()
    assert body["content"]["masked_id_number"] == paying_person.id_number_masked
    assert body["content_sha256"] == certificate.content_sha256
    assert body["unaltered"] is None
    holder, history, totals = body["sections"]
    assert holder["blocks"] == [
        {"type": "fields", "items": [["姓名", "张三"], ["社会保障号码", paying_person.id_number_masked]]}
    ]
    assert history["blocks"][1]["rows"] == [
        ["企业职工基本养老保险", "北京市", "2024-01", "2024-03", "3", "12,000.00", "8,640.00"]
    ]
    assert totals["heading"] == "合计"


@override_settings(LANGUAGE_CODE="zh-hans")
def test_an_unknown_code_is_404_as_a_page_and_as_json(client, db):
    page = client.get("/api/v1/certificates/verify/NOSUCHCODE234567", HTTP_ACCEPT=BROWSER_ACCEPT)
    data = client.get("/api/v1/certificates/verify/NOSUCHCODE234567", HTTP_ACCEPT="application/json")

    assert page.status_code == data.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert "未通过核验" in page.content.decode()
    assert data.json()["error"]["code"] == "not_found"


@override_settings(LANGUAGE_CODE="zh-hans")
def test_a_revoked_certificate_verifies_as_revoked_and_is_revoked_once(issued, client):
    certificate, _ = issued

    certificate_revoke(certificate_id=certificate.pk, actor=TEST_ACTOR, reason="issued in error")
    with pytest.raises(ConflictError) as refusal:
        certificate_revoke(certificate_id=certificate.pk, actor=TEST_ACTOR, reason="again")

    assert refusal.value.code == "state_move_not_allowed"
    certificate.refresh_from_db()
    assert certificate.status == "revoked" and certificate.revoked_at is not None
    assert StateEvent.objects.filter(object_id=certificate.pk, to_state="revoked").count() == 1
    url = f"/api/v1/certificates/verify/{certificate.verification_code}"
    assert client.get(url, HTTP_ACCEPT="application/json").json()["status"] == "revoked"
    assert "已撤销" in client.get(url, HTTP_ACCEPT=BROWSER_ACCEPT).content.decode()


def test_a_certificate_past_its_validity_verifies_as_expired(issued, client):
    certificate, _ = issued
    ParticipationCertificate.objects.filter(pk=certificate.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=2)
    )

    body = client.get(f"/api/v1/certificates/verify/{certificate.verification_code}").json()

    assert body["status"] == "expired"


def test_an_uploaded_pdf_is_checked_against_the_one_issued(issued, client):
    certificate, pdf = issued
    url = f"/api/v1/certificates/verify/{certificate.verification_code}"

    genuine = client.post(url, {"file": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf")})
    altered = client.post(
        url,
        {"file": SimpleUploadedFile("c.pdf", pdf[:500] + b"0" + pdf[501:], content_type="application/pdf")},
    )

    assert genuine.json()["unaltered"] is True
    assert altered.json()["unaltered"] is False
