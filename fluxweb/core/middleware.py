"""Middleware of fluxweb's own that is about how requests are served, not what they do."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SyncMiddlewareChain:
    """Last in ``MIDDLEWARE``: declares itself sync-only, so that under ASGI Django runs
    the whole middleware chain in one worker thread per request.

    Why: fluxweb's views are sync (the ORM), and WhiteNoise's middleware is sync-only.
    Without this, Django (``BaseHandler.load_middleware``) runs the middleware inside
    WhiteNoise in async mode, and every ``process_request``/``process_response`` hook of
    Django's own middleware (sessions, CSRF, auth, messages, …) then crosses from the event
    loop to a thread and back: 16 such switches for a signed-in page, 6 with this class
    (the chain, each ``process_view``, the view, the request signals;
    tests/test_asgi_middleware.py counts them). Measured on
    uvicorn with PostgreSQL (docs/speed.md): a signed-in GET of the estimate partial went
    from 8.2–10.0 ms to 6.8–8.3 ms, ``/healthz`` from 5.3–6.8 ms to 4.0–5.1 ms.

    Async views (the live gallery's SSE stream) still run on the event loop: Django calls
    them through ``async_to_sync`` from the chain's thread, and streams their async
    iterator from the loop as before.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
