"""The online check's one read (cards.selectors.ecard_verification_facts) against the ORM reads it
replaces: the same card, point and filing answer, in every case."""

import datetime

import pytest
from django.utils import timezone

from cards.models import MedicalFiling
from cards.selectors import card_by_number, ecard_verification_facts, medical_filing_in_force
from tests.cards.cardmaking import enabled_card
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def _orm(number, user_id):
    from cards.models import ServicePoint

    card = card_by_number(number=number)
    point = ServicePoint.objects.filter(user_id=user_id).first()
    filing = bool(card and point) and medical_filing_in_force(
        person_id=card.person_id, province_id=point.province_id
    )
    return card, point, filing


@pytest.mark.parametrize("filing", [None, "in force", "ended", "elsewhere"])
def test_the_one_read_answers_as_the_orm_reads(holder, point_factory, filing):
    card = enabled_card(holder)
    point = point_factory("44", "hospital")
    today = timezone.localdate()
    if filing is not None:
        MedicalFiling.objects.create(
            person_id=holder.pk,
            province_id="31" if filing == "elsewhere" else "44",
            valid_from=today - datetime.timedelta(days=30),
            valid_until=today - datetime.timedelta(days=1) if filing == "ended" else None,
        )
    not_a_point = CitizenFactory()
    for number, user_id in [
        (card.number, point.pk),
        ("A00000000", point.pk),
        (card.number, not_a_point.pk),
    ]:
        facts = ecard_verification_facts(card_number=number, point_user_id=user_id)
        orm_card, orm_point, orm_filing = _orm(number, user_id)
        assert (facts.card, facts.point, facts.has_medical_filing) == (orm_card, orm_point, orm_filing)
        if orm_card is not None:
            assert [getattr(facts.card, f.attname) for f in orm_card._meta.concrete_fields] == [
                getattr(orm_card, f.attname) for f in orm_card._meta.concrete_fields
            ]
            assert (facts.holder_name, facts.id_number_ciphertext) == (
                holder.name,
                holder.id_number_ciphertext,
            )
        if orm_point is not None:
            assert (facts.point.province_id, facts.point.kind, facts.point.name) == (
                orm_point.province_id,
                orm_point.kind,
                orm_point.name,
            )
    assert ecard_verification_facts(card_number=card.number, point_user_id=point.pk).has_medical_filing is (
        filing == "in force"
    )
