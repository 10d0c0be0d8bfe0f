"""Django settings for fluxweb, read from the environment.

Every setting has a development default so the app runs with nothing set; production
(``DJANGO_DEBUG=0``) refuses to start without the variables it needs and turns on the
HTTPS-only protections (``manage.py check --deploy`` is clean). Parsing errors stop
start-up with the variable's name (environs raises ``EnvError``). docs/deployment.md
lists every variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import django.forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from environs import Env
from marshmallow.validate import OneOf

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# What production (DJANGO_DEBUG=0) cannot start without, with a hint for each.
REQUIRED_IN_PRODUCTION = {
    "DJANGO_SECRET_KEY": (
        "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
    ),
    "DJANGO_ALLOWED_HOSTS": (
        "the host names the site is served under, comma-separated, e.g. images.example.com"
    ),
    "DATABASE_URL": "e.g. postgres://user:password@host:5432/fluxweb",
}
if not DEBUG:
    _missing = [name for name in REQUIRED_IN_PRODUCTION if not env.str(name, default="").strip()]
    if _missing:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG=0 (production) needs these environment variables, which are not set:\n"
            + "\n".join(f"  {name}: {REQUIRED_IN_PRODUCTION[name]}" for name in _missing)
            + "\nSee docs/deployment.md."
        )

# Never a key published with the code: anyone could sign sessions and image links with it.
# bin/run keeps a random key per install in var/secret_key (mode 0600) and passes it here;
# without one (DJANGO_DEBUG=1 only: production requires it) each process makes its own.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS-only protections (on by default in production) ------------------------------
# The web server (uvicorn --proxy-headers) takes the scheme from the proxy's
# X-Forwarded-Proto, so request.is_secure() is true behind a TLS-terminating proxy.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Platform health checks call /healthz over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Seconds browsers remember "HTTPS only" for this host; 0 turns HSTS off.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
# Only has an effect once someone submits the (apex) domain to the browsers' preload list.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",  # its widget templates for TemplatesSetting (FORM_RENDERER)
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # SearchVectorField (the stored prompt tsvector); harmless on SQLite.
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "fluxweb.core",
    "fluxweb.queue",
    "fluxweb.ops",
    "fluxweb.generations",
    "fluxweb.gallery",
    "fluxweb.api",
    "fluxweb.budgets",
    "fluxweb.usage",
    "fluxweb.providerstatus",
    "fluxweb.team",
    "fluxweb.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so it sees the outcome of the login views (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
]
# Under uvicorn the chain runs in sync mode, in one thread hop per request
# (fluxweb/core/asgi.py, which fluxweb/asgi.py serves).

ROOT_URLCONF = "fluxweb.urls"
ASGI_APPLICATION = "fluxweb.asgi.application"
WSGI_APPLICATION = "fluxweb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
        "APP_DIRS": False,
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "fluxweb.accounts.context_processors.sign_in",
            ],
        },
    },
]

# Form widgets render from Django's Jinja2 widget templates (the first engine in TEMPLATES),
# the rest with Django's: its engine made the gallery page miss 30 ms (bench/gallery.py,
# docs/speed.md).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Caches. "cards": the gallery's rendered cards (templates/gallery/_card.html), keyed by each
# generation's version (updated_at), so entries never go stale, they only expire. Local memory
# per process by default (~2 kB a card, so 20,000 cards ≈ 40 MB per process); docs/gallery.md
# shows how to share one Redis or Memcached between processes instead.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "cards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fluxweb-cards",
        "TIMEOUT": env.int("FLUXWEB_CARD_CACHE_SECONDS", default=24 * 3600),
        "OPTIONS": {"MAX_ENTRIES": env.int("FLUXWEB_CARD_CACHE_ENTRIES", default=20_000)},
    },
}

# Database: SQLite file by default (development), DATABASE_URL (postgres://...) switches.
# Seconds a connection is kept between requests (0 = per request); ignored with the pool.
_CONN_MAX_AGE = env.int("DJANGO_CONN_MAX_AGE", default=0)
# psycopg 3 connection pool per process: max connections (0 = no pool). PostgreSQL only.
DATABASE_POOL_MAX_SIZE = env.int("DJANGO_DB_POOL_MAX_SIZE", default=0)
DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=0 if DATABASE_POOL_MAX_SIZE else _CONN_MAX_AGE,
    )
}
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from fluxweb.core import dbpool

    # ``check``: a pooled connection is tested before it is handed out, so one the server
    # closed (restart, pg_terminate_backend, idle timeout) is replaced, not used; with a
    # round trip only when the test can tell something (fluxweb/core/dbpool.py).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": 10,
        "check": dbpool.check_connection,
        "reset": dbpool.mark_returned,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write concurrently: WAL lets readers proceed and
    # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run a real worker process against the test database, so it must be a file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses logins while the username + address pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on logins (django-allauth's social accounts).
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- Accounts (django-axes, django-allauth, single sign-on, email): fluxweb/accounts/settings.py
from fluxweb.accounts.settings import *  # noqa: E402, F403

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- S3-compatible media (django-storages), when a bucket is named ------------------------
# The bucket stays private: no ACLs are set, and any URL handed out is presigned (s3v4)
# for FLUXWEB_MEDIA_URL_EXPIRY seconds. The gallery streams images through its own
# authenticated view (fluxweb/gallery/views.py), so browsers never talk to the bucket.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
# "path" for most S3-compatible servers (MinIO, Garage); "virtual" or "auto" for AWS.
AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="auto")
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_QUERYSTRING_AUTH = True
AWS_QUERYSTRING_EXPIRE = env.int("FLUXWEB_MEDIA_URL_EXPIRY", default=60)
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_LOCATION = env.str("AWS_LOCATION", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# Background work: django.tasks, run by `manage.py worker` (fluxweb/queue/). The backend:
# "database" (django-tasks-db: a table in this database, no other service) or "rq"
# (django-tasks-rq: RQ on the Redis at REDIS_URL). django-tasks-db stays installed either
# way (its table is part of the schema).
FLUXWEB_TASK_BACKEND = env.str(
    "FLUXWEB_TASK_BACKEND", default="database", validate=OneOf(["database", "rq"])
)
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if FLUXWEB_TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Logs (stderr, plain or JSON, secrets scrubbed): fluxweb/core/log_settings.py
from fluxweb.core.log_settings import *  # noqa: E402, F403

# --- Content-Security-Policy (Django's own middleware) -----------------------------------
# No inline script anywhere: htmx and our JS come from our static files, and htmx's own
# indicator <style> is turned off in base.html's htmx-config. Inline styles only with the
# nonce (the admin uses it).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # The admin's change list has one small <style> carrying the per-response nonce.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    # "Sign in with …" posts to fluxweb, which redirects the form on to the SSO provider.
    "form-action": [CSP.SELF, *SSO_ORIGINS],  # noqa: F405
    "frame-ancestors": [CSP.NONE],
}

# --- Providers ---------------------------------------------------------------------------
# Each provider module declares the variables it reads (key, base URL with its documented
# default, extras such as IMAGEPIPELINE_SERVER_ID, DEEPINFRA_OPENAI, OPENAI_IMAGES_MODELS,
# FLUXWEB_DEMO_PROVIDER); each becomes the setting of the same name, parsed strictly.
# docs/providers.md lists them. (Imported here: provider modules import no Django models.)
from fluxweb.providers.catalog import PROVIDERS, provider_settings  # noqa: E402

globals().update(provider_settings(env))

# Settings whose values are secrets: fluxweb/core/redact.py scrubs them from failure reasons,
# pages and logs (with the passwords in MAILERS and DATABASES).
FLUXWEB_SECRET_SETTINGS = [
    "SECRET_KEY",
    "OIDC_CLIENT_SECRET",
    "AWS_SECRET_ACCESS_KEY",
    *dict.fromkeys(var.name for info in PROVIDERS for var in info.env if var.secret),
]

# Outbound HTTP to providers: seconds for connect / whole request, bytes per image.
FLUXWEB_PROVIDER_CONNECT_TIMEOUT = env.float("FLUXWEB_PROVIDER_CONNECT_TIMEOUT", default=10.0)
FLUXWEB_PROVIDER_TIMEOUT = env.float("FLUXWEB_PROVIDER_TIMEOUT", default=120.0)
FLUXWEB_PROVIDER_ATTEMPTS = env.int("FLUXWEB_PROVIDER_ATTEMPTS", default=3)
# Best-price routing (fluxweb/providers/routes.py): offer "FLUX.1 [...] · best price" models
# that run on the cheapest enabled host and fail over to the next one.
FLUXWEB_BEST_PRICE = env.bool("FLUXWEB_BEST_PRICE", default=False)
FLUXWEB_MAX_IMAGE_BYTES = env.int("FLUXWEB_MAX_IMAGE_BYTES", default=32 * 1024 * 1024)
FLUXWEB_MAX_IMAGE_PIXELS = env.int("FLUXWEB_MAX_IMAGE_PIXELS", default=4096 * 4096)
# Paths of a PEM certificate chain and its private key: when both are set, downloads carry
# a signed C2PA manifest (fluxweb/generations/provenance.py; docs/downloads.md).
FLUXWEB_C2PA_CERT = env.str("FLUXWEB_C2PA_CERT", default="")
FLUXWEB_C2PA_KEY = env.str("FLUXWEB_C2PA_KEY", default="")
# Providers that answer "pending" (ImagePipeline): seconds between status polls, and
# seconds after which a job still pending fails.
FLUXWEB_PENDING_POLL_INTERVAL = env.float("FLUXWEB_PENDING_POLL_INTERVAL", default=2.0)
FLUXWEB_PENDING_TIMEOUT = env.float("FLUXWEB_PENDING_TIMEOUT", default=600.0)

# Live gallery: how often (seconds) each web process looks for changed generations.
FLUXWEB_LIVE_POLL_INTERVAL = env.float("FLUXWEB_LIVE_POLL_INTERVAL", default=0.5)
# On PostgreSQL, LISTEN/NOTIFY wakes workers and the live gallery the moment a task is
# queued or a generation changes (fluxweb/queue/notify.py); polling stays as the fallback.
FLUXWEB_PG_NOTIFY = env.bool("FLUXWEB_PG_NOTIFY", default=True)
# Seconds between the live gallery's fallback polls while NOTIFY is listening.
FLUXWEB_LIVE_NOTIFY_FALLBACK = env.float("FLUXWEB_LIVE_NOTIFY_FALLBACK", default=5.0)
# Least seconds between two live-gallery queries, so a burst of changes costs few queries.
FLUXWEB_LIVE_MIN_GAP = env.float("FLUXWEB_LIVE_MIN_GAP", default=0.05)
# Tasks one `manage.py worker` runs at once (threads, or RQ worker processes; `--threads`
# overrides).
FLUXWEB_WORKER_THREADS = env.int("FLUXWEB_WORKER_THREADS", default=16)
# Seconds between SSE keep-alive comments (proxies drop idle connections).
FLUXWEB_LIVE_KEEPALIVE = env.float("FLUXWEB_LIVE_KEEPALIVE", default=15.0)

# The images API (/v1/): seconds a request waits for its generation before answering 504,
# and seconds a returned image link stays valid.
FLUXWEB_API_WAIT_TIMEOUT = env.float("FLUXWEB_API_WAIT_TIMEOUT", default=120.0)
# Always send the provider's safety checker on where its API has one (AIML's
# enable_safety_checker): the default until an admin sets it on /settings/safety/.
FLUXWEB_FORCE_SAFETY_CHECKER = env.bool("FLUXWEB_FORCE_SAFETY_CHECKER", default=False)
FLUXWEB_API_LINK_TTL = env.int("FLUXWEB_API_LINK_TTL", default=3600)

# --- Stuck work (fluxweb/generations/sweep.py) -------------------------------------------
# Seconds a generation may stay "running" before the sweep treats its worker as dead (or
# "queued" before it treats its task as lost).
# Default: every provider attempt timing out, plus the waits between them, plus a minute.
FLUXWEB_STUCK_AFTER = env.float(
    "FLUXWEB_STUCK_AFTER",
    default=FLUXWEB_PROVIDER_ATTEMPTS
    * (FLUXWEB_PROVIDER_CONNECT_TIMEOUT + FLUXWEB_PROVIDER_TIMEOUT + 20)
    + 60,
)
# Seconds between two sweeps (each worker process runs one in a thread).
FLUXWEB_SWEEP_INTERVAL = env.float("FLUXWEB_SWEEP_INTERVAL", default=20.0)
# Seconds between a worker process's heartbeats (fluxweb/queue/heartbeat.py), and seconds
# without one after which the sweep treats the worker as dead and recovers what it ran.
FLUXWEB_HEARTBEAT_INTERVAL = env.float("FLUXWEB_HEARTBEAT_INTERVAL", default=10.0)
FLUXWEB_WORKER_DEAD_AFTER = env.float("FLUXWEB_WORKER_DEAD_AFTER", default=30.0)
# The database worker: seconds to wait after a database error before trying again
# (doubling up to the maximum while the database stays unreachable).
FLUXWEB_WORKER_DB_BACKOFF = env.float("FLUXWEB_WORKER_DB_BACKOFF", default=1.0)
FLUXWEB_WORKER_DB_BACKOFF_MAX = env.float("FLUXWEB_WORKER_DB_BACKOFF_MAX", default=30.0)

env.seal()
