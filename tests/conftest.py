import datetime
import gettext
import os
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test.signals import setting_changed
from hypothesis import settings
from rest_framework.test import APIClient

from core.translations import translations_compile
from insurance.models import Employer, Scheme
from insurance.services.contributions import ContributionMonth
from insurance.services.tariffs import province_year_config_create
from tests.factories import (
    EMPLOYER_CODE,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

# Machines here are shared: a slow example is not a failure. In CI the examples are also derandomized, so
# that a run is repeatable and a submission cannot fail on a draw that the developer never saw.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "local")


def pytest_collection_modifyitems(items) -> None:
    """A transactional test ends by emptying every table, the regions and other rows the migrations
    write included, so every test after it would run on a database unlike production: each one gets those
    rows back after its flush (serialized rollback), whether or not its own marker asks for it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker is not None
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            item.add_marker(
                pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """The .mo files are build output (make install compiles them): compile any catalogue edited since, so
    that a run straight after editing a .po speaks the edit."""
    if translations_compile():
        # Django may have read the catalogues before they were compiled (as the tests were collected):
        # the signal a settings override sends makes it read them again, once Python's gettext forgets
        # the files it read.
        gettext._translations.clear()
        setting_changed.send(
            sender=None, setting="LOCALE_PATHS", value=django_settings.LOCALE_PATHS, enter=False
        )


@pytest.fixture
def english(settings) -> None:
    """For a test that reads English texts: English becomes what a request without Accept-Language, and
    code outside a request, speak (the platform's default is Chinese)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


# Insurance records shared by the app tests and the API guard.
@pytest.fixture
def configured_years(db):
    """Beijing and Guangdong figures for 2023-2024 (average monthly wage of the previous year)."""
    for province, wage in (("11", Decimal("10000.00")), ("44", Decimal("8000.00"))):
        for year in (2023, 2024):
            province_year_config_create(
                province_id=province,
                year=year,
                average_monthly_wage=wage,
                account_interest_rate=Decimal("0.0262"),
            )


@pytest.fixture
def employer(db):
    return Employer.objects.create(code=EMPLOYER_CODE, name="Example Co.", province_id="11")


@pytest.fixture
def person(db):
    return register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1985, 6, 15)), name="张三"
    )


@pytest.fixture
def paying_person(person, configured_years, employer):
    """A Beijing employee with three months of pension contributions in 2024."""
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)
    record_contributions(
        person=person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[
            ContributionMonth(period=p, declared_base=Decimal("12000.00"), employer_code=EMPLOYER_CODE)
            for p in (202401, 202402, 202403)
        ],
    )
    return person
