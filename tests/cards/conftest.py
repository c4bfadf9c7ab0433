import datetime

import pytest

from tests.factories import CitizenFactory, make_id_number, register_person


@pytest.fixture
def holder(db):
    """A person born 1985 with a citizen account of their own."""
    person = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1985, 6, 15), sequence=7),
        name="李四",
    )
    person.citizen = CitizenFactory(id_number=person.id_number)
    return person


def make_point(province: str, kind: str, name: str = "") -> "ServicePoint":  # noqa: F821
    from cards.services.uses import service_point_register

    username = f"point-{province}-{kind}-{name or 'x'}"
    return service_point_register(
        username=username,
        password="a-long-passphrase-9",
        province_id=province,
        kind=kind,
        name=name or username,
    )


@pytest.fixture
def point_factory(db):
    return make_point


@pytest.fixture(autouse=True)
def ecard_keys_forgotten():
    """Each test's keys are its own (rolled back after it): no process cache carries one into the next."""
    from cards.services.ecard import PUBLISHED_KEYS, SIGNING_KEY

    SIGNING_KEY.forget()
    PUBLISHED_KEYS.forget()
