"""Scrub secrets out of text before it is stored, shown or logged: the one place that
knows what a secret looks like.

:func:`redact` replaces every configured secret (each setting named in
``FLUXWEB_SECRET_SETTINGS``: ``SECRET_KEY``, every provider's ``secret=True`` variable, the
single sign-on client secret, the object storage key, plus the passwords in ``MAILERS`` and
``DATABASES``) and anything shaped like a credential (``Bearer …``, ``api_key=…``, ``sk-…``,
long random tokens) with ``[redacted]``. Failure reasons go through it where they are made
(:class:`fluxweb.providers.base.ProviderError`, ``fail_generation``, the provider status
record), and :class:`RedactingFilter` applies it to every log handler (settings ``LOGGING``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings

MASK = "[redacted]"
# Configured values shorter than this are not searched for: they would match ordinary words.
MIN_SECRET_LENGTH = 8

_SHAPES = [
    # An HTTP authorization scheme and its credential: "Bearer abc…", "Basic dXNlcjpw…".
    re.compile(r"\b(Bearer|bearer|BEARER|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # key=value / "key": "value" where the key names a credential.
    re.compile(
        r"(?i)([\"']?[\w-]*(?:api[_-]?key|secret|password|passwd|token|authorization)"
        r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}]{4,})"
    ),
    # Prefixes API keys are issued with (OpenAI sk-, Segmind SG_, Replicate r8_, Hugging
    # Face hf_, fluxweb's own fw_ tokens, AWS access keys).
    re.compile(r"\b(?:sk|pk|rk)[-_][A-Za-z0-9_-]{12,}|\b(?:SG|r8|hf|fw)_[A-Za-z0-9_-]{12,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    # A long run of letters and digits that mixes upper case, lower case and digits: a
    # random token (ids, hashes and UUIDs are one case and stay readable).
    re.compile(
        r"\b(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{32,}\b"
    ),
]


def configured_secrets() -> list[str]:
    """The secret values in settings (see the module docstring), longest first."""
    values: list[Any] = [getattr(settings, name, "") for name in settings.FLUXWEB_SECRET_SETTINGS]
    values += [mailer.get("OPTIONS", {}).get("password") for mailer in settings.MAILERS.values()]
    values += [database.get("PASSWORD") for database in settings.DATABASES.values()]
    found = {
        value for value in values if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH
    }
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every configured secret (or ``secrets``) and every credential-shaped
    string replaced by ``[redacted]``. Redact before truncating: a cut secret is no longer
    found whole."""
    if not text:
        return text
    for secret in configured_secrets() if secrets is None else secrets:
        text = text.replace(secret, MASK)
    text = _SHAPES[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _SHAPES[1].sub(lambda m: f"{m.group(1)}{MASK}", text)
    for shape in _SHAPES[2:]:
        text = shape.sub(MASK, text)
    return text


# Attributes every LogRecord has; anything else on a record is an ``extra`` field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """A handler filter that scrubs each record's message, its exception text and its
    string ``extra`` fields with :func:`redact`. It never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = configured_secrets()
        record.msg = redact(record.getMessage(), secrets)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None  # the formatter uses exc_text
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        for name, value in vars(record).items():
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value, secrets))
        return True
