"""A transfer's documents (issue 14, requirement 1): the contact letter issued on accept, the transfer
certificate and the information table on send, each a signed PDF with its verification code, kept and
downloaded again byte for byte by the person and the two provinces' staff only, and shown by the public
verification page."""

from decimal import Decimal

import pytest
from pyhanko.sign.validation.status import SignatureCoverageLevel

from core.exceptions import ConflictError
from core.models import DocumentCode, Region
from insurance.models import Scheme, TransferDocument
from insurance.services.contributions import ContributionMonth
from insurance.services.relationships import relationship_suspend
from insurance.services.transfers import transfer_accept, transfer_apply, transfer_funds_send
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
    open_relationship,
    record_contributions,
)
from tests.pdf import page_texts, signature_status

pytestmark = pytest.mark.django_db
EP = Scheme.EMPLOYEE_PENSION
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def mover(paying_person):
    """Beijing EP 2024-01..03 at 12000, suspended in 2024-04, now paying in Guangdong."""
    relationship = paying_person.relationships.get(scheme=EP, province_id="11")
    relationship_suspend(relationship=relationship, period=202404, actor=TEST_ACTOR)
    open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    record_contributions(
        person=paying_person,
        scheme=EP,
        province_id="44",
        months=[ContributionMonth(period=202405, declared_base=Decimal("8000"), employer_code=EMPLOYER_CODE)],
    )
    return paying_person


@pytest.fixture
def accepted(mover):
    transfer = transfer_apply(person=mover, scheme=EP, from_province_id="11", actor=TEST_ACTOR)
    return transfer_accept(transfer=transfer, actor=TEST_ACTOR)


@pytest.fixture
def sent(accepted):
    return transfer_funds_send(transfer=accepted, actor=TEST_ACTOR)


def _agency(code):
    return Region.objects.get(code=code).agency_name_zh


def _text(pdf):
    return "".join("".join(page_texts(pdf)).split())


def test_accepting_issues_the_signed_contact_letter_by_the_transfer_in_agency(accepted, mover):
    (letter,) = TransferDocument.objects.filter(transfer=accepted)
    assert (letter.kind, letter.person_id, letter.issuer_province_id) == ("contact_letter", mover.pk, "44")
    with letter.pdf.open("rb") as stored:
        pdf = stored.read()
    status = signature_status(pdf)
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    text = _text(pdf)
    assert "社会保险关系转移接续联系函" in text
    assert f"出具机构：{_agency('44')}" in text
    assert "张三" in text and mover.id_number_masked in text and mover.id_number not in text
    assert "企业职工基本养老保险" in text and "北京市" in text and "广东省" in text
    code = DocumentCode.objects.get(code=letter.verification_code)
    assert (code.kind, code.person_id, code.record_id) == (
        "insurance.transfer_contact_letter",
        mover.pk,
        letter.pk,
    )


def test_sending_issues_the_certificate_and_the_table_by_the_transfer_out_agency(sent):
    documents = {d.kind: d for d in TransferDocument.objects.filter(transfer=sent)}
    assert set(documents) == {"contact_letter", "transfer_certificate", "information_table"}
    certificate, table = documents["transfer_certificate"], documents["information_table"]
    assert certificate.issuer_province_id == table.issuer_province_id == "11"
    for document in (certificate, table):
        with document.pdf.open("rb") as stored:
            assert signature_status(stored.read()).valid
    with certificate.pdf.open("rb") as stored:
        text = _text(stored.read())
    assert "参保缴费凭证" in text and f"出具机构：{_agency('11')}" in text
    assert "4,320.00" in text  # 12 % of three months at 12000: the pooled fund
    assert sent.pooled_amount == Decimal("4320.00")
    assert f"{sent.account_amount:,.2f}" in text
    with table.pdf.open("rb") as stored:
        text = _text(stored.read())
    assert "参保缴费信息表" in text
    # The 2024 row: year, 3 months, bases 36,000.00, the account's 8 % credits 2,880.00, the pooled 12 %.
    assert "2024336,000.002,880.004,320.00" in text


def test_a_refused_send_issues_no_document(accepted):
    accepted.from_relationship.status = "transferred_out"  # as if it left meanwhile
    accepted.from_relationship.save(update_fields=["status"])
    with pytest.raises(ConflictError) as refused:
        transfer_funds_send(transfer=accepted, actor=TEST_ACTOR)
    assert refused.value.code == "transfer_old_relationship_not_suspended"
    assert list(TransferDocument.objects.filter(transfer=accepted).values_list("kind", flat=True)) == [
        "contact_letter"
    ]


def test_the_person_and_both_provinces_download_each_document_byte_for_byte(sent, mover):
    clients = [
        authenticated_client(CitizenFactory(id_number=mover.id_number)),
        authenticated_client(AgencyStaffFactory(province="44")),
        authenticated_client(AgencyStaffFactory(province="11")),
    ]
    prefixes = ["/api/v1/me", "/api/v1/agency", "/api/v1/agency"]
    for document in TransferDocument.objects.filter(transfer=sent):
        with document.pdf.open("rb") as stored:
            issued = stored.read()
        for client, prefix in zip(clients, prefixes, strict=True):
            response = client.get(f"{prefix}/transfers/{sent.pk}/documents/{document.kind}")
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response.content == issued
    shown = clients[0].get(f"/api/v1/me/transfers/{sent.pk}").json()["documents"]
    assert {d["kind"]: d["verification_code"] for d in shown} == {
        d.kind: d.verification_code for d in TransferDocument.objects.filter(transfer=sent)
    }


def test_everyone_else_gets_404(accepted):
    others = [
        ("/api/v1/me", authenticated_client(CitizenFactory())),
        ("/api/v1/agency", authenticated_client(AgencyStaffFactory(province="31"))),
    ]
    for prefix, client in others:
        response = client.get(f"{prefix}/transfers/{accepted.pk}/documents/contact_letter")
        assert response.status_code == 404
    # Nor is a document of a step not taken yet there, even for the person's provinces.
    staff = authenticated_client(AgencyStaffFactory(province="11"))
    assert staff.get(f"/api/v1/agency/transfers/{accepted.pk}/documents/information_table").status_code == 404


def test_the_verification_page_shows_each_document(sent, client, mover):
    for document in TransferDocument.objects.filter(transfer=sent):
        data = client.get(
            f"/api/v1/certificates/verify/{document.verification_code}", HTTP_ACCEPT="application/json"
        ).json()
        assert data["status"] == "valid"
        assert data["kind"] == f"insurance.transfer_{document.kind}"
        assert data["content_sha256"] == document.content_sha256
        assert data["content"]["masked_id_number"] == mover.id_number_masked
    letter = TransferDocument.objects.get(transfer=sent, kind="contact_letter")
    page = client.get(f"/api/v1/certificates/verify/{letter.verification_code}", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "社会保险关系转移接续联系函" in html and _agency("44") in html and "张三" in html
    assert mover.id_number not in html
