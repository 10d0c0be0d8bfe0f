"""What a provider's answer may be trusted with: images inside JSON (base64 text, ``data:``
URLs, URLs to download), how many of them, and the cost it reports."""

from __future__ import annotations

import base64
import binascii
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from fluxweb.core.money import format_usd

from .base import InvalidResponseError
from .http import ProviderHTTP

logger = logging.getLogger(__name__)


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


# A reported cost above this many times the estimate is not believed (the estimate is charged).
MAX_COST_FACTOR = 10


def reported_cost(value: Any) -> Decimal | None:
    """A cost a provider reported (a JSON number or header text, USD) as a Decimal: None
    when it reported none, ``Decimal("NaN")`` when what it reported is not a number, so
    :func:`trusted_cost` can say so."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        return Decimal("NaN")
    try:
        return Decimal(str(value).strip()[:100])
    except InvalidOperation:
        return Decimal("NaN")


def trusted_cost(reported: Decimal | None, estimate: Decimal) -> tuple[Decimal | None, str]:
    """The cost to charge (USD) for a provider's ``reported`` figure, given fluxweb's
    ``estimate`` (USD): ``(reported, "")`` when believable, else ``(None, why)``, None
    meaning the estimate is charged. Not believed: negative, not a finite number, or more
    than :data:`MAX_COST_FACTOR` times the estimate. ``why`` is shown on the provider
    status page, the estimate in the one money format (:func:`format_usd`)."""
    if reported is None:
        return None, ""
    if not reported.is_finite():
        return None, "not a number"
    if reported < 0:
        return None, "negative"
    if reported > estimate * MAX_COST_FACTOR:
        return None, f"more than {MAX_COST_FACTOR}× the estimate of {format_usd(estimate)}"
    return reported, ""


def requested_images[T](name: str, items: list[T], wanted: int) -> list[T]:
    """The first ``wanted`` of the image ``items`` provider ``name`` returned; any more are
    dropped (and logged) before they are decoded or downloaded."""
    if len(items) > wanted:
        logger.warning(
            "%s returned %s images for %s requested; dropping the rest", name, len(items), wanted
        )
    return items[: max(1, wanted)]
