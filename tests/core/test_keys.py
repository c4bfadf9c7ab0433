"""Identity keys that do not match the stored data are refused at start and before a migration."""

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.checks import identity_keys_match_the_data
from core.keys import key_check_value, key_id, keys_verify
from core.models import KeyCheck
from tests.factories import make_id_number, register_person
from tests.faults.processes import service_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def recorded() -> set[tuple[str, str]]:
    return set(KeyCheck.objects.values_list("kind", "check_value"))


def test_the_migrations_record_a_check_value_of_each_key_and_never_the_key():
    assert recorded() == {("hmac", key_check_value(settings.IDENTITY_HMAC_KEY))} | {
        ("encryption", key_check_value(key)) for key in settings.IDENTITY_ENCRYPTION_KEYS
    }
    stored = str(list(KeyCheck.objects.values()))
    assert settings.IDENTITY_HMAC_KEY not in stored
    assert not any(key in stored for key in settings.IDENTITY_ENCRYPTION_KEYS)


def test_another_hashing_key_is_refused_naming_the_key_the_data_needs(settings):
    needed = key_id(key_check_value(settings.IDENTITY_HMAC_KEY))
    settings.IDENTITY_HMAC_KEY = "another-checkouts-hashing-key-0123456789"
    before = recorded()

    with pytest.raises(ImproperlyConfigured) as refusal:
        keys_verify()

    assert f"IDENTITY_HMAC_KEY id {needed}" in str(refusal.value)
    assert key_id(key_check_value(settings.IDENTITY_HMAC_KEY)) in str(refusal.value)
    assert recorded() == before
    assert identity_keys_match_the_data(databases=["default"])[0].id == "core.E001"


def test_a_missing_encryption_key_is_refused_naming_it(settings):
    needed = key_id(key_check_value(settings.IDENTITY_ENCRYPTION_KEYS[0]))
    settings.IDENTITY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ImproperlyConfigured) as refusal:
        keys_verify()

    assert f"(missing: {needed})" in str(refusal.value)


def test_a_new_encryption_key_in_front_is_a_rotation_and_is_recorded(settings):
    new = Fernet.generate_key().decode()
    settings.IDENTITY_ENCRYPTION_KEYS = [new, *settings.IDENTITY_ENCRYPTION_KEYS]

    keys_verify()

    assert ("encryption", key_check_value(new)) in recorded()
    assert identity_keys_match_the_data(databases=["default"]) == []


def test_data_from_before_the_check_values_is_tested_on_a_row(settings):
    register_person(id_number=make_id_number(province="11"), name="张三")
    KeyCheck.objects.all().delete()
    settings.IDENTITY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ImproperlyConfigured, match="not among IDENTITY_ENCRYPTION_KEYS"):
        keys_verify()
    assert not KeyCheck.objects.exists()


def test_data_from_before_the_check_values_with_the_right_keys_gets_them_recorded():
    register_person(id_number=make_id_number(province="11"), name="张三")
    KeyCheck.objects.all().delete()

    keys_verify()

    assert ("hmac", key_check_value(settings.IDENTITY_HMAC_KEY)) in recorded()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "command",
    [
        ["manage.py", "migrate", "--no-input"],
        ["-c", "import config.wsgi"],  # what gunicorn's master loads first
        ["-m", "celery", "-A", "config", "worker", "-c", "1", "--without-gossip", "--without-mingle"],
    ],
    ids=["migrate", "web", "worker"],
)
def test_processes_with_another_checkouts_keys_do_not_start(command):
    env = service_env(IDENTITY_HMAC_KEY="another-checkouts-hashing-key-0123456789")

    result = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "The identity keys do not match the data" in result.stderr
    assert f"IDENTITY_HMAC_KEY id {key_id(key_check_value(settings.IDENTITY_HMAC_KEY))}" in result.stderr
