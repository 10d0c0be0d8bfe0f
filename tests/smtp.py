"""A real SMTP server on loopback for tests that send mail (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.processes import free_port


@contextmanager
def smtp_inbox() -> Iterator[tuple[int, list[bytes]]]:
    """An SMTP server on 127.0.0.1 while the block runs: yields its port and the list that
    receives each delivered message's raw bytes."""
    from aiosmtpd.controller import Controller

    messages: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
            messages.append(envelope.content)
            return "250 Message accepted for delivery"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages
    finally:
        controller.stop()
