"""Images inside JSON answers: base64 text, ``data:`` URLs, or URLs to download."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .base import InvalidResponseError
from .http import ProviderHTTP


def decode_base64(name: str, value: Any) -> bytes:
    """Bytes of ``data:image/...;base64,XXXX`` or bare base64 text from provider ``name``.

    Raises :class:`InvalidResponseError` if it is not a string of valid base64.
    """
    if not isinstance(value, str) or not value:
        raise InvalidResponseError(f"{name} returned an image in an unknown form")
    encoded = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidResponseError(f"{name} returned an image that is not valid base64") from exc


def fetch_url_image(http: ProviderHTTP, value: Any) -> bytes:
    """The bytes behind an image URL in an answer: a ``data:`` URL is decoded, anything
    else downloaded through :meth:`ProviderHTTP.download` (https or the base URL's host,
    byte-capped). Raises :class:`InvalidResponseError` / :class:`RetryableProviderError`."""
    if not isinstance(value, str) or not value:
        raise InvalidResponseError(f"{http.name} returned an image in an unknown form")
    if value.startswith("data:"):
        return decode_base64(http.name, value)
    return http.download(value)
