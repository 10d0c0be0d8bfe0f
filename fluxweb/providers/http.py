"""The one outbound HTTP seam: every provider call goes through :class:`ProviderHTTP`.

It turns transport failures and HTTP error statuses into :mod:`.base` errors, holds every
call to one deadline and byte budget (:mod:`.network`), retries failed image downloads
alone and keeps API keys out of every message. Tests point providers at
local servers through their base URLs; nothing here is mocked in tests.
"""

from __future__ import annotations

import functools
import json
import re
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx
import stamina
from django.conf import settings

from fluxweb.core.redact import redact

from .base import (
    AuthenticationError,
    InvalidResponseError,
    OutOfCreditsError,
    ProviderError,
    RetryableProviderError,
)
from .network import GuardedTransport, InternalAddressError, ProviderCall, provider_call

USER_AGENT = "fluxweb/0.1 (+https://github.com/fluxweb)"


def default_timeout() -> httpx.Timeout:
    """Timeouts from settings: ``FLUXWEB_PROVIDER_TIMEOUT`` seconds for a whole call
    (enforced by :mod:`.network`), ``FLUXWEB_PROVIDER_CONNECT_TIMEOUT`` seconds to connect."""
    return httpx.Timeout(
        settings.FLUXWEB_PROVIDER_TIMEOUT, connect=settings.FLUXWEB_PROVIDER_CONNECT_TIMEOUT
    )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every provider client shares (httpx's defaults: certifi's CAs).
    Built once: loading the CA bundle takes tens of milliseconds of CPU per client."""
    return httpx.create_ssl_context()


def answer_budget(num_images: int) -> int:
    """Bytes one provider call may read in all (answers and downloads) for ``num_images``
    images: each image at ``FLUXWEB_MAX_IMAGE_BYTES`` as base64 (4/3 of it) plus 64 KiB of
    JSON around them."""
    return max(1, num_images) * settings.FLUXWEB_MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024


@contextmanager
def _call_for(default_budget: int) -> Iterator[ProviderCall]:
    """The running provider call, or a call of its own for a request made outside one
    (``FLUXWEB_PROVIDER_TIMEOUT`` seconds, ``default_budget`` bytes)."""
    with provider_call(settings.FLUXWEB_PROVIDER_TIMEOUT, default_budget) as call:
        yield call


def _client(headers: Mapping[str, str], *, public_only: bool) -> httpx.Client:
    """An httpx client over :class:`~.network.GuardedTransport` that keeps no cookies (a
    provider's cookie must not ride along on later calls)."""
    return httpx.Client(
        timeout=default_timeout(),
        headers=headers,
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
        transport=GuardedTransport(tls_context(), public_only=public_only),
    )


class ProviderHTTP:
    """A small httpx wrapper for one provider: ``name`` appears in error reasons.

    Calls to ``base_url`` share one client, whose connections stay open between calls
    (keep-alive): a call to a provider over HTTPS does not open a TCP connection and
    make a TLS handshake each time, which cost round trips to the provider and CPU. It is
    safe to share between threads. Image downloads off the provider's API each use a
    client of their own."""

    def __init__(self, name: str, base_url: str, headers: Mapping[str, str]) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": USER_AGENT, **headers}
        self.client = _client(self.headers, public_only=False)

    def request(
        self, method: str, path: str, *, max_bytes: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send ``method`` to ``base_url + path``; return the response whatever its status.

        The body is read up to ``max_bytes`` and the call's byte budget (default
        :func:`max_answer_bytes`); a longer body raises :class:`InvalidResponseError`.
        Raises :class:`RetryableProviderError` for timeouts (the call's total deadline
        included) and connection errors. A 2xx answer to anything but a GET marks the
        call ``accepted`` (:class:`~.network.ProviderCall`).
        """
        url = self.base_url + path
        with _call_for(max_answer_bytes()) as call:
            limit = call.bytes_left()
            if max_bytes is not None:
                limit = min(limit, max_bytes)
            try:
                with self.client.stream(method, url, **kwargs) as response:
                    if method.upper() != "GET" and 200 <= response.status_code < 300:
                        call.accepted = True
                    message = f"{self.name} sent an answer larger than {limit} bytes"
                    body = _read_capped(response, call, limit, message)
            except httpx.TimeoutException as exc:
                raise RetryableProviderError(f"{self.name} did not answer in time") from exc
            except httpx.TransportError as exc:
                raise RetryableProviderError(f"could not connect to {self.name}") from exc
        # The body is already decompressed: keep every header but the encoding.
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=body, request=response.request
        )

    def download(self, url: str) -> bytes:
        """Fetch an image URL the provider returned, with a byte cap; a retryable failure
        (5xx, timeout, connection) is retried alone, up to ``FLUXWEB_PROVIDER_ATTEMPTS``
        times within the call's deadline: the generation request is never sent again.

        Only https URLs, or URLs on the configured base URL's own host, are fetched; off
        that host, only from public addresses (:mod:`.network`). Raises
        :class:`InvalidResponseError` for other URLs, non-200 answers and bodies over
        ``FLUXWEB_MAX_IMAGE_BYTES`` or the call's budget; :class:`RetryableProviderError`
        when the retries are spent.
        """
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        if not (
            parts.scheme == "https" or (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
        ):
            raise InvalidResponseError(f"{self.name} returned an image URL that is not https")
        public_only = parts.hostname != base.hostname
        with _call_for(max_answer_bytes()) as call:
            for attempt in stamina.retry_context(
                on=lambda exc: isinstance(exc, RetryableProviderError) and not call.expired(),
                attempts=settings.FLUXWEB_PROVIDER_ATTEMPTS,
                timeout=None,
                wait_initial=0.5,
                wait_max=5.0,
            ):
                with attempt:
                    return self._download_once(url, call, public_only)
        raise AssertionError("unreachable: stamina re-raises the last error")

    def _download_once(self, url: str, call: ProviderCall, public_only: bool) -> bytes:
        limit = min(settings.FLUXWEB_MAX_IMAGE_BYTES, call.bytes_left())
        try:
            with (
                _client({"User-Agent": USER_AGENT}, public_only=public_only) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise error_for_status(self.name, response.status_code, "")
                return _read_capped(
                    response,
                    call,
                    limit,
                    f"{self.name} returned an image larger than {limit} bytes",
                )
        except InternalAddressError as exc:
            raise InternalAddressError(
                f"{self.name} returned an image URL on an internal address"
            ) from exc
        except httpx.TimeoutException as exc:
            raise RetryableProviderError(
                f"downloading the image from {self.name} timed out"
            ) from exc
        except httpx.TransportError as exc:
            raise RetryableProviderError(f"could not download the image from {self.name}") from exc


def max_answer_bytes() -> int:
    """Bytes accepted in one API answer made outside a provider call: room for four
    images (:func:`answer_budget`)."""
    return answer_budget(4)


def _read_capped(response: httpx.Response, call: ProviderCall, limit: int, message: str) -> bytes:
    """The whole (decompressed) body of a streamed response, or InvalidResponseError
    with ``message`` once it passes ``limit`` bytes. Every byte counts against ``call``'s
    byte budget as it is read."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise InvalidResponseError(message)
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        call.bytes_read += len(chunk)
        if size > limit:
            raise InvalidResponseError(message)
        chunks.append(chunk)
    return b"".join(chunks)


def error_for_status(name: str, status: int, detail: str) -> ProviderError:
    """The :class:`ProviderError` for an HTTP error ``status`` from provider ``name``.

    Generic mapping shared by providers; a provider with its own meaning for a status
    (e.g. Segmind's 406 = no credits) checks that first. ``detail`` is a short message
    taken from the provider's error body, already stripped of anything sensitive.
    """
    suffix = f": {detail}" if detail else ""
    if status == 401:
        return AuthenticationError("the provider rejected the API key", status_code=status)
    if status == 402:
        return OutOfCreditsError(
            f"{name} says the account is out of credits{suffix}", status_code=status
        )
    if status == 429:
        return RetryableProviderError(
            f"{name} is rate limiting requests{suffix}", status_code=status
        )
    if status in (408, 425) or status >= 500:
        return RetryableProviderError(
            f"{name} had a server error (HTTP {status}){suffix}", status_code=status
        )
    if status in (400, 404, 422):
        return ProviderError(
            f"{name} refused the request (HTTP {status}){suffix}", status_code=status
        )
    return ProviderError(f"{name} answered HTTP {status}{suffix}", status_code=status)


def json_body(name: str, response: httpx.Response) -> Any:
    """The response's JSON, or :class:`InvalidResponseError` if it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidResponseError(f"{name} returned a malformed answer (not JSON)") from exc


def error_detail(response: httpx.Response, limit: int = 200) -> str:
    """A short human message from a provider's error body, whatever its shape.

    Understands ``{"error": "..."}``, ``{"error": {"message": ...}}``, ``{"message": ...}``
    and FastAPI's ``{"detail": ...}``; falls back to nothing for HTML and other bodies.
    """
    try:
        body = response.json()
    except ValueError:
        return ""
    message: Any = body
    for key in ("error", "detail", "message"):
        if isinstance(message, dict) and key in message:
            message = message[key]
    if isinstance(message, dict):
        message = message.get("message") or message.get("error") or ""
    if isinstance(message, list) and message and isinstance(message[0], dict):
        message = "; ".join(str(item.get("msg", "")) for item in message)
    # Redacted before it is cut short: a cut secret would no longer be found whole.
    return redact(str(message))[:limit] if isinstance(message, (str, int, float)) else ""


_MESSAGE_FIELD = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.){1,300})"')


def message_field(response: httpx.Response, limit: int = 200) -> str:
    """:func:`error_detail`, or else the ``"message"`` string found in a body that is not
    valid JSON (AIML's documented error example lacks commas, ``providers.md`` §1.4)."""
    detail = error_detail(response, limit)
    if detail:
        return detail
    match = _MESSAGE_FIELD.search(redact(response.text[:4096]))
    return match.group(1).replace('\\"', '"')[:limit] if match else ""
