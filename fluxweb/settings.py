"""Django settings for fluxweb, read from the environment.

Every setting has a development default so the app runs with nothing set; production
(``DJANGO_DEBUG=0``) refuses to start without the variables it needs. Parsing errors
stop start-up with the variable's name (environs raises ``EnvError``).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from environs import Env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0 (generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=0.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "fluxweb.core",
    "fluxweb.generations",
    "fluxweb.gallery",
    "fluxweb.api",
    "fluxweb.budgets",
    "fluxweb.providerstatus",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "fluxweb.urls"
ASGI_APPLICATION = "fluxweb.asgi.application"
WSGI_APPLICATION = "fluxweb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# Database: SQLite file by default, DATABASE_URL (postgres://...) switches.
DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=0
    )
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:home"
LOGOUT_REDIRECT_URL = "login"

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

# Background work: django.tasks with the database backend; `manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- Providers (fluxweb/providers/registry.py reads these) ------------------------------
FLUXWEB_DEMO_PROVIDER = env.bool("FLUXWEB_DEMO_PROVIDER", default=True)
# Seconds the demo provider pretends to work, so the queued/running states are visible.
FLUXWEB_DEMO_DELAY = env.float("FLUXWEB_DEMO_DELAY", default=1.0)
DEEPINFRA_API_KEY = env.str("DEEPINFRA_API_KEY", default="")
DEEPINFRA_BASE_URL = env.str("DEEPINFRA_BASE_URL", default="https://api.deepinfra.com")
# DeepInfra's OpenAI-compatible images endpoint too ({DEEPINFRA_BASE_URL}/v1/openai), same key.
DEEPINFRA_OPENAI = env.bool("DEEPINFRA_OPENAI", default=False)
AIMLAPI_API_KEY = env.str("AIMLAPI_API_KEY", default="")
AIMLAPI_BASE_URL = env.str("AIMLAPI_BASE_URL", default="https://api.aimlapi.com")
SEGMIND_API_KEY = env.str("SEGMIND_API_KEY", default="")
SEGMIND_BASE_URL = env.str("SEGMIND_BASE_URL", default="https://api.segmind.com")
IMAGEPIPELINE_API_KEY = env.str("IMAGEPIPELINE_API_KEY", default="")
IMAGEPIPELINE_BASE_URL = env.str("IMAGEPIPELINE_BASE_URL", default="https://api.imagepipeline.io")
# The dedicated server FLUX runs on (ImagePipeline serves generate/v3 + FLUX only there).
IMAGEPIPELINE_SERVER_ID = env.str("IMAGEPIPELINE_SERVER_ID", default="")
# Any other OpenAI-style POST {base}/images/generations (Together, a LiteLLM proxy, ...):
# base URL including its version prefix (https://api.together.xyz/v1), key, model names.
OPENAI_IMAGES_BASE_URL = env.str("OPENAI_IMAGES_BASE_URL", default="")
OPENAI_IMAGES_API_KEY = env.str("OPENAI_IMAGES_API_KEY", default="")
OPENAI_IMAGES_MODELS = env.list("OPENAI_IMAGES_MODELS", default=[])

# Outbound HTTP to providers: seconds for connect / whole request, bytes per image.
FLUXWEB_PROVIDER_CONNECT_TIMEOUT = env.float("FLUXWEB_PROVIDER_CONNECT_TIMEOUT", default=10.0)
FLUXWEB_PROVIDER_TIMEOUT = env.float("FLUXWEB_PROVIDER_TIMEOUT", default=120.0)
FLUXWEB_PROVIDER_ATTEMPTS = env.int("FLUXWEB_PROVIDER_ATTEMPTS", default=3)
FLUXWEB_MAX_IMAGE_BYTES = env.int("FLUXWEB_MAX_IMAGE_BYTES", default=32 * 1024 * 1024)
FLUXWEB_MAX_IMAGE_PIXELS = env.int("FLUXWEB_MAX_IMAGE_PIXELS", default=4096 * 4096)
# Providers that answer "pending" (ImagePipeline): seconds between status polls, and
# seconds after which a job still pending fails.
FLUXWEB_PENDING_POLL_INTERVAL = env.float("FLUXWEB_PENDING_POLL_INTERVAL", default=2.0)
FLUXWEB_PENDING_TIMEOUT = env.float("FLUXWEB_PENDING_TIMEOUT", default=600.0)

# Live gallery: how often (seconds) each web process looks for changed generations.
FLUXWEB_LIVE_POLL_INTERVAL = env.float("FLUXWEB_LIVE_POLL_INTERVAL", default=0.5)
# Seconds between SSE keep-alive comments (proxies drop idle connections).
FLUXWEB_LIVE_KEEPALIVE = env.float("FLUXWEB_LIVE_KEEPALIVE", default=15.0)

# The images API (/v1/): seconds a request waits for its generation before answering 504,
# and seconds a returned image link stays valid.
FLUXWEB_API_WAIT_TIMEOUT = env.float("FLUXWEB_API_WAIT_TIMEOUT", default=120.0)
FLUXWEB_API_LINK_TTL = env.int("FLUXWEB_API_LINK_TTL", default=3600)

env.seal()
