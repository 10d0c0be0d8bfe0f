"""fluxweb's ASGI handler: Django's, serving each request's synchronous part in one thread
hop, on a thread kept for later requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    """Django's :class:`~django.core.handlers.asgi.ASGIHandler` with two changes to how a
    request meets threads; what the request does is Django's.

    **The middleware chain runs synchronously, in one hop.** Django's handler loads the
    chain in async mode; fluxweb's middleware are sync (WhiteNoise's can only be), so
    every sync hook, each ``process_view`` and every sync view then crosses from the event
    loop to a thread and back. This handler loads the chain in sync mode, as a WSGI
    server's would, and runs Django's synchronous ``get_response`` in the request's
    thread: one hop for the chain and a sync view. Async views (the images API, the live
    gallery's stream) are called on the event loop through ``async_to_sync``, as Django
    does under WSGI; a streamed response is sent from the loop as before.

    **Request threads are kept.** Django enters a fresh ``ThreadSensitiveContext()`` per
    request: asgiref starts a thread for it and, when it ends, one more thread to join the
    first. asgiref lets the caller give the context an executor instead (one thread, one
    call at a time, owned by the caller); here that is a single-thread executor from
    :attr:`idle`, put back when the request is done. Two requests in flight never share a
    thread (the database connection is per thread); at most :attr:`KEEP_IDLE` wait.

    Why not Django's own handler: the images API misses its overhead targets (issue 18,
    ``bench/api.py``), and ``bench/asgi.py`` measures what each change saves per request
    (docs/speed.md, "One hop per request").
    """

    KEEP_IDLE = 128

    def __init__(self) -> None:
        super().__init__()
        self.idle: list[ThreadPoolExecutor] = []  # used from the event loop's thread only

    def load_middleware(self, is_async: bool = False) -> None:
        """The chain in sync mode, whatever the caller asks (``ASGIHandler`` asks async)."""
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        """Django's synchronous ``get_response`` (middleware, view, 4xx/5xx logging) in
        the request's thread."""
        return await sync_to_async(self.get_response)(request)

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if self.idle:
            executor = self.idle.pop()
        else:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await super().__call__(scope, receive, send)
        finally:
            if len(self.idle) < self.KEEP_IDLE:
                self.idle.append(executor)
            else:
                executor.shutdown(wait=False)
