"""Shared factories for users, and a client signed in with a real token.

citizen = CitizenFactory(id_number="11010519491231002X")
staff = AgencyStaffFactory(province="44")   # a province code or a Region
client = authenticated_client(staff)
"""

from __future__ import annotations

import datetime
from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import auth_token_issue
from core.identity import Sex, check_character
from core.models import Region

DEFAULT_PASSWORD = "a-long-test-passphrase-42"
EMPLOYER_CODE = "91110000600037341L"  # a valid unified social credit code


@cache
def default_password_hash() -> str:
    """Argon2 is slow on purpose; hashing once keeps suites that create many users fast."""
    return make_password(DEFAULT_PASSWORD)


def make_id_number(
    *,
    province: str = "11",
    birth_date: datetime.date = datetime.date(1980, 1, 1),
    sex: Sex | str = Sex.MALE,
    sequence: int = 0,
) -> str:
    """A valid 18-character ID number. `sequence` (0-498) tells apart people with equal birth dates."""
    sequence_digits = 2 * sequence + (1 if Sex(sex) == Sex.MALE else 2)
    first_17 = f"{province}0101{birth_date:%Y%m%d}{sequence_digits:03d}"
    return first_17 + check_character(first_17)


def _nth_id_number(n: int) -> str:
    return make_id_number(birth_date=datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 20000))


def region(code: str | Region) -> Region:
    return code if isinstance(code, Region) else Region.objects.get(code=code)


class _UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.LazyAttributeSequence(lambda user, n: f"{user.role}{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.cn")
    password = factory.LazyFunction(default_password_hash)


class CitizenFactory(_UserFactory):
    role = Role.CITIZEN
    # Goes through the model's encrypting `id_number` setter.
    id_number = factory.Sequence(_nth_id_number)


class _ProvincialUserFactory(_UserFactory):
    province = factory.Transformer("11", transform=region)


class AgencyStaffFactory(_ProvincialUserFactory):
    role = Role.AGENCY_STAFF


class AgencySystemFactory(_ProvincialUserFactory):
    role = Role.AGENCY_SYSTEM


class ServicePointFactory(_UserFactory):
    role = Role.SERVICE_POINT


class AdministratorFactory(_UserFactory):
    role = Role.ADMINISTRATOR
    is_staff = True
    is_superuser = True


def authenticated_client(user: User) -> APIClient:
    """An API client that sends a real token issued to `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth_token_issue(user=user).token}")
    return client
