"""The transfers' back office: each province's clerks see the transfers into or out of their province,
take their own side's steps through the services, and see nothing of other provinces' transfers."""

from decimal import Decimal
from itertools import count

import pytest
from django.test import Client

from accounts.services import agency_staff_create
from insurance.models import Scheme, Transfer, TransferStatus
from insurance.services.contributions import ContributionMonth
from insurance.services.relationships import relationship_suspend
from insurance.services.transfers import transfer_apply
from tests.factories import EMPLOYER_CODE, TEST_ACTOR, open_relationship, record_contributions

pytestmark = pytest.mark.django_db
EP = Scheme.EMPLOYEE_PENSION
URL = "/admin/insurance/transfer/"


@pytest.fixture
def transfer(paying_person):
    relationship = paying_person.relationships.get(scheme=EP, province_id="11")
    relationship_suspend(relationship=relationship, period=202404, actor=TEST_ACTOR)
    open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    record_contributions(
        person=paying_person,
        scheme=EP,
        province_id="44",
        months=[ContributionMonth(period=202405, declared_base=Decimal("8000"), employer_code=EMPLOYER_CODE)],
    )
    return transfer_apply(person=paying_person, scheme=EP, actor=TEST_ACTOR)


_CLERKS = count()


def _clerk(province: str) -> Client:
    username = f"clerk.{province}.{next(_CLERKS)}"
    clerk = agency_staff_create(username=username, password="a-long-passphrase-42", province_code=province)
    client = Client()
    client.force_login(clerk)
    return client


def _act(client: Client, action: str, transfer: Transfer, **extra) -> Transfer:
    client.post(URL, {"action": action, "_selected_action": [str(transfer.pk)], **extra})
    transfer.refresh_from_db()
    return transfer


def test_each_province_takes_its_own_steps_through_the_services(transfer):
    guangdong, beijing = _clerk("44"), _clerk("11")

    assert _act(beijing, "accept", transfer).status == TransferStatus.APPLIED  # not Beijing's step
    assert _act(guangdong, "reject", transfer, reason="").status == TransferStatus.APPLIED  # no reason
    assert _act(guangdong, "accept", transfer).status == TransferStatus.ACCEPTED
    assert _act(guangdong, "send", transfer).status == TransferStatus.ACCEPTED  # Beijing sends
    assert _act(beijing, "send", transfer).status == TransferStatus.FUNDS_SENT
    assert transfer.pooled_amount == Decimal("4320.00")
    assert _act(guangdong, "complete", transfer).status == TransferStatus.COMPLETED


def test_the_queue_lists_a_provinces_transfers_with_filters_and_nothing_of_others(transfer):
    for province in ("11", "44"):
        page = _clerk(province).get(URL)
        assert page.status_code == 200
        assert list(page.context["cl"].result_list) == [transfer]
    guangdong = _clerk("44")
    assert list(guangdong.get(URL, {"side": "in"}).context["cl"].result_list) == [transfer]
    assert list(guangdong.get(URL, {"side": "out"}).context["cl"].result_list) == []
    assert list(guangdong.get(URL, {"status__exact": "accepted"}).context["cl"].result_list) == []
    shanghai = _clerk("31")
    assert list(shanghai.get(URL).context["cl"].result_list) == []
    assert shanghai.get(f"{URL}{transfer.pk}/change/").status_code in (302, 403, 404)
    assert _act(shanghai, "accept", transfer).status == TransferStatus.APPLIED
