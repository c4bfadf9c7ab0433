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
from accounts.scope import Scope
from accounts.services import auth_token_issue
from core.identity import IdentityNumber, Sex, check_character
from core.models import Channel, Region
from core.states import Actor
from insurance.models import ContributionRecord, Employer, InsuranceRelationship, InsuredPerson
from insurance.services.contributions import ContributionMonth, contributions_record
from insurance.services.persons import PersonDetails, person_register, person_register_death
from insurance.services.relationships import Enrolment, relationship_open

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


# --- the registry's services, called as an administrator would through the admin ------------------------

TEST_ACTOR = Actor(Channel.ADMIN)
_EVERYONE = Scope(role=Role.ADMINISTRATOR)


def register_person(
    *,
    id_number: str,
    name: str,
    hukou_province: str | None = None,
    residence_province: str | None = None,
    phone: str = "",
) -> InsuredPerson:
    person, _ = person_register(
        details=PersonDetails(
            id_number=IdentityNumber.parse(id_number),
            name=name,
            hukou_province=hukou_province,
            residence_province=residence_province,
            phone=phone,
        ),
        scope=_EVERYONE,
        actor=TEST_ACTOR,
    )
    return person


def open_relationship(
    *,
    person: InsuredPerson,
    scheme: str,
    province_id: str,
    opened_period: int,
    approved_transfer: bool = False,
    employer: Employer | None = None,
) -> InsuranceRelationship:
    return relationship_open(
        enrolment=Enrolment(
            person_id=person.pk,
            scheme=scheme,
            province_id=province_id,
            start_period=opened_period,
            employer_id=employer.pk if employer else None,
            approved_transfer=approved_transfer,
        ),
        actor=TEST_ACTOR,
    )


def record_contributions(
    *, person: InsuredPerson, scheme: str, province_id: str, months: list[ContributionMonth]
) -> list[ContributionRecord]:
    """The records written, oldest first."""
    periods = contributions_record(person_id=person.pk, scheme=scheme, province_id=province_id, months=months)
    return list(
        ContributionRecord.objects.filter(
            person=person, scheme=scheme, province_id=province_id, period__in=periods
        ).order_by("period")
    )


def register_death(*, person: InsuredPerson, date_of_death: datetime.date) -> InsuredPerson:
    return person_register_death(person=person, date_of_death=date_of_death, actor=TEST_ACTOR)
