"""Logging settings: records go to stderr, ``LOG_FORMAT=plain`` (default) or ``json`` (one
JSON object per line with the record's structured fields, e.g. generation_id, provider,
model, latency_s, outcome), ``LOG_LEVEL`` (default INFO). ``fluxweb/settings.py`` takes every
name in ``__all__``.
"""

from __future__ import annotations

from environs import Env
from marshmallow.validate import OneOf

__all__ = ["LOGGING", "LOG_FORMAT"]

env = Env()

LOG_FORMAT = env.str("LOG_FORMAT", default="plain", validate=OneOf(["plain", "json"]))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    # Every handler scrubs secrets (API keys, tokens, passwords) from what it writes.
    "filters": {"redact": {"()": "fluxweb.core.redact.RedactingFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # httpx logs request lines at INFO/DEBUG; keep them (and any header) out of the logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's own handlers (console, mail_admins) are replaced: its records go to ours.
        "django": {"level": "INFO", "propagate": True},
        "django.server": {"level": "INFO", "propagate": True},
    },
}
