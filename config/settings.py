"""Settings, all from the environment (see platform/env.example).

DJANGO_ENV=production turns on the production checks: a real secret key and real identity keys are
required, and the security middleware is strict. Any other value is a local run, which needs no
configuration: it generates its own secrets once under .data/.
"""

import base64
import hashlib
import math
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet, MultiFernet
from django.core.exceptions import ImproperlyConfigured

from config.openapi import TAGS as OPENAPI_TAG_LIST
from config.openapi import tag_groups as openapi_tag_groups

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
DATA_DIR = Path(env.str("LOCAL_DATA_DIR", default=str(BASE_DIR / ".data")))
DJANGO_ENV = env.str("DJANGO_ENV", default="local")
# A misspelt "production" must not run with local defaults (generated keys, DEBUG, every host allowed).
if DJANGO_ENV not in ("local", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV is {DJANGO_ENV!r}: it must be 'local' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"


def _low_entropy(key: str) -> bool:
    """A key whose characters repeat like a pattern (all `a`, a word over and over), judged by the Shannon
    entropy of its characters: a random key of the required length has far more than 4 bits a character."""
    counts = [key.count(character) for character in set(key)]
    return -sum(n / len(key) * math.log2(n / len(key)) for n in counts) < 4.0


def _local_secret(name: str, make) -> str:
    """Return a secret for a local run, generated once and kept under .data/ (never in the repo)."""
    path = DATA_DIR / "local-secrets.env"
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            stored[key.strip()] = value.strip()
    if name not in stored:
        stored[name] = make()
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text("".join(f"{k}={v}\n" for k, v in stored.items()))
    return stored[name]


def _secret(name: str, make) -> str:
    if name in env:
        return env.str(name)
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production.")
    return _local_secret(name, make)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = _secret("DJANGO_SECRET_KEY", lambda: secrets.token_urlsafe(50))
_WEAK_KEY_MARKERS = ("django-insecure", "change", "secret")
if PRODUCTION and (
    len(SECRET_KEY) < 50
    or any(marker in SECRET_KEY for marker in _WEAK_KEY_MARKERS)
    or _low_entropy(SECRET_KEY)
):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a real random key of at least 50 characters.")

# Identity numbers at rest: Fernet keys (first one encrypts; all decrypt, for rotation) and the HMAC key
# behind exact look-up.
IDENTITY_ENCRYPTION_KEYS = [
    key.strip() for key in _secret("IDENTITY_ENCRYPTION_KEYS", _fernet_key).split(",") if key.strip()
]
IDENTITY_HMAC_KEY = _secret("IDENTITY_HMAC_KEY", lambda: secrets.token_urlsafe(32))
if PRODUCTION:
    # An empty line copied from env.example counts as "set": refuse it here, not at the first ID number.
    try:
        MultiFernet([Fernet(key) for key in IDENTITY_ENCRYPTION_KEYS])
    except ValueError:
        raise ImproperlyConfigured(
            "IDENTITY_ENCRYPTION_KEYS must be one or more Fernet keys, comma-separated."
        ) from None
    # The ID space is small: a short or empty key would let a database dump be brute-forced.
    if len(IDENTITY_HMAC_KEY) < 32 or _low_entropy(IDENTITY_HMAC_KEY):
        raise ImproperlyConfigured("IDENTITY_HMAC_KEY must be a random key of at least 32 characters.")

# Stored import uploads at rest (imports.storage): AES-256-GCM keys, 32 bytes each in URL-safe base64,
# comma-separated; the first encrypts, all decrypt (prepend a new key to rotate).
IMPORT_FILE_ENCRYPTION_KEYS = [
    key.strip() for key in _secret("IMPORT_FILE_ENCRYPTION_KEYS", _fernet_key).split(",") if key.strip()
]
try:
    if not IMPORT_FILE_ENCRYPTION_KEYS or any(
        len(base64.urlsafe_b64decode(key)) != 32 for key in IMPORT_FILE_ENCRYPTION_KEYS
    ):
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        "IMPORT_FILE_ENCRYPTION_KEYS must be one or more 32-byte keys in URL-safe base64, comma-separated."
    ) from None

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "core",
    "accounts",
    "insurance",
    "cards",
    "certification",
    "imports",
]

if not PRODUCTION:
    # Demo data (`manage.py seed_demo`) is for local runs and benchmarks: production has no such command.
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (the admin's language switch keeps its choice there and in a cookie), before
    # CommonMiddleware; otherwise from Accept-Language, and Chinese when the request names neither.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's overrides of library templates (the admin's base_site.html, with its language
        # switch), found before the apps' own.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/social_insurance"),
}
# Django's PostgreSQL backend with a health check that only asks the server when the connection looks
# broken, and a cursor that prepares its statements (core/db/postgresql/base.py).
DATABASES["default"]["ENGINE"] = "core.db.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Statements of `connection.prepared_cursor()` (the hot hand-written reads) are prepared at their first run
# on a connection; no other statement is. Off (DATABASE_PREPARED_STATEMENTS=0) behind a PgBouncer in
# transaction mode before 1.21, where a connection's prepared statements do not follow the client.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    0 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
)
# The test database is named after the checkout too: two checkouts testing against one PostgreSQL at once
# would otherwise create, flush and drop the same database under each other. pytest-django drops it at
# the end of the run.
_CHECKOUT = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_CHECKOUT}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Tests with serialized_rollback reload the migration-seeded rows (regions, calendar) after a flush;
# content types and permissions are recreated by post_migrate, so reloading them too would clash.
TEST_NON_SERIALIZED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="si"),
        # An unreachable cache answers quickly: callers fall back (core.throttling) or answer 503.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# API tokens expire. Failed sign-ins (accounts.services): LOGIN_FAILURE_LIMIT of them from one address
# lock that address out of the account name for LOGIN_LOCKOUT; past LOGIN_ACCOUNT_FAILURE_CEILING within
# LOGIN_ACCOUNT_WINDOW from all addresses together, each attempt on the name waits a delay that doubles
# from LOGIN_SLOWDOWN_BASE up to LOGIN_SLOWDOWN_MAX: slower, never locked.
AUTH_TOKEN_TTL = timedelta(seconds=env.int("AUTH_TOKEN_TTL_SECONDS", default=8 * 3600))
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT = timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60))
LOGIN_ACCOUNT_FAILURE_CEILING = env.int("LOGIN_ACCOUNT_FAILURE_CEILING", default=50)
LOGIN_ACCOUNT_WINDOW = timedelta(seconds=env.int("LOGIN_ACCOUNT_WINDOW_SECONDS", default=3600))
LOGIN_SLOWDOWN_BASE = timedelta(seconds=env.int("LOGIN_SLOWDOWN_BASE_SECONDS", default=1))
LOGIN_SLOWDOWN_MAX = timedelta(seconds=env.int("LOGIN_SLOWDOWN_MAX_SECONDS", default=60))
# An agency system's older API keys stay valid this long after a new one is issued.
API_KEY_ROTATION_OVERLAP = timedelta(seconds=env.int("API_KEY_ROTATION_OVERLAP_SECONDS", default=7 * 86400))

# Simplified Chinese first; English on request (Accept-Language, or the admin's language switch). Each app
# keeps its translations in <app>/locale/zh_Hans/LC_MESSAGES/django.po, found by Django as an installed
# app's; `manage.py compile_translations` (run by `make install` and the image) compiles them.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Local runs serve static files straight from the apps, with no collectstatic step: looked up on each
# request, so STATIC_ROOT need not exist (also under tests, which turn DEBUG off).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# The platform's document-signing key and certificate (PEM), core.documents.signing. A local run makes a
# self-signed pair under DATA_DIR/document-signing/ when these are not given; production requires them.
DOCUMENT_SIGNING_KEY_FILE = env.str("DOCUMENT_SIGNING_KEY_FILE", default="")
DOCUMENT_SIGNING_CERT_FILE = env.str("DOCUMENT_SIGNING_CERT_FILE", default="")
DOCUMENT_SIGNING_CHAIN_FILE = env.str("DOCUMENT_SIGNING_CHAIN_FILE", default="")
DOCUMENT_SIGNING_KEY_PASSPHRASE = env.str("DOCUMENT_SIGNING_KEY_PASSPHRASE", default="")
if PRODUCTION and not (DOCUMENT_SIGNING_KEY_FILE and DOCUMENT_SIGNING_CERT_FILE):
    raise ImproperlyConfigured(
        "DOCUMENT_SIGNING_KEY_FILE and DOCUMENT_SIGNING_CERT_FILE must be set in production."
    )
if bool(DOCUMENT_SIGNING_KEY_FILE) != bool(DOCUMENT_SIGNING_CERT_FILE):
    raise ImproperlyConfigured("DOCUMENT_SIGNING_KEY_FILE and DOCUMENT_SIGNING_CERT_FILE go together.")
# Days after issue during which a participation certificate verifies as valid.
CERTIFICATE_VALID_DAYS = env.int("CERTIFICATE_VALID_DAYS", default=180)
# Days after issue during which a transfer's documents (contact letter, certificate, table) verify as valid.
TRANSFER_DOCUMENT_VALID_DAYS = env.int("TRANSFER_DOCUMENT_VALID_DAYS", default=365)
# Where the platform is reached from outside: the verification address printed on documents issued by a
# step rather than by a request (a transfer's documents).
DOCUMENT_VERIFY_BASE_URL = env.str("DOCUMENT_VERIFY_BASE_URL", default="http://localhost:8000/")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The earliest contribution month (YYYYMM) the platform records, on every path (insurance.periods).
EARLIEST_CONTRIBUTION_PERIOD = env.int("EARLIEST_CONTRIBUTION_PERIOD", default=199001)
# Batch import files (the imports app) above this size are refused before anything is read.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=200 * 1024 * 1024)
# Rows written per transaction (and per progress report) by an import job.
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=20_000)
# What an upload request reads of a CSV to settle its encoding and header; the rest is read by the job.
IMPORT_UPLOAD_HEAD_BYTES = env.int("IMPORT_UPLOAD_HEAD_BYTES", default=64 * 1024)
# Limits on an XLSX's archive (imports.archives), checked from its central directory before any member
# is inflated (zipfile inflates no more than a member declares): any member (the worksheet is streamed) ...
IMPORT_XLSX_MAX_MEMBER_BYTES = env.int("IMPORT_XLSX_MAX_MEMBER_BYTES", default=512 * 1024 * 1024)
# ... the shared strings and every other part that is read whole into memory ...
IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES = env.int(
    "IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES", default=64 * 1024 * 1024
)
# ... the compression ratio of a member over 1 MiB, and the directory itself.
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)
IMPORT_XLSX_MAX_MEMBERS = env.int("IMPORT_XLSX_MAX_MEMBERS", default=1000)
IMPORT_XLSX_MAX_DIRECTORY_BYTES = env.int("IMPORT_XLSX_MAX_DIRECTORY_BYTES", default=1024 * 1024)
# A job's stored file (encrypted) is deleted this long after the job ended; until then a failed or
# cancelled job can be resumed, and an administrator can download the file.
IMPORT_FILE_RETENTION = timedelta(days=env.float("IMPORT_FILE_RETENTION_DAYS", default=7))
# Address space of a process that runs import jobs (worker pool processes, `import_file`), in bytes: an
# input that would take more fails its job with import_memory_limit instead of taking the machine.
# 0: no limit.
IMPORT_WORKER_MEMORY_LIMIT_BYTES = env.int("IMPORT_WORKER_MEMORY_LIMIT_BYTES", default=2 * 1024**3)
# A job whose runner has not renewed its lease (once per chunk) for this long is presumed dead.
IMPORT_LEASE = timedelta(seconds=env.int("IMPORT_LEASE_SECONDS", default=120))
# A job start handed to the broker and not taken by a worker after this long may have been lost with the
# broker's data: it is handed over again (at most once per this interval, however long the queue).
IMPORT_START_REPUBLISH_AFTER = timedelta(seconds=env.int("IMPORT_START_REPUBLISH_SECONDS", default=3600))

# Idempotency-Key (core.idempotency): how long a key and its stored answer are kept, and how long a retry
# waits for the first request with its key to finish before it is answered `idempotency_in_progress`.
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)

# The social security card (cards/, README.md "Social security cards"). Per-province rules (validity by age,
# the lapse of a temporary loss, the PIN lockout) are rows of cards.CardProvinceConfig, not settings.
CARD_PHOTO_MAX_BYTES = env.int("CARD_PHOTO_MAX_BYTES", default=2 * 1024 * 1024)
# Checked from the picture's header before any pixel is decoded (a decompression bomb).
CARD_PHOTO_MAX_PIXELS = env.int("CARD_PHOTO_MAX_PIXELS", default=12_000_000)
# A face photo is deleted this many days after its card ended (replaced, formally lost, cancelled).
CARD_PHOTO_RETENTION_DAYS = env.int("CARD_PHOTO_RETENTION_DAYS", default=30)
# Pension certification's face check (certification/faces.py). The threshold and the selfie's audit period
# are per province (certification.CertificationProvinceConfig); a province may name its own identity
# service's backend here, as PROVINCE=dotted.path pairs; the others use the offline face_recognition one.
SELFIE_MAX_BYTES = env.int("SELFIE_MAX_BYTES", default=4 * 1024 * 1024)
SELFIE_MAX_PIXELS = env.int("SELFIE_MAX_PIXELS", default=12_000_000)
CERTIFICATION_FACE_BACKENDS = env.dict("CERTIFICATION_FACE_BACKENDS", default={})
ECARD_TOKEN_TTL_SECONDS = env.int("ECARD_TOKEN_TTL_SECONDS", default=60)
ECARD_KEY_ROTATION_HOURS = env.int("ECARD_KEY_ROTATION_HOURS", default=24)
# How long a retired key stays published: at least a token's lifetime, so no valid token loses its key.
ECARD_KEY_PUBLISHED_HOURS = env.int("ECARD_KEY_PUBLISHED_HOURS", default=48)
if ECARD_KEY_PUBLISHED_HOURS * 3600 < ECARD_TOKEN_TTL_SECONDS:
    raise ImproperlyConfigured("ECARD_KEY_PUBLISHED_HOURS must cover at least one token's lifetime.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("LOGIN_THROTTLE_RATE", default="20/min"),
        "certificate_verify": env.str("CERTIFICATE_VERIFY_THROTTLE_RATE", default="60/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles key on the client address. Unset, DRF would take X-Forwarded-For as sent by the client,
    # who could then pick a fresh address per request: trust only as many proxies as really sit in front.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}

# One tag per role and area (config/openapi.py).
OPENAPI_TAGS = "config.openapi.TAGS"
OPENAPI_PATH_PARAMETERS = "config.openapi.PATH_PARAMETERS"
SPECTACULAR_SETTINGS = {
    "TITLE": "Unified Social Insurance Public Service Platform API",
    "DESCRIPTION": (
        "Citizens' insurance records, social security cards, cross-province pension transfers and "
        "pension eligibility certification. Every error has the shape "
        '{"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
    "LICENSE": {"name": "Proprietary: the platform operator's terms of use"},
    # Relative: the API is described at the address that serves the description.
    "SERVERS": [{"url": "/", "description": "This deployment"}],
    "TAGS": [{"name": tag.name, "description": tag.description} for tag in OPENAPI_TAG_LIST],
    "EXTENSIONS_ROOT": {"x-tagGroups": openapi_tag_groups()},
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": ["ok", "degraded"],
        "DependencyStatusEnum": ["ok", "unavailable"],
        "MigrationStatusEnum": ["ok", "pending", "unavailable"],
        "ReadinessCheckEnum": ["database", "broker", "migrations"],
        "PersonStatusEnum": "insurance.models.PersonStatus",
        "AccountEntryKindEnum": "insurance.models.AccountEntryKind",
        "AccountSchemeEnum": "insurance.serializers.ACCOUNT_SCHEME_CHOICES",
        "SchemeEnum": "insurance.models.Scheme",
        "TransferStatusEnum": "insurance.models.TransferStatus",
        "TransferKindEnum": "insurance.models.TransferKind",
        "RelationshipStatusEnum": "insurance.models.RelationshipStatus",
        "TransferSchemeEnum": "insurance.models.TRANSFER_SCHEMES",
        "ImportKindEnum": "imports.models.ImportKind",
        "CardStatusEnum": "cards.models.CardStatus",
    },
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "core.scheduler:HeartbeatDatabaseScheduler"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a request gives up within seconds: import starts wait in their outbox (imports.dispatch).
CELERY_BROKER_CONNECTION_TIMEOUT = 2

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Every record goes through one handler, whose filter masks anything shaped like an ID number
# (core.log_masking). Django's own handlers (its debug console, the admins' e-mail with the request's
# parameters, runserver's request lines) give way to it: they would otherwise write what the filter hides.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_id_numbers": {"()": "core.log_masking.IdNumberMaskFilter"}},
    # UTC with the offset shown, as gunicorn's (platform/gunicorn.conf.py) and Celery's (config/celery.py).
    "formatters": {
        "plain": {"()": "core.logs.UTCFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_id_numbers"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # fontTools reports each table of every font subset a document cuts (core.documents.fonts).
        "fontTools": {"level": "WARNING"},
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must name the service's hosts in production (not *)."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production: it shows code and settings.")
