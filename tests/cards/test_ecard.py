"""The electronic card: QR codes, the signed token and its offline check, key rotation and the published
keys, and the online check with its refusals."""

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cards import ecard_tokens
from cards.models import EcardSigningKey
from cards.services import cards as services
from cards.services.ecard import ecard_keys_rotate, ecard_qr_issue
from core.exceptions import ApplicationError
from tests.cards.cardmaking import PIN, enabled_card
from tests.factories import TEST_ACTOR, authenticated_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(holder):
    return enabled_card(holder)


@pytest.fixture
def hospital(point_factory):
    return authenticated_client(point_factory("11", "hospital").user)


def _qr(client, **body):
    return client.post("/api/v1/me/ecard/qr", body, format="json")


def _verify(client, token):
    return client.post("/api/v1/service-point/ecard/verify", {"token": token}, format="json")


def _code(response):
    return response.json()["error"]["code"]


def _published(client) -> ecard_tokens.OfflineVerifier:
    keys = client.get("/api/v1/ecard/keys").json()["keys"]
    return ecard_tokens.OfflineVerifier({k["kid"]: ecard_tokens.b64decode(k["public_key"]) for k in keys})


def test_a_qr_code_is_issued_and_verified_online_once(holder, card, hospital):
    citizen = authenticated_client(holder.citizen)
    response = _qr(citizen)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") and b"<svg" in response.content
    token = response["Ecard-Token"]
    assert _qr(citizen, image_format="png").content.startswith(b"\x89PNG")

    verified = _verify(hospital, token)
    assert verified.status_code == 200, verified.json()
    body = verified.json()
    assert (body["card_number"], body["card_status"], body["purpose"]) == (card.number, "enabled", "i")
    assert body["name"] == "李*" and body["id_number"] == holder.id_number_masked
    assert body["uses"] == [{"domain": "medical_settlement", "accepted": True, "code": "", "reason": ""}]
    assert _code(_verify(hospital, token)) == "ecard_token_replayed"


def test_a_token_verifies_offline_with_the_published_keys_and_expires(holder, card, settings):
    settings.ECARD_TOKEN_TTL_SECONDS = 60
    token = _qr(authenticated_client(holder.citizen))["Ecard-Token"]
    verifier = _published(authenticated_client(holder.citizen))
    claims = verifier.verify(token)
    assert (claims.card_number, claims.purpose) == (card.number, "i")
    assert claims.expires_at - time.time() == pytest.approx(60, abs=2)
    with pytest.raises(ecard_tokens.TokenRefused) as refused:
        verifier.verify(token, now=claims.expires_at)
    assert refused.value.reason == "expired"


def test_each_bad_token_has_its_own_code(holder, card, hospital, settings):
    citizen = authenticated_client(holder.citizen)
    token = _qr(citizen)["Ecard-Token"]
    payload, signature = token.split(".")
    # Forged: the same claims for another card, under the real key id, signed by someone else's key.
    claims = ecard_tokens.b64decode(payload).replace(card.number.encode(), b"A00000000")
    forged_payload = ecard_tokens.b64encode(claims)
    assert _code(_verify(hospital, f"{forged_payload}.{signature}")) == "ecard_token_forged"
    kid = EcardSigningKey.objects.get(signing=True).kid
    stranger, _ = ecard_tokens.token_sign(
        key=Ed25519PrivateKey.generate(), kid=kid, card_number=card.number, purpose="i", lifetime=60
    )
    assert _code(_verify(hospital, stranger)) == "ecard_token_forged"
    unknown, _ = ecard_tokens.token_sign(
        key=Ed25519PrivateKey.generate(), kid="nokey", card_number=card.number, purpose="i", lifetime=60
    )
    assert _code(_verify(hospital, unknown)) == "ecard_token_unknown_key"
    assert _code(_verify(hospital, "not-a-token")) == "ecard_token_malformed"
    settings.ECARD_TOKEN_TTL_SECONDS = -1
    assert _code(_verify(hospital, _qr(citizen)["Ecard-Token"])) == "ecard_token_expired"
    # None of those burnt the real token.
    assert _verify(hospital, token).status_code == 200


@pytest.mark.parametrize(
    ("move", "code"),
    [
        (lambda card: services.card_report_lost(card=card, formal=False, actor=TEST_ACTOR), "card_lost"),
        (lambda card: services.card_report_lost(card=card, formal=True, actor=TEST_ACTOR), "card_lost"),
        (lambda card: services.card_lock(card=card, actor=TEST_ACTOR, reason="x"), "card_locked"),
        (lambda card: services.card_seal(card=card, actor=TEST_ACTOR, reason="x"), "card_sealed"),
        (lambda card: services.card_cancel(card=card, actor=TEST_ACTOR, reason="x"), "card_cancelled"),
    ],
)
def test_a_token_of_a_card_lost_locked_sealed_or_cancelled_since_is_refused_online(
    holder, card, hospital, move, code
):
    token = _qr(authenticated_client(holder.citizen))["Ecard-Token"]
    move(card)
    assert _code(_verify(hospital, token)) == code


def test_a_token_of_a_superseded_card_is_refused_and_the_replacement_works(holder, card, hospital):
    from tests.cards.cardmaking import issue

    citizen = authenticated_client(holder.citizen)
    token = _qr(citizen)["Ecard-Token"]
    new = issue(services.card_replacement_apply(card=card, reason="damage", actor=TEST_ACTOR))
    assert _code(_verify(hospital, token)) == "card_superseded"
    assert _code(_qr(citizen)) == "card_not_enabled"  # collected, not yet enabled
    services.card_enable(card=new, actor=TEST_ACTOR)
    assert _verify(hospital, _qr(citizen)["Ecard-Token"]).json()["card_number"] == new.number


def test_no_qr_code_for_a_lost_card(holder, card):
    services.card_report_lost(card=card, formal=False, actor=TEST_ACTOR)
    assert _code(_qr(authenticated_client(holder.citizen))) == "card_lost"


def test_a_payment_code_needs_the_ecard_pin_which_is_its_own(holder, card):
    citizen = authenticated_client(holder.citizen)
    assert _code(_qr(citizen, purpose="payment")) == "ecard_pin_required"
    assert _code(_qr(citizen, purpose="payment", ecard_pin=PIN)) == "ecard_pin_not_set"
    assert citizen.post("/api/v1/me/ecard/pin", {"current_pin": PIN, "new_pin": "530618"}).status_code == 204
    assert (
        _code(_qr(citizen, purpose="payment", ecard_pin=PIN)) == "card_pin_wrong"
    )  # the card's PIN is not it
    response = _qr(citizen, purpose="payment", ecard_pin="530618")
    assert response.status_code == 200
    assert _published(citizen).verify(response["Ecard-Token"]).purpose == "p"


def test_rotation_keeps_old_keys_published_so_old_tokens_verify_offline(holder, card, settings):
    citizen = authenticated_client(holder.citizen)
    old_token = _qr(citizen)["Ecard-Token"]
    old_kid = EcardSigningKey.objects.get(signing=True).kid
    assert ecard_keys_rotate().kid == old_kid  # not due yet: nothing changes
    new_kid = ecard_keys_rotate(force=True).kid
    assert new_kid != old_kid
    keys = citizen.get("/api/v1/ecard/keys").json()
    assert [(k["kid"], k["signing"]) for k in keys["keys"]] == [(new_kid, True), (old_kid, False)]
    assert keys["token_lifetime_seconds"] == settings.ECARD_TOKEN_TTL_SECONDS
    verifier = _published(citizen)
    assert verifier.verify(old_token).kid == old_kid
    new_token = _qr(citizen)["Ecard-Token"]
    assert verifier.verify(new_token).kid == new_kid
    # Past the publishing window the old key is withdrawn, and its tokens with it.
    settings.ECARD_KEY_PUBLISHED_HOURS = 0
    with pytest.raises(ecard_tokens.TokenRefused) as refused:
        _published(citizen).verify(old_token)
    assert refused.value.reason == "unknown_key"


def test_signing_keys_are_encrypted_at_rest(card):
    issued = ecard_qr_issue(card=card, purpose="i", actor=TEST_ACTOR)
    key = EcardSigningKey.objects.get(signing=True)
    assert issued.token and key.private_key_ciphertext.startswith("gAAAA")  # Fernet
    assert len(ecard_tokens.b64decode(key.public_key)) == 32


def test_only_service_points_verify(holder, card):
    token = _qr(authenticated_client(holder.citizen))["Ecard-Token"]
    response = _verify(authenticated_client(holder.citizen), token)
    assert (response.status_code, _code(response)) == (403, "permission_denied")
    with pytest.raises(ApplicationError):
        ecard_qr_issue(card=card, purpose="p", actor=TEST_ACTOR)
