"""A tiny threaded HTTP server on loopback that hands each request to an emulator object.

An emulator has ``handle(request: Request) -> Response``; it records what it received so
tests can assert on the exact wire format. No mocking: providers talk real HTTP to it.
"""

from __future__ import annotations

import functools
import io
import json
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from PIL import Image


@dataclass
class Request:
    """One request as the emulator saw it; ``client`` is the (host, port) it came from,
    one per connection."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int] = ("", 0)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Response:
    """An answer; with ``drip`` > 0 the body is sent in ``drip_parts`` pieces, ``drip``
    seconds apart (a server that answers slowly but never falls silent for long)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0
    drip_parts: int = 8

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return cls(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


class Emulator(Protocol):
    def handle(self, request: Request) -> Response: ...


def png_bytes(
    width: int, height: int, colour: tuple[int, int, int] = (200, 120, 40), fmt: str = "PNG"
) -> bytes:
    """A real image of ``width``×``height`` pixels, as a provider would return it."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt)
    return buffer.getvalue()


@functools.lru_cache(maxsize=256)
def answer_image(width: int, height: int, fmt: str = "PNG") -> bytes:
    """The image an emulator answers with: one per size and format, made once, so an
    emulator sharing the machine with fluxweb adds no encoding work of its own (a provider
    makes its images on its own machines)."""
    return png_bytes(width, height, colour=(40, 90, 160), fmt=fmt)


def _handler_for(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: small answers leave at once instead of waiting on Nagle + delayed ACK.
        disable_nagle_algorithm = True

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                client=self.client_address[:2],
            )
            response = emulator.handle(request)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if not response.drip:
                self.wfile.write(response.body)
                return
            size = -(-len(response.body) // max(1, response.drip_parts))
            for start in range(0, len(response.body), max(1, size)):
                self.wfile.write(response.body[start : start + size])
                self.wfile.flush()
                time.sleep(response.drip)

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Listen backlog: a burst of connections (benchmarks) queues instead of being refused.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) is expected; anything else is shown.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextmanager
def serve(emulator: Emulator, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Run ``emulator`` on 127.0.0.1 on a free port; yields its base URL (https with a
    server-side ``tls`` context: :func:`tests.tls.server_context`)."""
    server = _Server(("127.0.0.1", 0), _handler_for(emulator))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    # A short poll interval makes shutdown (each test's teardown) quick.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_forever(emulator: Emulator, port: int, env: Mapping[str, str] | None = None) -> None:
    """Serve ``emulator`` on 127.0.0.1:``port`` until interrupted (for manual trials);
    prints the environment that points fluxweb at it (``env``)."""
    server = _Server(("127.0.0.1", port), _handler_for(emulator))
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    if isinstance(emulator, BaseEmulator):
        emulator.base_url = base_url  # image URLs it hands out point at itself
    print(f"{type(emulator).__name__} listening on {base_url}", flush=True)
    if env:
        variables = " ".join(f"{name}={value}" for name, value in env.items())
        print(f"run fluxweb with: {variables} bin/run", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(emulator: BaseEmulator, default_port: int, env: Callable[[str], dict[str, str]]) -> None:
    """``python -m tests.emulators.<provider> [PORT [LATENCY]]``: serve ``emulator`` on
    ``PORT`` (default ``default_port``), answering after ``LATENCY`` seconds (default 1, a
    provider's pace); ``env(base_url)`` is the environment fluxweb needs to use it."""
    args = sys.argv[1:]
    port = int(args[0]) if args else default_port
    emulator.latency = float(args[1]) if len(args) > 1 else 1.0
    run_forever(emulator, port, env(f"http://127.0.0.1:{port}"))


@functools.cache
def bomb_png() -> bytes:
    """A small PNG (a few KB) that decodes to 25 megapixels: over the default pixel cap."""
    buffer = io.BytesIO()
    Image.new("1", (5000, 5000)).save(buffer, format="PNG")
    return buffer.getvalue()


class BaseEmulator:
    """What every provider emulator shares: it records API requests (``requests``) and
    image downloads (``downloads``), injects ``fault`` into the next ``fault_times``
    answers (None = all), delays answers by ``latency`` seconds, and serves the images it
    makes from its own host under ``/files/`` (``base_url`` is set by the test fixture).

    Image faults understood by :meth:`image`: ``"truncated"``, ``"not-image"``, ``"bomb"``.
    ``download_fault`` (an HTTP status, e.g. ``"502"``) spoils the next
    ``download_fault_times`` image downloads (None = all). Subclasses implement ``handle_api``.
    """

    FILES = "/files/"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.downloads: list[Request] = []
        self.fault: str | None = None
        self.fault_times: int | None = None
        self.latency = 0.0
        self.download_fault: str | None = None
        self.download_fault_times: int | None = None
        self.base_url = ""
        self._files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.path.startswith(self.FILES):
            self.downloads.append(request)
            with self._lock:
                spoil = self.download_fault is not None and self.download_fault_times != 0
                if spoil and self.download_fault_times is not None:
                    self.download_fault_times -= 1
            if spoil:
                return Response(
                    int(self.download_fault or 500),
                    b"upstream error",
                    {"Content-Type": "text/plain"},
                )
            found = self._files.get(request.path)
            if found is None:
                return Response(404, b"not found", {"Content-Type": "text/plain"})
            return Response(200, found[0], {"Content-Type": found[1]})
        self.requests.append(request)
        if self.latency:
            time.sleep(self.latency)
        return self.handle_api(request)

    def handle_api(self, request: Request) -> Response:
        raise NotImplementedError

    def take_fault(self) -> str | None:
        """The fault for this answer, counting down ``fault_times``."""
        with self._lock:
            if self.fault is None or self.fault_times == 0:
                return None
            if self.fault_times is not None:
                self.fault_times -= 1
            return self.fault

    def image(
        self, width: int, height: int, fault: str | None, fmt: str = "PNG", seed: int = 0
    ) -> bytes:
        """The image bytes to return, spoiled as ``fault`` says."""
        if fault == "bomb":
            return bomb_png()
        if fault == "not-image":
            return b"<html><body>this is not an image</body></html>"
        data = answer_image(width, height, fmt)
        return data[: len(data) // 2] if fault == "truncated" else data

    def file_url(self, data: bytes, content_type: str = "image/png") -> str:
        """Serve ``data`` from this emulator; returns its absolute URL."""
        extension = {"image/png": "png", "image/jpeg": "jpeg"}.get(content_type, "bin")
        path = f"{self.FILES}{uuid.uuid4().hex}.{extension}"
        self._files[path] = (data, content_type)
        return self.base_url + path
