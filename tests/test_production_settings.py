"""Production configuration: `check --deploy` is clean, weak or missing secrets stop the process, and
platform/env.example documents every variable the settings read. Each case runs manage.py in a fresh
process, since settings are read once per process."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent


def _production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "IDENTITY_", "IMPORT_FILE_", "DOCUMENT_SIGNING_"))
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        IDENTITY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        IDENTITY_HMAC_KEY=secrets.token_urlsafe(32),
        IMPORT_FILE_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="api.si.example.gov.cn",
        DOCUMENT_SIGNING_KEY_FILE="/run/secrets/document-signing-key.pem",
        DOCUMENT_SIGNING_CERT_FILE="/run/secrets/document-signing-cert.pem",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings():
    result = _manage(_production_env(), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set in production."),
        (
            {"DJANGO_SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(48)},
            "DJANGO_SECRET_KEY must be a real random key of at least 50 characters.",
        ),
        (
            {"DJANGO_SECRET_KEY": secrets.token_urlsafe(24)},
            "DJANGO_SECRET_KEY must be a real random key of at least 50 characters.",
        ),
        ({"IDENTITY_ENCRYPTION_KEYS": None}, "IDENTITY_ENCRYPTION_KEYS must be set in production."),
        ({"IDENTITY_HMAC_KEY": None}, "IDENTITY_HMAC_KEY must be set in production."),
        ({"IMPORT_FILE_ENCRYPTION_KEYS": None}, "IMPORT_FILE_ENCRYPTION_KEYS must be set in production."),
        (
            {"IMPORT_FILE_ENCRYPTION_KEYS": "c2hvcnQ="},
            "IMPORT_FILE_ENCRYPTION_KEYS must be one or more 32-byte keys in URL-safe base64, "
            "comma-separated.",
        ),
        (
            {"IDENTITY_ENCRYPTION_KEYS": ""},
            "IDENTITY_ENCRYPTION_KEYS must be one or more Fernet keys, comma-separated.",
        ),
        (
            {"IDENTITY_ENCRYPTION_KEYS": "not-a-fernet-key"},
            "IDENTITY_ENCRYPTION_KEYS must be one or more Fernet keys, comma-separated.",
        ),
        ({"IDENTITY_HMAC_KEY": ""}, "IDENTITY_HMAC_KEY must be a random key of at least 32 characters."),
        (
            {"IDENTITY_HMAC_KEY": "build-only-unused-key"},
            "IDENTITY_HMAC_KEY must be a random key of at least 32 characters.",
        ),
        (
            {"DJANGO_ALLOWED_HOSTS": None},
            "DJANGO_ALLOWED_HOSTS must name the service's hosts in production (not *).",
        ),
        (
            {"DJANGO_ALLOWED_HOSTS": "*"},
            "DJANGO_ALLOWED_HOSTS must name the service's hosts in production (not *).",
        ),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be off in production: it shows code and settings."),
        (
            {"DJANGO_SECRET_KEY": "a" * 58},
            "DJANGO_SECRET_KEY must be a real random key of at least 50 characters.",
        ),
        (
            {"IDENTITY_HMAC_KEY": "a" * 32},
            "IDENTITY_HMAC_KEY must be a random key of at least 32 characters.",
        ),
        ({"DJANGO_ENV": "Production"}, "DJANGO_ENV is 'Production': it must be 'local' or 'production'."),
        ({"DJANGO_ENV": "prod"}, "DJANGO_ENV is 'prod': it must be 'local' or 'production'."),
        (
            {"DOCUMENT_SIGNING_KEY_FILE": None},
            "DOCUMENT_SIGNING_KEY_FILE and DOCUMENT_SIGNING_CERT_FILE must be set in production.",
        ),
    ],
    ids=[
        "no-secret-key",
        "insecure-secret-key",
        "short-secret-key",
        "no-encryption-keys",
        "no-hmac-key",
        "no-file-encryption-keys",
        "short-file-encryption-key",
        "empty-encryption-keys",
        "malformed-encryption-key",
        "empty-hmac-key",
        "short-hmac-key",
        "no-hosts",
        "any-host",
        "debug-on",
        "all-a-secret-key",
        "all-a-hmac-key",
        "capitalised-env",
        "abbreviated-env",
        "no-document-signing-key",
    ],
)
def test_production_refuses_to_start_without_real_secrets(overrides, message):
    result = _manage(_production_env(**overrides), "check")

    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_env_example_documents_every_variable_the_settings_read():
    read = set()
    settings_source = (BASE_DIR / "config" / "settings.py").read_text()
    read |= set(re.findall(r'(?:env\.\w+|_secret)\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    for script in ("gunicorn.conf.py", "localenv.py"):
        source = (BASE_DIR / "platform" / script).read_text()
        read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', source))
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (BASE_DIR / "platform" / "env.example").read_text(), re.M)
    )

    assert "DJANGO_SECRET_KEY" in read
    assert read - documented == set()
