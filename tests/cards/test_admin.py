"""The cards in the back office: a clerk sees their province's cards only, and moves them only through
the services, each move with its event; a refusal is a message and writes nothing."""

import pytest
from django.test import Client

from accounts.services import agency_staff_create
from cards.models import CardStatus
from cards.selectors import card_events
from tests.cards.cardmaking import enabled_card
from tests.factories import make_id_number, register_person

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-42"


def _signed_in(province: str) -> Client:
    client = Client()
    client.force_login(
        agency_staff_create(username=f"clerk.{province}", password=PASSWORD, province_code=province)
    )
    return client


@pytest.fixture
def two_cards(holder):
    other = register_person(id_number=make_id_number(province="44", sequence=3), name="广东人")
    return enabled_card(holder, province="11"), enabled_card(other, province="44")


def test_a_clerk_lists_and_opens_only_their_provinces_cards(two_cards):
    beijing, guangdong = two_cards
    client = _signed_in("11")
    page = client.get("/admin/cards/card/")
    assert page.status_code == 200
    assert beijing.number in page.content.decode() and guangdong.number not in page.content.decode()
    assert client.get(f"/admin/cards/card/{beijing.pk}/change/").status_code == 200
    assert client.get(f"/admin/cards/card/{guangdong.pk}/change/").status_code in (302, 403, 404)
    detail = client.get(f"/admin/cards/card/{beijing.pk}/change/").content.decode()
    assert "pin_hash" not in detail and "bank_account_ciphertext" not in detail


def test_admin_actions_move_cards_through_the_services(two_cards):
    beijing, guangdong = two_cards
    client = _signed_in("11")
    for action, status in [
        ("report_temporarily_lost", CardStatus.TEMPORARILY_LOST),
        ("withdraw_loss", "enabled"),
    ]:
        response = client.post(
            "/admin/cards/card/",
            {"action": action, "_selected_action": [beijing.pk, guangdong.pk]},
            follow=True,
        )
        assert response.status_code == 200
        beijing.refresh_from_db()
        guangdong.refresh_from_db()
        assert (beijing.status, guangdong.status) == (
            status,
            CardStatus.ENABLED,
        )  # the other province: untouched
    event = card_events(card=beijing).last()
    assert (event.from_state, event.to_state, event.channel) == ("temporarily_lost", "enabled", "admin")
    # A refusal: the card is not locked; nothing moves, and the clerk is told why.
    response = client.post(
        "/admin/cards/card/", {"action": "unlock", "_selected_action": [beijing.pk]}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    beijing.refresh_from_db()
    assert beijing.status == CardStatus.ENABLED
