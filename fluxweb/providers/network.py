"""The limits of one provider call, and the sockets that enforce them.

A provider call (one ``generate()`` or ``poll()``, with every image download it makes) has
one total deadline and one byte budget (:class:`ProviderCall`). Both are enforced at the
socket: every connect, read and write waits at most the time left, so a server that drips
one byte at a time cannot hold a worker past the deadline, and every byte read counts
against the budget while it is read.

Image URLs off the provider's own host are fetched only from public addresses: the host
name is resolved once, internal addresses are refused, and the socket connects to the
checked address itself (TLS still verifies the certificate for the host name), so DNS
cannot answer differently between the check and the connection.

The sockets read the limits of the call running in their thread (:func:`current_call`), not
of the call that opened them: a connection kept alive in a provider's pool serves the next
call under that call's deadline.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .base import InvalidResponseError


class InternalAddressError(InvalidResponseError):
    """An image URL whose host resolves to a loopback, private, link-local, unspecified,
    multicast or reserved address."""


@dataclass
class ProviderCall:
    """One provider call's limits: ``deadline`` (``time.monotonic()`` seconds) and
    ``byte_budget`` (bytes every answer and download together may still bring).

    ``accepted`` turns True once the provider answered a generation request (any method
    but GET) with a 2xx: from then on the request must not be sent again (it is billed)."""

    deadline: float
    byte_budget: int
    accepted: bool = False
    bytes_read: int = 0

    def remaining(self) -> float:
        """Seconds left before the deadline (0 when passed)."""
        return max(0.0, self.deadline - time.monotonic())

    def bytes_left(self) -> int:
        """Bytes the call may still read (0 when its budget is spent)."""
        return max(0, self.byte_budget - self.bytes_read)

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline


_current: ContextVar[ProviderCall | None] = ContextVar("provider_call", default=None)


@contextmanager
def provider_call(seconds: float, byte_budget: int) -> Iterator[ProviderCall]:
    """Run the block as one provider call: ``seconds`` in total (connect, answer, downloads)
    and ``byte_budget`` bytes read at most. Nested calls keep the outer one."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    call = ProviderCall(deadline=time.monotonic() + seconds, byte_budget=byte_budget)
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


def current_call() -> ProviderCall | None:
    """The provider call the running code is part of, if any."""
    return _current.get()


def is_internal(address: str) -> bool:
    """Whether ``address`` (an IPv4/IPv6 literal) is no place to fetch an image from."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
    )


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` (seconds, None: none) cut to the running call's time left; ``error``
    once its deadline has passed. Outside a call, ``timeout`` as it is."""
    call = current_call()
    if call is None:
        return timeout
    left = call.remaining()
    if left <= 0:
        raise error("the provider call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write waits at most the running call's time
    left (:func:`_time_left`)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, _time_left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects within the running call's deadline; with ``public_only``, only to public
    addresses."""

    def __init__(self, public_only: bool) -> None:
        self._backend = httpcore.SyncBackend()
        self._public_only = public_only

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _time_left(timeout, httpcore.ConnectTimeout)
        targets = [host]
        if self._public_only:
            targets = self._public_addresses(host, port)
        error: Exception | None = None
        for target in targets:
            try:
                stream = self._backend.connect_tcp(
                    target, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            peer = stream.get_extra_info("server_addr")
            if self._public_only and (not peer or is_internal(str(peer[0]))):
                stream.close()
                raise InternalAddressError(f"refused to connect to {host}: an internal address")
            return _DeadlineStream(stream)
        raise error or httpcore.ConnectError(f"could not connect to {host}")

    def _public_addresses(self, host: str, port: int) -> list[str]:
        """``host``'s addresses, resolved once; InternalAddressError if any is internal
        (a name that also points inside is not trusted with its public half)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses or any(is_internal(address) for address in addresses):
            raise InternalAddressError(f"refused to connect to {host}: an internal address")
        return addresses

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for providers")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over :class:`_GuardedBackend` (no environment proxies: the
    connection goes straight to the checked address). Its connection pool has no cap on
    connections (a worker's threads each hold one) and keeps idle ones ``keepalive_expiry``
    seconds."""

    def __init__(
        self, ssl_context: ssl.SSLContext, *, public_only: bool, keepalive_expiry: float = 5.0
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx has no argument for httpcore's network backend: build the pool it would,
        # over ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=None,
            keepalive_expiry=keepalive_expiry,
            network_backend=_GuardedBackend(public_only),
        )
