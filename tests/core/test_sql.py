import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accounts.models import AuthToken, User
from accounts.services import auth_token_issue
from core.sql import ModelColumns, instances
from insurance.models import ParticipationCertificate
from tests.factories import AgencyStaffFactory, CitizenFactory

pytestmark = pytest.mark.django_db


def _all_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_an_instance_read_by_hand_equals_the_one_the_orm_reads():
    citizen = CitizenFactory()
    columns = ModelColumns(User, "account")

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM accounts_user account WHERE account.id = %s", [citizen.pk])
        user = columns.instance(cursor.fetchone())

    assert _all_values(user) == _all_values(User.objects.get(pk=citizen.pk))
    assert user._state.adding is False
    assert user._state.db == "default"


def test_one_row_gives_an_instance_per_model_it_selected_in_turn():
    staff = AgencyStaffFactory(province="44")
    auth_token_issue(user=staff)
    token_columns, user_columns = ModelColumns(AuthToken, "t"), ModelColumns(User, "u")

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {token_columns.sql}, {user_columns.sql}"
            " FROM accounts_authtoken t JOIN accounts_user u ON u.id = t.user_id WHERE u.id = %s",
            [staff.pk],
        )
        token, user = instances(cursor.fetchone(), token_columns, user_columns)

    assert _all_values(token) == _all_values(AuthToken.objects.get(user=staff))
    assert _all_values(user) == _all_values(User.objects.get(pk=staff.pk))


def test_a_model_whose_values_the_orm_converts_is_refused():
    # ParticipationCertificate.content is a JSONField: its text must be decoded on the way in.
    with pytest.raises(ImproperlyConfigured, match=r"ParticipationCertificate\.content"):
        ModelColumns(ParticipationCertificate, "certificate")
