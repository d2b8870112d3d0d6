"""Settings, all read from the environment with safe defaults for a laptop.

Unset DATABASE_URL → SQLite under var/. Unset REDIS_URL → Celery's filesystem:// broker under
var/, so web + worker + beat run with nothing else installed.

Importing this module touches no files: var/ is part of the checkout (var/.gitignore), the
broker's folders are made by the Celery app when it is configured (rehab/celery.py) and
STATIC_ROOT by collectstatic.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import crontab
from csp.constants import NONE, SELF

from rehab.env import (
    BASE_DIR,
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    env,
    env_bool,
    env_int,
    env_list,
    env_str,
)

VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
# These settings are for laptops and tests, so an unset SECRET_KEY means a public development
# key (rehab.env.DEVELOPMENT_SECRET_KEY). Every process that sets Django up (web, manage.py,
# Celery) refuses it unless DEBUG is on (rehab.env.refuse_development_key, from
# RehabConfig.ready); rehab.settings_production (gunicorn's default) also refuses a weak key.
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    # Django's admin on our admin site: it needs a second step too (rehab/admin_site.py).
    "rehab.apps.RehabAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "auditlog",
    # Two-step sign-in (rehab/two_factor.py): authenticator apps (TOTP) and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rehab",
    "programmes",
    "patients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so every response (static files from whitenoise too) carries the policy.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second step; then ours
    # signs out a session that needs the second step and has not passed it (rehab/two_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "rehab.two_factor.SecondStepMiddleware",
    # No caching of anything a signed-in user is sent (rehab/middleware.py).
    "rehab.middleware.NoStoreForSignedInMiddleware",
    # Sign-in and password-reset POSTs per client address (rehab/throttling.py), before
    # the view checks a password or sends an e-mail.
    "rehab.throttling.SignInThrottleMiddleware",
    # After authentication: stamps every audit entry of the request with its actor, address
    # and request id (an API token user is read when the entry is written, after DRF's auth).
    "rehab.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username + address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout (issue 3): 5 failures for one username from one address, then 15 minutes' cool-off.
# Keyed on the pair, so one patient mistyping cannot lock out a whole clinic's shared address.
AXES_FAILURE_LIMIT = env_int("REHAB_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("REHAB_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a reverse proxy set REHAB_AXES_IPWARE_META to the header carrying the client address.
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("REHAB_AXES_IPWARE_META", ["REMOTE_ADDR"])

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

ROOT_URLCONF = "rehab.urls"
WSGI_APPLICATION = "rehab.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rehab" / "templates"],
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

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions + a generous timeout: concurrent writers queue instead of
    # failing with "database is locked" (engineering-reference §7 item 26).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("REHAB_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})
    # Server-side prepared statements for the few hot reads that ask for them
    # (rehab/prepared.py: psycopg prepares a statement on its fifth run on a connection).
    # Django's own queries bind client-side and are never prepared. Behind a
    # transaction-pooling PgBouncer older than 1.21, set REHAB_PG_PREPARE_THRESHOLD=off
    # (never prepare, Django's default).
    # Their plan is made once (generic): PostgreSQL's default re-planned the day's statement at
    # every run, which took longer than running it (bench/README.md). Only prepared statements
    # are concerned, and only those are prepared.
    # No JIT compilation: every statement here is an indexed read or write of a few rows, or a
    # sweep chunk of 1,000 programmes. A generic plan's cost can still pass jit_above_cost: the
    # caseload's page then spent 50 ms compiling a statement that runs in 10 (issue 14).
    _never = env_str("REHAB_PG_PREPARE_THRESHOLD", "5").lower() == "off"
    DATABASES["default"]["OPTIONS"].update(
        prepare_threshold=None if _never else env_int("REHAB_PG_PREPARE_THRESHOLD", 5),
        options="-c plan_cache_mode=force_generic_plan -c jit=off",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 (argon2-cffi) for new and changed passwords, the memory-hard winner of the Password
# Hashing Competition that OWASP lists first. Hashes made by the others still verify, and are
# rehashed with Argon2 at the user's next successful sign-in (Django does this itself).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# rehab/static is found as the `rehab` app's static folder (no STATICFILES_DIRS entry:
# listing it too made collectstatic find every file twice).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "REHAB_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploaded exercise photos and videos (programmes.ExerciseMedia; catalogue content, never
# patient data), served by programmes.views.exercise_media (no web-server setup needed).
MEDIA_ROOT = BASE_DIR / env_str("REHAB_MEDIA_ROOT", "var/media")  # relative: to the repository
MEDIA_URL = "media/"

# --- Content Security Policy (django-csp 4.0), on every response in every environment ----
# Only our own files: no inline script or style, no eval, no plugins, no framing, forms post
# only to us. Pages keep to it: no <script> blocks, no on…= handlers, no style="" attributes
# (the SVG charts use presentation attributes and classes), and htmx is told not to inject its
# indicator <style> (base.html). The API docs pages relax style-src for their bundles only
# (rehab/api_docs.py). The browser test tests/browser/test_csp.py fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rehab@localhost")
# The mail server (SMTP backend). A timeout, so that a mail server that stops answering
# fails a batch (its e-mails stay owed and go later) instead of holding a worker.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)

# Request bodies (web forms and API JSON alike): Django's default of 2.5 MiB, set explicitly
# because the API's parser enforces it too (rehab.api_parsers; DRF would otherwise read any
# size). The largest realistic offline batch, 500 sessions each with every exercise of the
# phase and 100-character loads, is under half of it; anything larger is a 413 (split it).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, refusing a malformed token before it reaches the database.
        "rehab.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's AutoSchema plus the shared error responses (rehab/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "rehab.api_schema.ApiSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # No ?format= override: the Accept header chooses (JSON, or a zip on the export endpoints),
    # so an unknown ?format=… is not an undocumented 404.
    "URL_FORMAT_OVERRIDE": None,
    # JSON with limits: size (413), UTF-8 only (415), nesting depth (400).
    "DEFAULT_PARSER_CLASSES": ["rehab.api_parsers.JsonParser"],
    "DEFAULT_PAGINATION_CLASS": "rehab.api.ApiPagination",
    "EXCEPTION_HANDLER": "rehab.api.exception_handler",
    # No OPTIONS introspection: the OpenAPI schema documents every operation (OPTIONS → 405).
    "DEFAULT_METADATA_CLASS": None,
    # Scoped throttles only (views name their scope): offline-sync batches per user
    # (engineering-reference §4.6); sign-ins per client address, the API's token login, the
    # web's and the admin's together, and web password-reset requests (rehab/throttling.py);
    # reads of one calendar link (patients/calendar/views.py; calendar apps read every few
    # minutes at most).
    "DEFAULT_THROTTLE_RATES": {
        "login": "10/min",
        "password_reset": "10/hour",
        "sync": "120/min",
        "calendar": "60/hour",
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Per-device API tokens: stored hashed, expiring, revocable one by one or all at once.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("REHAB_TOKEN_TTL_DAYS", 30)),
    "AUTO_REFRESH": True,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rehab planner API",
    "DESCRIPTION": "Home exercise programmes for posterior ankle pain: patients and therapists.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Docstrings are written for developers (how a row is built, which issue): descriptions
    # for API users come from extend_schema(description=...) and each field's help_text.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    # Also the hooks' defaults (enums), then ours: no defaults in PATCH bodies.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "rehab.api_schema.strip_patch_defaults",
        "rehab.api_schema.document_shared_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "patients.models.SessionLog.Status",
        "FlagStatusEnum": "patients.models.Flag.Status",
        "FlagKindEnum": "patients.models.Flag.Kind",
        "RevisionKindEnum": "programmes.models.ProgrammeRevision.Kind",
        "SyncStatusEnum": "patients.activity.services.Outcome",
        "PlanStatusEnum": ["programme", "referral"],
        "RoleEnum": ["patient", "therapist", "other"],
        "AnswerEnum": "programmes.vocab.Answer",
        "UrgencyEnum": "programmes.vocab.Urgency",
        "NotificationKindEnum": "patients.models.Notification.Kind",
    },
}

# --- Audit trail (django-auditlog; rehab/audit.py) ---------------------------------------
# Every create, update and delete of these clinical records is logged with actor, time,
# address and request id; bulk operations too (rehab.audit.AuditedQuerySet). Free text, phone
# numbers and dates of birth are redacted in the diffs, and entries name objects by id only, so the
# trail (append-only, kept) holds no identifying text and survives a patient's anonymisation.
AUDITED_MODELS: dict[str, list[str]] = {
    "patients.Patient": ["date_of_birth", "phone"],
    "patients.Diagnosis": ["notes"],
    "patients.SessionLog": ["skip_reason"],
    "patients.ExerciseLog": ["load"],
    "patients.CheckIn": [],
    "patients.QuestionnaireResponse": [],
    "patients.Flag": ["resolution_note"],
    "programmes.Programme": [],
    "programmes.ProgrammeRevision": ["reason", "override_reason", "summary"],
    "programmes.ProgrammePhase": [],
    "programmes.ProgrammeItem": ["override_reason"],
    "programmes.IceHeatSlot": [],
    "programmes.Checkpoint": [],
}
AUDITLOG_INCLUDE_TRACKING_MODELS = [
    {"model": model, "mask_fields": masked} for model, masked in AUDITED_MODELS.items()
]
AUDITLOG_MASK_CALLABLE = "rehab.audit.redact"
AUDITLOG_CID_GETTER = "rehab.audit.request_id"

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")


def redis_cache(url: str) -> dict[str, Any]:
    """Django's cache in Redis at `url`, shared by every process (production; see
    settings_production). Laptops and tests keep the per-process memory cache."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "rehab",
    }


CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    # Serverless broker for laptops: messages are files in a shared folder (kombu filesystem://).
    # The Celery app makes the folders when it is configured (rehab/celery.py).
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes a worker's database connections around every task unless this is set; then
# only after this many tasks. CONN_MAX_AGE (and a broken connection) decide instead, as for
# the web (rehab/celery.py, reuse_database_connections).
CELERY_DB_REUSE_MAX = 100_000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The periodic sweeps. Each entry expires before its next run, so a backlog that built up
# during an outage is dropped rather than replayed: the next run reads the database anyway.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Read by /health/ready (rehab/health.py): older than 2 minutes means beat, the broker or
    # every worker has stopped.
    "beat-heartbeat": {
        "task": "rehab.beat_heartbeat",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "red-flag-sweep": {
        "task": "patients.tasks.red_flag_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Before the reminder sweep: when both fire together (a restart), today is planned first.
    "reminder-plan": {
        "task": "patients.tasks.reminder_plan_sweep",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "reminder-sweep": {
        "task": "patients.tasks.reminder_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "flag-digest": {
        "task": "patients.tasks.flag_digest_sweep",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 3600},
    },
    "red-flag-escalation": {
        "task": "patients.escalate_red_flags",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "monitoring-sweep": {
        "task": "patients.tasks.monitoring_sweep",
        "schedule": crontab(minute=17),
        "options": {"expires": 3000},
    },
    # Hourly, so each run deletes about an hour's worth of old reminders and notifications
    # (REHAB_MESSAGE_RETENTION_DAYS) and expired idempotency keys, away from :00 and :17.
    "retention-sweep": {
        "task": "patients.tasks.retention_sweep",
        "schedule": crontab(minute=41),
        "options": {"expires": 3000},
    },
}

# Days reminders and in-app notifications are kept, then deleted by the hourly retention job
# (`retention-sweep`; a notification about a flag not yet resolved is kept until it is). They
# are messages, not the record: sessions, check-ins, flags and the audit trail are never
# deleted by it. At least a week: the delivery report reads the last day's reminders.
REHAB_MESSAGE_RETENTION_DAYS = env_int("REHAB_MESSAGE_RETENTION_DAYS", 90)
if REHAB_MESSAGE_RETENTION_DAYS < 7:
    raise ConfigurationError(
        f"REHAB_MESSAGE_RETENTION_DAYS must be at least 7, not {REHAB_MESSAGE_RETENTION_DAYS}"
    )
# Minutes after a session reminder before one follow-up nudge if nothing is logged.
REHAB_NUDGE_AFTER_MINUTES = env_int("REHAB_NUDGE_AFTER_MINUTES", 120)
# Minutes a same-day or emergency red flag may stay unacknowledged before it is escalated to
# the clinic admins (staff in the "Clinic admins" group), once.
REHAB_ESCALATE_AFTER_MINUTES = env_int("REHAB_ESCALATE_AFTER_MINUTES", 30)
# The number patients are told to call for an emergency red flag (the product is written for
# the UK: 999; 112 also works there). Set it for a clinic elsewhere.
REHAB_EMERGENCY_NUMBER = env_str("REHAB_EMERGENCY_NUMBER", "999")
# The clinic's name, as patients know it: invitation e-mails and the printed handout name it.
REHAB_CLINIC_NAME = env_str("REHAB_CLINIC_NAME", "Rehab planner clinic")
# Two-step sign-in (rehab/two_factor.py): required for therapists and staff, a choice for
# patients. The authenticator app shows this name beside the account.
OTP_TOTP_ISSUER = REHAB_CLINIC_NAME
# django-otp's own per-device back-off stays on (after n wrong codes for one device, the next
# is refused for 2^(n-1) seconds): it is what slows a guess spread over many addresses, which
# the lockout (AXES_*, per username and address) and the per-address throttle cannot see.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Programmes the hourly monitoring sweep evaluates per transaction (monitoring/sweep.py): a
# killed or failed sweep keeps the chunks it finished, and the next run carries on.
REHAB_SWEEP_CHUNK_SIZE = env_int("REHAB_SWEEP_CHUNK_SIZE", 1000)
# How long a batch of reminder e-mails holds what it claimed: after this, the per-minute job
# hands them to another worker (the first one died, or hangs).
REHAB_DELIVERY_LEASE_SECONDS = env_int("REHAB_DELIVERY_LEASE_SECONDS", 120)
# Web push (patients/notifications/push.py): off until the clinic's VAPID private key is set
# (`manage.py vapid_keys` makes one; keep it secret, and keep it: a new key makes every
# browser subscribe again). The subject tells push services whom to contact.
REHAB_VAPID_PRIVATE_KEY = env_str("REHAB_VAPID_PRIVATE_KEY", "")
REHAB_VAPID_SUBJECT = env_str("REHAB_VAPID_SUBJECT", f"mailto:{DEFAULT_FROM_EMAIL}")
REHAB_PUSH_TIMEOUT = env_int("REHAB_PUSH_TIMEOUT", 10)
# Pushes a worker has in flight at once (threads, each with its own HTTP session).
REHAB_PUSH_CONCURRENCY = env_int("REHAB_PUSH_CONCURRENCY", 8)
# The push services a browser's subscription may point at (scheme://host; a host starting
# with "." admits its subdomains): the browsers' own. Our server POSTs to the endpoint, so any
# other address is refused rather than letting a patient make it call a host of their choice.
REHAB_PUSH_SERVICES = env_list(
    "REHAB_PUSH_SERVICES",
    [
        "https://fcm.googleapis.com",
        "https://updates.push.services.mozilla.com",
        "https://.push.apple.com",
        "https://.notify.windows.com",
    ],
)

# Push to the clinic's mobile apps (patients/notifications/mobile.py), each service off until
# it is configured. Firebase Cloud Messaging (Android), HTTP v1 API: the service account's JSON
# key (the file's path, or its text), whose project it sends for unless another is named.
REHAB_FCM_CREDENTIALS_FILE = env_str("REHAB_FCM_CREDENTIALS_FILE", "")
REHAB_FCM_CREDENTIALS = env_str("REHAB_FCM_CREDENTIALS", "")
REHAB_FCM_PROJECT_ID = env_str("REHAB_FCM_PROJECT_ID", "")
REHAB_FCM_URL = env_str("REHAB_FCM_URL", "https://fcm.googleapis.com")
# Apple Push Notification service (iOS), token auth: the .p8 signing key (path, or its PEM
# text), its key id, the team id, and the app's bundle id (the topic). The sandbox is for
# development builds of the app.
REHAB_APNS_KEY_FILE = env_str("REHAB_APNS_KEY_FILE", "")
REHAB_APNS_KEY = env_str("REHAB_APNS_KEY", "")
REHAB_APNS_KEY_ID = env_str("REHAB_APNS_KEY_ID", "")
REHAB_APNS_TEAM_ID = env_str("REHAB_APNS_TEAM_ID", "")
REHAB_APNS_TOPIC = env_str("REHAB_APNS_TOPIC", "")
REHAB_APNS_USE_SANDBOX = env_bool("REHAB_APNS_USE_SANDBOX", False)
REHAB_APNS_URL = env_str(
    "REHAB_APNS_URL",
    "https://api.sandbox.push.apple.com"
    if REHAB_APNS_USE_SANDBOX
    else "https://api.push.apple.com",
)
# A service that answers "too many requests" or "unavailable" is asked again this many times
# at most, never sooner than its Retry-After, and not at all when that is longer than the
# longest wait (that device then misses this one reminder).
REHAB_MOBILE_PUSH_ATTEMPTS = env_int("REHAB_MOBILE_PUSH_ATTEMPTS", 3)
REHAB_MOBILE_PUSH_MAX_WAIT = env_int("REHAB_MOBILE_PUSH_MAX_WAIT", 30)

# /health/ready tells which check failed only to monitoring hosts: these client addresses
# (comma-separated; read as the lockout reads them, REHAB_AXES_IPWARE_META), or a request with
# "Authorization: Bearer <REHAB_HEALTH_TOKEN>". Everyone else gets the status word alone.
REHAB_HEALTH_ADDRESSES = env_list("REHAB_HEALTH_ADDRESSES", [])
REHAB_HEALTH_TOKEN = env_str("REHAB_HEALTH_TOKEN", "")

# Log lines: "plain" (one readable line) or "json" (one JSON object a line with the request
# id; rehab/log_format.py), which the production settings choose by default.
REHAB_LOG_FORMAT = env_str("REHAB_LOG_FORMAT", "plain")
LOG_FORMATS = ("plain", "json")
if REHAB_LOG_FORMAT not in LOG_FORMATS:
    raise ConfigurationError(f"REHAB_LOG_FORMAT must be plain or json, not {REHAB_LOG_FORMAT!r}")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "rehab.log_format.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "rehab.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": REHAB_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("REHAB_LOG_LEVEL", "INFO")},
}

# Error reports (rehab/sentry.py): to Sentry or any server speaking its protocol, scrubbed of
# request bodies, cookies, auth headers and personal data. Unset: nothing is sent.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from rehab.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
