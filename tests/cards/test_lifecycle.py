"""The card's lifecycle through its services: every move, every refusal, the one-card rule, replacement,
temporary losses, PIN lockout, the photo's keeping and end, and a death from either path."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cards.models import (
    BankStatus,
    Card,
    CardDataReadLog,
    CardNumber,
    CardPhoto,
    CardProvinceConfig,
    CardStatus,
)
from cards.rules import CardRules, valid_until
from cards.selectors import card_bank_account_reveal, card_events, card_photo_read, production_batch_file
from cards.services import cards as services
from cards.services.cards import BankAccount, Consent
from cards.services.production import production_batch_create, production_batch_return
from core.exceptions import ApplicationError
from imports.services import import_job_run, import_upload
from insurance.models import IdentityReadLog
from tests.cards.cardmaking import BANK_ACCOUNT, PIN, apply_card, enabled_card, face, issue, one_face
from tests.factories import (
    TEST_ACTOR,
    AgencyStaffFactory,
    AgencySystemFactory,
    authenticated_client,
    make_id_number,
    register_person,
)

pytestmark = pytest.mark.django_db


def _moves(card):
    return [(e.from_state, e.to_state) for e in card_events(card=card)]


def _refused(code, call, card=None):
    before = (
        Card.objects.filter(pk=card.pk).values().first() if card is not None else list(Card.objects.values())
    )
    with pytest.raises(ApplicationError) as refusal:
        call()
    assert refusal.value.code == code
    after = (
        Card.objects.filter(pk=card.pk).values().first() if card is not None else list(Card.objects.values())
    )
    assert after == before  # nothing written


def test_application_through_production_to_enabled_and_bank_activated(holder):
    card = apply_card(holder)
    assert card.status == CardStatus.APPLIED
    assert len(card.number) == 9 and card.number[0].isalpha() and card.number[1:].isdigit()
    assert CardNumber.objects.get(number=card.number).card_id == card.pk
    assert card.bank_account_masked == "6222 **** **** 3445"
    assert BANK_ACCOUNT not in card.bank_account_ciphertext
    assert card.pin_hash.startswith("argon2") and PIN not in card.pin_hash

    staff = AgencyStaffFactory(province="11")
    batch = production_batch_create(province_id="11", actor=TEST_ACTOR)
    card.refresh_from_db()
    assert (card.status, card.production_batch_id, batch.card_count) == (
        CardStatus.IN_PRODUCTION,
        batch.pk,
        1,
    )
    lines = production_batch_file(batch=batch, reader=staff).splitlines()
    assert lines[0].split(",")[:5] == ["card_number", "name", "sex", "birth_date", "id_number"]
    assert lines[1].split(",")[4] == holder.id_number  # printed on the card's face, and the read logged
    assert IdentityReadLog.objects.filter(reader=staff, person=holder).count() == 1

    day = timezone.localdate() - datetime.timedelta(days=1)
    returned = production_batch_return(
        batch=batch, content=f"card_number,issue_date\n{card.number},{day}\n", actor=TEST_ACTOR
    )
    card.refresh_from_db()
    assert (returned.issued, card.status, card.issue_date) == (1, CardStatus.ISSUED, day)
    # Born 1985: 20 years' validity.
    assert card.valid_until == day.replace(year=day.year + 20) - datetime.timedelta(days=1)
    card = services.card_enable(card=card, actor=TEST_ACTOR)
    card = services.card_bank_activate(card=card, actor=TEST_ACTOR)
    assert (card.status, card.bank_status) == (CardStatus.ENABLED, BankStatus.ACTIVE)
    assert _moves(card) == [
        ("", "applied"),
        ("applied", "in_production"),
        ("in_production", "issued"),
        ("issued", "enabled"),
        ("inactive", "active"),
    ]
    event = card_events(card=card).last()
    assert (event.channel, event.reason) == ("admin", "Bank function activated")


def test_validity_follows_the_age_and_the_provinces_configuration():
    rules = CardRules()
    issued = datetime.date(2026, 3, 1)
    assert valid_until(birth_date=datetime.date(2015, 1, 1), issue_date=issued, rules=rules) == datetime.date(
        2032, 2, 29
    )
    assert valid_until(birth_date=datetime.date(2005, 1, 1), issue_date=issued, rules=rules) == datetime.date(
        2036, 2, 29
    )
    assert valid_until(birth_date=datetime.date(1980, 1, 1), issue_date=issued, rules=rules) == datetime.date(
        2046, 2, 28
    )
    assert valid_until(birth_date=datetime.date(1960, 1, 1), issue_date=issued, rules=rules) is None
    assert valid_until(
        birth_date=datetime.date(1980, 1, 1), issue_date=issued, rules=CardRules(validity_years_26_to_59=10)
    ) == datetime.date(2036, 2, 29)


def test_a_provinces_own_validity_is_used_on_issue(holder):
    CardProvinceConfig.objects.create(province_id="11", validity_years_26_to_59=5)
    day = datetime.date(2026, 1, 10)
    card = issue(apply_card(holder), day=day)
    assert card.valid_until == datetime.date(2031, 1, 9)


def test_application_refusals_write_nothing(holder):
    bank = BankAccount("Bank", BANK_ACCOUNT)
    consent = Consent(True, "yes")
    for code, kwargs in [
        ("card_pin_format", {"pin": "12345"}),
        ("card_pin_format", {"pin": "111111"}),
        ("card_bank_account_format", {"bank": BankAccount("Bank", "12ab")}),
        ("card_photo_consent_required", {"consent": Consent(False, "yes")}),
        ("province_unknown", {"province_id": "99"}),
    ]:
        arguments = {
            "person_id": holder.pk, "province_id": "11", "bank": bank, "pin": PIN, "photo": one_face(),
            "consent": consent, "actor": TEST_ACTOR, **kwargs,
        }  # fmt: skip
        _refused(code, lambda arguments=arguments: services.card_apply(**arguments))
    assert not CardNumber.objects.exists() and not CardPhoto.objects.exists()


def test_a_second_application_and_an_application_beside_a_valid_card_are_refused(holder):
    card = apply_card(holder)
    _refused("card_application_pending", lambda: apply_card(holder))
    issue(card)
    _refused("card_already_held", lambda: apply_card(holder))


def test_the_database_holds_one_valid_card_per_person(holder):
    card = issue(apply_card(holder))
    twin = Card.objects.get(pk=card.pk)
    twin.pk, twin.number, twin.status = None, "Z00000000", CardStatus.ENABLED
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_replacement_gets_a_new_number_and_supersedes_the_old_card_on_issue(holder):
    old = enabled_card(holder)
    new = services.card_replacement_apply(card=old, reason="damage", actor=TEST_ACTOR)
    assert new.number != old.number and new.province_id == "11"
    assert new.pin_hash == old.pin_hash and CardPhoto.objects.filter(card=new).exists()
    old.refresh_from_db()
    assert old.status == CardStatus.ENABLED  # still the valid card until the new one is issued
    _refused(
        "card_application_pending",
        lambda: services.card_replacement_apply(card=old, reason="damage", actor=TEST_ACTOR),
    )
    new = issue(new)
    old.refresh_from_db()
    assert (old.status, new.status) == (CardStatus.REPLACED, CardStatus.ISSUED)
    assert old.ended_at is not None
    assert _moves(old)[-1] == ("enabled", "replaced")
    _refused(
        "card_not_replaceable",
        lambda: services.card_replacement_apply(card=old, reason="damage", actor=TEST_ACTOR),
    )


def test_a_move_to_another_province_is_issued_by_the_new_province(holder):
    old = enabled_card(holder)
    _refused(
        "card_replacement_province_required",
        lambda: services.card_replacement_apply(
            card=old, reason="province_move", province_id="11", actor=TEST_ACTOR
        ),
    )
    new = services.card_replacement_apply(
        card=old, reason="province_move", province_id="44", actor=TEST_ACTOR
    )
    assert new.province_id == "44"
    assert production_batch_create(province_id="44", actor=TEST_ACTOR).card_count == 1


def test_a_change_of_bank_needs_the_new_account(holder):
    old = enabled_card(holder)
    _refused(
        "card_replacement_bank_required",
        lambda: services.card_replacement_apply(card=old, reason="changed_bank", actor=TEST_ACTOR),
    )
    _refused(
        "card_replacement_reason_unknown",
        lambda: services.card_replacement_apply(card=old, reason="boredom", actor=TEST_ACTOR),
    )
    new = services.card_replacement_apply(
        card=old, reason="changed_bank", bank=BankAccount("中国银行", "6013820000123456789"), actor=TEST_ACTOR
    )
    assert (new.bank_name, new.bank_account_masked) == ("中国银行", "6013 **** **** 6789")


def test_temporary_loss_is_withdrawn_back_to_where_the_card_was(holder):
    card = enabled_card(holder)
    card = services.card_report_lost(card=card, formal=False, actor=TEST_ACTOR)
    assert (card.status, card.resume_status) == (CardStatus.TEMPORARILY_LOST, CardStatus.ENABLED)
    _refused(
        "card_already_reported_lost",
        lambda: services.card_report_lost(card=card, formal=False, actor=TEST_ACTOR),
        card,
    )
    card = services.card_loss_withdraw(card=card, actor=TEST_ACTOR)
    assert (card.status, card.resume_status, card.temporarily_lost_at) == (CardStatus.ENABLED, "", None)
    _refused(
        "card_not_temporarily_lost", lambda: services.card_loss_withdraw(card=card, actor=TEST_ACTOR), card
    )


def test_a_temporary_loss_cannot_be_withdrawn_once_a_replacement_is_applied_for(holder):
    card = services.card_report_lost(card=enabled_card(holder), formal=False, actor=TEST_ACTOR)
    services.card_replacement_apply(card=card, reason="loss", actor=TEST_ACTOR)
    _refused(
        "card_replacement_applied", lambda: services.card_loss_withdraw(card=card, actor=TEST_ACTOR), card
    )


def test_a_formal_loss_is_irreversible(holder):
    card = services.card_report_lost(card=enabled_card(holder), formal=False, actor=TEST_ACTOR)
    card = services.card_report_lost(card=card, formal=True, actor=TEST_ACTOR)
    assert card.status == CardStatus.FORMALLY_LOST and card.ended_at is not None
    for call in (
        lambda: services.card_loss_withdraw(card=card, actor=TEST_ACTOR),
        lambda: services.card_report_lost(card=card, formal=True, actor=TEST_ACTOR),
        lambda: services.card_unlock(card=card, actor=TEST_ACTOR),
    ):
        with pytest.raises(ApplicationError):
            call()
    card.refresh_from_db()
    assert card.status == CardStatus.FORMALLY_LOST
    # The formally lost card is replaced by a new application; the person can hold a card again.
    new = issue(services.card_replacement_apply(card=card, reason="loss", actor=TEST_ACTOR))
    card.refresh_from_db()
    assert (new.status, card.status) == (CardStatus.ISSUED, CardStatus.FORMALLY_LOST)


def test_temporary_losses_lapse_after_the_provinces_days(holder):
    card = services.card_report_lost(card=enabled_card(holder), formal=False, actor=TEST_ACTOR)
    reported = card.temporarily_lost_at
    assert services.cards_temporary_loss_lapse(now=reported + datetime.timedelta(days=9)) == 0
    assert services.cards_temporary_loss_lapse(now=reported + datetime.timedelta(days=10)) == 1
    card.refresh_from_db()
    assert card.status == CardStatus.ENABLED
    event = card_events(card=card).last()
    assert (event.channel, event.reason) == ("periodic", "Temporary loss lapsed")
    CardProvinceConfig.objects.create(province_id="11", temporary_loss_days=3)
    card = services.card_report_lost(card=card, formal=False, actor=TEST_ACTOR)
    assert services.cards_temporary_loss_lapse(now=card.temporarily_lost_at + datetime.timedelta(days=3)) == 1


def test_a_temporary_loss_with_a_replacement_applied_for_does_not_lapse(holder):
    card = services.card_report_lost(card=enabled_card(holder), formal=False, actor=TEST_ACTOR)
    services.card_replacement_apply(card=card, reason="loss", actor=TEST_ACTOR)
    assert services.cards_temporary_loss_lapse(now=timezone.now() + datetime.timedelta(days=30)) == 0


def test_lock_unlock_seal_unseal_and_cancel(holder):
    card = enabled_card(holder)
    card = services.card_lock(card=card, actor=TEST_ACTOR, reason="Suspicious use")
    _refused("card_not_usable", lambda: services.card_lock(card=card, actor=TEST_ACTOR, reason="again"), card)
    _refused("card_not_sealed", lambda: services.card_unseal(card=card, actor=TEST_ACTOR), card)
    card = services.card_unlock(card=card, actor=TEST_ACTOR)
    assert card.status == CardStatus.ENABLED
    _refused("card_not_locked", lambda: services.card_unlock(card=card, actor=TEST_ACTOR), card)
    card = services.card_seal(card=card, actor=TEST_ACTOR, reason="Court order")
    _refused(
        "card_not_usable", lambda: services.card_report_lost(card=card, formal=False, actor=TEST_ACTOR), card
    )
    card = services.card_unseal(card=card, actor=TEST_ACTOR)
    card = services.card_cancel(card=card, actor=TEST_ACTOR, reason="Emigration")
    assert card.status == CardStatus.CANCELLED
    _refused("card_ended", lambda: services.card_cancel(card=card, actor=TEST_ACTOR, reason="again"), card)
    assert [to for _, to in _moves(card)][-5:] == ["locked", "enabled", "sealed", "enabled", "cancelled"]


def test_enabling_needs_an_issued_card(holder):
    card = apply_card(holder)
    _refused("card_not_issued", lambda: services.card_enable(card=card, actor=TEST_ACTOR), card)
    card = enabled_card(register_person(id_number=make_id_number(sequence=8), name="王五"))
    _refused(
        "card_bank_already_active", lambda: services.card_bank_activate(card=card, actor=TEST_ACTOR), card
    )


def test_wrong_pins_lock_the_card_at_the_provinces_limit_and_unlocking_forgets_them(holder):
    card = enabled_card(holder)
    for left in (2, 1):
        with pytest.raises(ApplicationError) as refusal:
            services.card_pin_check(card=card, pin="000001", actor=TEST_ACTOR)
        assert (refusal.value.code, refusal.value.fields["tries_left"]) == ("card_pin_wrong", [left])
    services.card_pin_check(card=card, pin=PIN, actor=TEST_ACTOR)  # a right PIN resets the count
    card.refresh_from_db()
    assert card.pin_failures == 0
    for _ in range(2):
        with pytest.raises(ApplicationError):
            services.card_pin_check(card=card, pin="000001", actor=TEST_ACTOR)
    with pytest.raises(ApplicationError) as refusal:
        services.card_pin_check(card=card, pin="000001", actor=TEST_ACTOR)
    assert refusal.value.code == "card_locked"
    card.refresh_from_db()
    assert (card.status, card.pin_failures, card.resume_status) == (CardStatus.LOCKED, 3, CardStatus.ENABLED)
    with pytest.raises(ApplicationError) as refusal:
        services.card_pin_check(card=card, pin=PIN, actor=TEST_ACTOR)  # even the right PIN, while locked
    assert refusal.value.code == "card_locked"
    card = services.card_unlock(card=card, actor=TEST_ACTOR)
    assert (card.status, card.pin_failures) == (CardStatus.ENABLED, 0)


def test_a_provinces_pin_limit_and_the_pin_change(holder):
    CardProvinceConfig.objects.create(province_id="11", pin_attempt_limit=1)
    card = enabled_card(holder)
    with pytest.raises(ApplicationError) as refusal:
        services.card_pin_change(card=card, current_pin=PIN, new_pin="123", actor=TEST_ACTOR)
    assert refusal.value.code == "card_pin_format"
    services.card_pin_change(card=card, current_pin=PIN, new_pin="417209", actor=TEST_ACTOR)
    services.card_pin_check(card=card, pin="417209", actor=TEST_ACTOR)
    with pytest.raises(ApplicationError) as refusal:
        services.card_pin_check(card=card, pin=PIN, actor=TEST_ACTOR)
    assert refusal.value.code == "card_locked"


def test_the_photo_is_encrypted_its_reads_logged_and_it_goes_with_the_cards_retention(holder, settings):
    card = enabled_card(holder)
    stored = CardPhoto.objects.get(card=card)
    assert bytes(stored.ciphertext) != face() and stored.consent_text == "I consent."
    content, content_type = card_photo_read(card=card, reader_id=None, purpose="pension certification")
    assert (content, content_type) == (face(), "image/jpeg")
    assert card_bank_account_reveal(card=card, reader_id=None, purpose="pension payment") == BANK_ACCOUNT
    assert list(CardDataReadLog.objects.values_list("what", "purpose")) == [
        ("photo", "pension certification"),
        ("bank_account", "pension payment"),
    ]
    card = services.card_cancel(card=card, actor=TEST_ACTOR, reason="Emigration")
    settings.CARD_PHOTO_RETENTION_DAYS = 30
    assert services.card_photos_purge(now=card.ended_at + datetime.timedelta(days=29)) == 0
    assert services.card_photos_purge(now=card.ended_at + datetime.timedelta(days=31)) == 1
    assert card_photo_read(card=card, reader_id=None, purpose="late") is None


def test_the_returned_file_is_checked_whole(holder):
    card = apply_card(holder)
    batch = production_batch_create(province_id="11", actor=TEST_ACTOR)
    card.refresh_from_db()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for code, content in [
        ("card_batch_file_header", "number,date\nX,2026-01-01\n"),
        ("batch_refused", f"card_number,issue_date\n{card.number},2026-01-01\nA99999999,2026-01-01\n"),
        ("batch_refused", f"card_number,issue_date\n{card.number},{tomorrow}\n"),
    ]:
        _refused(
            code,
            lambda content=content: production_batch_return(batch=batch, content=content, actor=TEST_ACTOR),
            card,
        )
    _refused("card_batch_empty", lambda: production_batch_create(province_id="11", actor=TEST_ACTOR))


def _record_death(person, *, through: str) -> None:
    if through == "api":
        client = authenticated_client(AgencyStaffFactory(province="11"))
        response = client.post(f"/api/v1/agency/persons/{person.pk}/death", {"date_of_death": "2026-01-05"})
        assert response.status_code == 200, response.json()
    else:
        system = AgencySystemFactory(province="11")
        job, _ = import_upload(
            user=system,
            kind="deaths",
            province_id="11",
            uploaded=SimpleUploadedFile(
                "deaths.csv", f"id_number,date_of_death,source\n{person.id_number},2026-01-05,x\n".encode()
            ),
            enqueue=False,
        )
        job = import_job_run(job_id=job.pk)
        assert not job.row_errors.exists()


@pytest.mark.parametrize("through", ["api", "import"])
def test_a_recorded_death_cancels_the_card_and_an_application_in_progress(holder, through):
    from insurance.models import Scheme
    from tests.factories import open_relationship

    open_relationship(person=holder, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)
    card = enabled_card(holder)
    pending = services.card_replacement_apply(card=card, reason="damage", actor=TEST_ACTOR)
    _record_death(holder, through=through)
    card.refresh_from_db()
    pending.refresh_from_db()
    assert (card.status, pending.status) == (CardStatus.CANCELLED, CardStatus.CANCELLED)
    event = card_events(card=card).last()
    assert (event.to_state, event.reason, event.channel) == ("cancelled", "Death of the holder", through)
