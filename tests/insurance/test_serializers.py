"""Serializers that render by hand must show exactly what their declared fields (the schema) describe."""

import datetime

import pytest
from rest_framework import serializers

from insurance.selectors import CONTRIBUTION_FIELDS
from insurance.serializers import ContributionSerializer, PersonDetailSerializer, PersonSerializer
from tests.factories import make_id_number, register_death, register_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    living = register_person(id_number=make_id_number(province="11", sequence=1), name="张一")
    moved = register_person(
        id_number=make_id_number(province="44", sequence=2),
        name="李二",
        residence_province="31",
        phone="13800000000",
    )
    deceased = register_death(person=moved, date_of_death=datetime.date(2024, 5, 1))
    return [living, deceased]


@pytest.mark.parametrize("serializer_class", [PersonSerializer, PersonDetailSerializer])
def test_a_person_is_rendered_as_drf_renders_the_declared_fields(serializer_class, people):
    for person in people:
        # The detail view passes the number revealed by selectors.person_id_number_reveal.
        serializer = serializer_class(person, context={"id_number": person.id_number})
        by_fields = serializers.Serializer.to_representation(serializer, person)

        shown = serializer.data

        assert shown == by_fields
        assert list(shown) == list(by_fields)


def test_a_list_of_people_is_rendered_the_same_way(people):
    shown = PersonSerializer(people, many=True).data

    assert shown == [serializers.Serializer.to_representation(PersonSerializer(p), p) for p in people]
    assert [row["residence_province"] for row in shown] == [None, "31"]
    assert [row["date_of_death"] for row in shown] == [None, "2024-05-01"]


def test_the_contribution_manifest_names_exactly_the_serializers_fields_in_order():
    assert tuple(ContributionSerializer().fields) == CONTRIBUTION_FIELDS
