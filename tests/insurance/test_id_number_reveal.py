"""A full ID number is shown in one way only: `selectors.person_id_number_reveal`, which logs the read."""

import os
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from insurance.models import IdentityReadLog
from insurance.selectors import person_id_number_reveal
from tests.factories import AdministratorFactory, AgencyStaffFactory, authenticated_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PERSON_ADMIN = "/admin/insurance/insuredperson"


@pytest.fixture
def administrator():
    return AdministratorFactory(username="root")


@pytest.fixture
def admin_site(administrator) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


def test_the_selector_returns_the_full_number_and_logs_the_read_in_one_statement_without_flush_wait(
    paying_person, django_assert_num_queries
):
    staff = AgencyStaffFactory(province="11")
    endpoint = "/api/v1/agency/persons/" + "9" * 300
    before = timezone.now()

    with django_assert_num_queries(1):
        number = person_id_number_reveal(reader=staff, person=paying_person, endpoint=endpoint)

    assert number == paying_person.id_number
    log = IdentityReadLog.objects.get()
    assert (log.reader, log.person, log.endpoint) == (staff, paying_person, endpoint[:200])
    assert before <= log.read_at <= timezone.now()
    # The setting lasts until the end of the transaction that wrote the row: here, the test's own.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("off",)


def test_each_agency_detail_read_logs_exactly_one_read(paying_person):
    staff = AgencyStaffFactory(province="11")
    client = authenticated_client(staff)
    path = f"/api/v1/agency/persons/{paying_person.pk}"

    first, second = client.get(path), client.get(path)

    assert first.json()["id_number"] == second.json()["id_number"] == paying_person.id_number
    assert first.json()["id_number_masked"] == paying_person.id_number_masked
    reads = IdentityReadLog.objects.order_by("pk").values_list("reader", "person", "endpoint")
    assert list(reads) == [(staff.pk, paying_person.pk, path)] * 2


def test_the_admin_change_page_shows_only_the_masked_number_and_logs_nothing(admin_site, person):
    page = admin_site.get(f"{PERSON_ADMIN}/{person.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert person.id_number_masked in content
    assert person.id_number not in content
    assert f'href="{PERSON_ADMIN}/{person.pk}/id-number/"' in content
    assert not IdentityReadLog.objects.exists()


def test_an_old_version_of_a_person_shows_only_the_masked_number_and_logs_nothing(admin_site, person):
    person.phone = "13900000000"
    person.save()  # leaves a version (registration leaves none)

    page = admin_site.get(f"{PERSON_ADMIN}/{person.pk}/history/{person.history.get().history_id}/")

    assert page.status_code == 200
    assert person.id_number_masked in page.content.decode()
    assert person.id_number not in page.content.decode()
    assert not IdentityReadLog.objects.exists()


@pytest.mark.usefixtures("english")
def test_the_admin_asks_before_revealing_and_the_question_logs_nothing(admin_site, person):
    page = admin_site.get(f"{PERSON_ADMIN}/{person.pk}/id-number/")

    assert page.status_code == 200
    assert person.id_number not in page.content.decode()
    assert "Show the full ID number" in page.content.decode()
    assert not IdentityReadLog.objects.exists()


def test_the_admin_reveals_the_full_number_on_request_and_logs_exactly_one_read(
    admin_site, administrator, person
):
    path = f"{PERSON_ADMIN}/{person.pk}/id-number/"

    page = admin_site.post(path)

    assert page.status_code == 200
    assert person.id_number in page.content.decode()
    log = IdentityReadLog.objects.get()
    assert (log.reader, log.person, log.endpoint) == (administrator, person, path)


def test_revealing_a_missing_person_is_404_and_logs_nothing(admin_site, person):
    response = admin_site.post(f"{PERSON_ADMIN}/{person.pk + 1000}/id-number/")

    assert response.status_code == 404
    assert not IdentityReadLog.objects.exists()


def test_an_administrator_without_the_view_permission_cannot_reveal_and_nothing_is_logged(person):
    client = Client()
    client.force_login(AdministratorFactory(is_superuser=False))

    response = client.post(f"{PERSON_ADMIN}/{person.pk}/id-number/")

    assert response.status_code == 403
    assert not IdentityReadLog.objects.exists()


def test_the_reveal_answers_only_get_and_post(admin_site, person):
    response = admin_site.put(f"{PERSON_ADMIN}/{person.pk}/id-number/")

    assert response.status_code == 405
    assert not IdentityReadLog.objects.exists()


def _sources(*suffixes: str):
    """The project's own files (not the tests, migrations or virtualenv), relative to the root."""
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith(".") and name not in ("tests", "migrations")
        ]
        for name in files:
            if name.endswith(suffixes):
                path = Path(directory, name)
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_only_the_selector_writes_identity_reads():
    allowed = {
        "insurance/models/records.py",  # the model
        "insurance/models/__init__.py",  # its export
        "insurance/admin/records.py",  # the read-only list of reads
        "insurance/selectors.py",  # person_id_number_reveal
    }
    naming = {
        path
        for path, text in _sources(".py")
        if re.search(r"IdentityReadLog|insurance_identityreadlog|identity_read_record", text)
    }

    assert naming - allowed == set()


# Modules and templates that render for someone to see: what they show of an ID number is masked, or
# comes from person_id_number_reveal.
DISPLAY = re.compile(r"(^|/)(apis|serializers|admin|views|certificates)\.py$|/admin/[^/]+\.py$|\.html$")
# Reading an `id_number` attribute, with what it is read from.
READ = re.compile(r"([\w\]\)]+)\.id_number\b")
# A line that sets the model's number (which encrypts the number given) is no read of it.
SET = re.compile(r"\.id_number\s*=[^=]")
# Parsed input (insurance.services.persons.PersonDetails, accounts.services.UserBinding): a number someone
# typed in, not one decrypted from a record.
INPUT = {"details", "binding"}


def test_no_display_code_reads_the_full_id_number_itself():
    readers = [
        f"{path}:{number}: {line.strip()}"
        for path, text in _sources(".py", ".html")
        if DISPLAY.search(path)
        for number, line in enumerate(text.splitlines(), start=1)
        if not SET.search(line) and any(read not in INPUT for read in READ.findall(line))
    ]

    assert readers == []
