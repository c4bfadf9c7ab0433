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
        "DIRS": [],
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

# API tokens expire; repeated failed logins lock the account name for a while.
AUTH_TOKEN_TTL = timedelta(seconds=env.int("AUTH_TOKEN_TTL_SECONDS", default=8 * 3600))
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT = timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60))

LANGUAGE_CODE = "en"
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The earliest contribution month (YYYYMM) the platform records, on every path (insurance.periods).
EARLIEST_CONTRIBUTION_PERIOD = env.int("EARLIEST_CONTRIBUTION_PERIOD", default=199001)
# Batch import files (the imports app) above this size are refused before anything is read.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=200 * 1024 * 1024)
# Rows written per transaction (and per progress report) by an import job.
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=20_000)

# Idempotency-Key (core.idempotency): how long a key and its stored answer are kept, and how long a retry
# waits for the first request with its key to finish before it is answered `idempotency_in_progress`.
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ExpiringTokenAuthentication"],
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

SPECTACULAR_SETTINGS = {
    "TITLE": "Unified Social Insurance Public Service Platform API",
    "DESCRIPTION": (
        "Citizens' insurance records, social security cards, cross-province pension transfers and "
        "pension eligibility certification. Every error has the shape "
        '{"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
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
        "ImportKindEnum": "imports.models.ImportKind",
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

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # UTC with the offset shown, as gunicorn's (platform/gunicorn.conf.py) and Celery's (config/celery.py).
    "formatters": {
        "plain": {"()": "core.logs.UTCFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
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
