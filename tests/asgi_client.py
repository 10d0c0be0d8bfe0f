"""One HTTP request sent straight into an ASGI application as a server would send it, no
sockets: for tests/test_asgi_handler.py and bench/asgi.py."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.handlers.asgi import ASGIHandler


async def asgi_get(
    app: ASGIHandler, path_and_query: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, bytes]:
    """``GET path_and_query`` through ``app`` (Host ``localhost``, plus ``headers``), the
    client staying connected until the answer is sent: (status, body)."""
    route, _, query = path_and_query.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    status, body = 0, b""

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            body += message.get("body", b"")

    await app(scope, receive, send)
    return status, body
