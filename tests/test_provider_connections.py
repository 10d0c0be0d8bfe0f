"""Connections to a provider's API: kept alive between calls (over HTTPS too: one TLS
handshake, not one per call), shared by threads, each call under its own deadline, no cookies
carried from one call to the next. Against real HTTP/1.1 servers on loopback that record which
connection each request came on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fluxweb.providers import http as provider_http
from fluxweb.providers.base import GenerationRequest, RetryableProviderError
from fluxweb.providers.deepinfra import DeepInfraProvider
from fluxweb.providers.http import ProviderHTTP
from fluxweb.providers.network import provider_call
from tests.emulators.deepinfra import API_KEY, DeepInfraEmulator
from tests.emulators.server import serve
from tests.tls import certificate, server_context


class RecordingServer(ThreadingHTTPServer):
    """Answers every POST with ``{}`` after ``delay`` seconds, first waiting (up to 5 s)
    until ``gather`` requests are in flight at once; records each request's client address
    (one per connection) and Cookie header, and the peak number in flight."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.lock = threading.Condition()
        self.requests: list[tuple[Any, str | None]] = []
        self.in_flight = self.peak = 0
        self.delay, self.gather = 0.0, 0
        self.set_cookie = ""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up at its deadline is expected here."""


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        with server.lock:
            server.requests.append((self.client_address, self.headers.get("Cookie")))
            server.in_flight += 1
            server.peak = max(server.peak, server.in_flight)
            server.lock.notify_all()
            server.lock.wait_for(lambda: server.in_flight >= server.gather, timeout=5)
        time.sleep(server.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        if server.set_cookie:
            self.send_header("Set-Cookie", server.set_cookie)
        self.end_headers()
        self.wfile.write(b"{}")
        with server.lock:
            server.in_flight -= 1

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    recording = RecordingServer()
    thread = threading.Thread(target=recording.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield recording
    finally:
        recording.shutdown()
        recording.server_close()


@pytest.fixture
def http(server: RecordingServer) -> Iterator[ProviderHTTP]:
    port = server.server_address[1]
    provider_http = ProviderHTTP("Test provider", f"http://127.0.0.1:{port}/v1", {})
    yield provider_http
    provider_http.client.close()


def call(http: ProviderHTTP, seconds: float = 10.0) -> int:
    """One provider call of ``seconds`` making one request; its status code."""
    with provider_call(seconds, 1 << 20):
        return http.request("POST", "/generate", json={"prompt": "a lighthouse"}).status_code


def connections(server: RecordingServer) -> set[Any]:
    return {address for address, _cookie in server.requests}


def test_calls_to_a_provider_reuse_one_connection(server: RecordingServer, http: ProviderHTTP):
    assert [call(http) for _ in range(3)] == [200, 200, 200]
    assert len(server.requests) == 3
    assert len(connections(server)) == 1


def test_a_kept_connection_serves_the_next_call_under_that_calls_own_deadline(
    server: RecordingServer, http: ProviderHTTP
):
    assert call(http, seconds=0.2) == 200
    time.sleep(0.3)  # the call that opened the connection is long past its deadline
    server.delay = 0.1
    assert call(http, seconds=10.0) == 200
    server.delay = 3.0
    started = time.monotonic()
    with pytest.raises(RetryableProviderError, match="did not answer in time"):
        call(http, seconds=0.5)
    assert time.monotonic() - started < 2.5  # cut off at its own deadline, not the server's
    assert len(connections(server)) == 1


def test_threads_share_the_provider_with_no_cap_on_connections(
    server: RecordingServer, http: ProviderHTTP
):
    server.gather = 24  # more than httpcore's default of 10 connections per pool
    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(lambda _: call(http), range(24)))
    assert statuses == [200] * 24
    assert server.peak == 24
    assert len(connections(server)) == 24


def test_a_providers_cookie_is_not_sent_on_later_calls(server: RecordingServer, http: ProviderHTTP):
    server.set_cookie = "session=from-the-provider; Path=/"
    call(http)
    call(http)
    assert [cookie for _address, cookie in server.requests] == [None, None]


@pytest.fixture
def trusted_tls(tmp_path: Any, monkeypatch: Any) -> Iterator[Any]:
    """A server-side TLS context for 127.0.0.1 whose certificate fluxweb's providers trust
    (``SSL_CERT_FILE``, read when the shared TLS context is built)."""
    cert_file, key_file = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    provider_http.tls_context.cache_clear()
    yield server_context(cert_file, key_file)
    provider_http.tls_context.cache_clear()


def test_generations_over_https_share_one_tls_connection(trusted_tls: Any):
    emulator = DeepInfraEmulator()
    with serve(emulator, tls=trusted_tls) as base_url:
        emulator.base_url = base_url
        provider = DeepInfraProvider(API_KEY, base_url)
        (model,) = [m for m in provider.models() if m.id == "deepinfra/flux-1-schnell"]
        request = GenerationRequest(model=model, prompt="a lighthouse", width=256, height=256)
        for _ in range(3):
            with provider_call(10.0, 1 << 22):
                assert len(provider.generate(request).images) == 1
        provider.http.client.close()
    assert base_url.startswith("https://")
    assert len(emulator.requests) == 3
    assert len({sent.client for sent in emulator.requests}) == 1
