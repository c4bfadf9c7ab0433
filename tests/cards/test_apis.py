"""The card API: a citizen applies, follows production, loses and replaces the card; agency staff run
production in batches and act on the cards of their province only."""

import pytest

from cards.models import Card, CardStatus
from tests.cards.cardmaking import BANK_ACCOUNT, PIN, enabled_card, face, issue
from tests.factories import AgencyStaffFactory, authenticated_client

pytestmark = pytest.mark.django_db


def _application(**overrides):
    body = {
        "province": "11",
        "bank_name": "中国工商银行",
        "bank_account": BANK_ACCOUNT,
        "pin": PIN,
        "consent": "true",
        "photo": _photo(),
    }
    body.update(overrides)
    return body


def _photo(name="obama_small.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, face(name), content_type="image/jpeg")


def _code(response):
    return response.json()["error"]["code"]


def test_a_citizen_applies_follows_production_and_sees_the_card_masked(holder):
    client = authenticated_client(holder.citizen)
    response = client.post("/api/v1/me/card/applications", _application(), format="multipart")
    assert response.status_code == 201, response.json()
    shown = response.json()
    assert shown["status"] == "applied" and shown["bank_account"] == "6222 **** **** 3445"
    assert BANK_ACCOUNT not in response.content.decode() and PIN not in response.content.decode()
    assert _code(client.post("/api/v1/me/card/applications", _application(), format="multipart")) == (
        "card_application_pending"
    )

    staff = authenticated_client(AgencyStaffFactory(province="11"))
    batch = staff.post("/api/v1/agency/card-batches", {}, format="json")
    assert batch.status_code == 201 and batch.json()["card_count"] == 1
    batch_id = batch.json()["id"]
    file = staff.get(f"/api/v1/agency/card-batches/{batch_id}/file")
    assert file["Content-Type"].startswith("text/csv")
    number = file.content.decode().splitlines()[1].split(",")[0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    returned = staff.post(
        f"/api/v1/agency/card-batches/{batch_id}/return",
        {"file": SimpleUploadedFile("back.csv", f"card_number,issue_date\n{number},2026-11-30\n".encode())},
        format="multipart",
    )
    assert returned.json() == {"issued": 1, "no_longer_in_production": []}

    cards = client.get("/api/v1/me/cards").json()
    assert [(e["from_state"], e["to_state"]) for e in cards[0]["history"]] == [
        ("", "applied"),
        ("applied", "in_production"),
        ("in_production", "issued"),
    ]
    mine = client.get("/api/v1/me/card").json()
    assert (mine["number"], mine["status"], mine["issue_date"]) == (number, "issued", "2026-11-30")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"photo": "two_people.jpg"}, "card_photo_several_faces"),
        ({"consent": "false"}, "card_photo_consent_required"),
        ({"pin": "1234567"}, "invalid"),
        ({"bank_account": "12"}, "card_bank_account_format"),
    ],
)
def test_application_refusals(holder, overrides, code):
    if "photo" in overrides:
        overrides["photo"] = _photo(overrides["photo"])
    client = authenticated_client(holder.citizen)
    response = client.post("/api/v1/me/card/applications", _application(**overrides), format="multipart")
    assert _code(response) == code
    assert not Card.objects.exists()


def test_a_citizen_reports_the_card_lost_withdraws_replaces_and_changes_the_pin(holder):
    card = enabled_card(holder)
    client = authenticated_client(holder.citizen)
    assert (
        client.post("/api/v1/me/card/loss", {"formal": False}, format="json").json()["status"]
        == "temporarily_lost"
    )
    assert client.post("/api/v1/me/card/loss/withdraw", {}, format="json").json()["status"] == "enabled"
    assert (
        _code(client.post("/api/v1/me/card/loss/withdraw", {}, format="json")) == "card_not_temporarily_lost"
    )

    response = client.post(
        "/api/v1/me/card/pin", {"current_pin": "000001", "new_pin": "417209"}, format="json"
    )
    assert _code(response) == "card_pin_wrong"
    response = client.post("/api/v1/me/card/pin", {"current_pin": PIN, "new_pin": "417209"}, format="json")
    assert response.status_code == 204

    client.post("/api/v1/me/card/loss", {"formal": True}, format="json")
    response = client.post("/api/v1/me/card/replacement", {"reason": "loss"}, format="json")
    assert response.status_code == 201, response.json()
    new = Card.objects.get(pk=response.json()["id"])
    assert (new.replaces_id, new.replacement_reason, new.number != card.number) == (card.pk, "loss", True)


def test_staff_act_only_on_their_provinces_cards(holder):
    card = enabled_card(holder)
    other = authenticated_client(AgencyStaffFactory(province="44"))
    for path in ("", "/lock", "/unlock", "/loss", "/cancel"):
        response = (other.get if not path else other.post)(
            f"/api/v1/agency/cards/{card.pk}{path}", {}, format="json"
        )
        assert response.status_code == 404
    assert other.get("/api/v1/agency/cards").json()["results"] == []
    card.refresh_from_db()
    assert card.status == CardStatus.ENABLED

    staff = authenticated_client(AgencyStaffFactory(province="11"))
    found = staff.get("/api/v1/agency/cards", {"id_number": holder.id_number}).json()["results"]
    assert [c["id"] for c in found] == [card.pk]
    assert (
        staff.post(f"/api/v1/agency/cards/{card.pk}/lock", {"reason": "x"}, format="json").json()["status"]
        == "locked"
    )
    assert (
        staff.post(f"/api/v1/agency/cards/{card.pk}/unlock", {}, format="json").json()["status"] == "enabled"
    )
    assert _code(staff.post(f"/api/v1/agency/cards/{card.pk}/unlock", {}, format="json")) == "card_not_locked"
    assert (
        staff.post(f"/api/v1/agency/cards/{card.pk}/seal", {"reason": "x"}, format="json").json()["status"]
        == "sealed"
    )
    assert (
        staff.post(f"/api/v1/agency/cards/{card.pk}/unseal", {}, format="json").json()["status"] == "enabled"
    )
    detail = staff.get(f"/api/v1/agency/cards/{card.pk}").json()
    assert [e["to_state"] for e in detail["history"]][-4:] == ["locked", "enabled", "sealed", "enabled"]


def test_agency_issue_enable_and_activate_through_the_api(holder):
    from tests.cards.cardmaking import apply_card

    card = issue(apply_card(holder))
    staff = authenticated_client(AgencyStaffFactory(province="11"))
    assert staff.post(f"/api/v1/agency/cards/{card.pk}/activate-bank", {}, format="json").json()[
        "bank_status"
    ] == ("active")
    assert (
        staff.post(f"/api/v1/agency/cards/{card.pk}/enable", {}, format="json").json()["status"] == "enabled"
    )
    assert _code(staff.post(f"/api/v1/agency/cards/{card.pk}/enable", {}, format="json")) == "card_not_issued"
    assert _code(staff.post("/api/v1/agency/card-batches", {}, format="json")) == "card_batch_empty"


def test_staff_set_up_a_service_point_of_their_province(holder):
    staff = authenticated_client(AgencyStaffFactory(province="31"))
    body = {"username": "ruijin", "password": "a-long-passphrase-9", "kind": "hospital", "name": "瑞金医院"}
    response = staff.post("/api/v1/agency/service-points", body, format="json")
    assert response.status_code == 201
    assert (response.json()["province"], response.json()["kind"]) == ("31", "hospital")
    assert _code(staff.post("/api/v1/agency/service-points", body, format="json")) == "username_taken"
