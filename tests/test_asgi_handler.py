"""fluxweb's ASGI handler (fluxweb.core.asgi.SyncChainASGIHandler): a request crosses from
the event loop to a thread a handful of times, not once per middleware hook; its threads
are kept for later requests, and two requests in flight never share one."""

from __future__ import annotations

import asyncio
import threading
from unittest import mock

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from fluxweb.core.asgi import SyncChainASGIHandler
from tests.asgi_client import asgi_get

meeting = threading.Barrier(2, timeout=10)
threads: list[threading.Thread] = []  # kept alive, so no two are the same object


def this_thread() -> str:
    """Which thread this is, as a number no other thread of the test run shares."""
    threads.append(threading.current_thread())
    return str(id(threads[-1]))


@login_not_required
def thread_view(request: HttpRequest) -> HttpResponse:
    if "meet" in request.GET:  # both requests must be here at once
        meeting.wait()
    return HttpResponse(this_thread())


@login_not_required
async def async_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(await sync_to_async(this_thread)())


urlpatterns = [path("thread", thread_view), path("async", async_view)]

pytestmark = pytest.mark.django_db(transaction=True)  # requests run in threads of their own


@pytest.fixture
def own_urls():
    with override_settings(ROOT_URLCONF=__name__):
        yield


async def get(app: ASGIHandler, path_and_query: str, cookie: str = "") -> tuple[int, str]:
    """One GET through ``app``, with ``cookie`` when given: (status, body)."""
    headers = [(b"cookie", cookie.encode())] if cookie else []
    status, body = await asgi_get(app, path_and_query, headers)
    return status, body.decode()


def threads_of_consecutive_requests(app: ASGIHandler, count: int, route: str) -> set[str]:
    async def run() -> set[str]:
        results = [await get(app, route) for _ in range(count)]
        assert {status for status, _ in results} == {200}
        return {body for _, body in results}

    return asyncio.run(run())


@pytest.mark.usefixtures("own_urls")
@pytest.mark.parametrize("route", ["/thread", "/async"])
def test_consecutive_requests_run_in_one_kept_thread(route):
    app = SyncChainASGIHandler()
    assert len(threads_of_consecutive_requests(app, 5, route)) == 1
    assert len(app.idle) == 1


@pytest.mark.usefixtures("own_urls")
def test_djangos_own_handler_starts_a_thread_per_request():
    # What the handler is for, and proof that the count above can fail.
    assert len(threads_of_consecutive_requests(ASGIHandler(), 5, "/thread")) == 5


@pytest.mark.usefixtures("own_urls")
def test_requests_in_flight_together_each_have_their_own_thread():
    app = SyncChainASGIHandler()

    async def run() -> list[tuple[int, str]]:
        return list(await asyncio.gather(get(app, "/thread?meet"), get(app, "/thread?meet")))

    (status_a, thread_a), (status_b, thread_b) = asyncio.run(run())
    # Sharing one thread, the second would wait for the first, which waits for the second:
    # the meeting would time out and both answer 500.
    assert (status_a, status_b) == (200, 200)
    assert thread_a != thread_b
    assert len(app.idle) == 2
    # Both kept threads serve the next requests.
    assert threads_of_consecutive_requests(app, 4, "/thread") <= {thread_a, thread_b}


@pytest.mark.usefixtures("own_urls")
def test_no_more_than_keep_idle_threads_are_kept(monkeypatch):
    monkeypatch.setattr(SyncChainASGIHandler, "KEEP_IDLE", 1)
    app = SyncChainASGIHandler()

    async def run() -> None:
        await asyncio.gather(get(app, "/thread?meet"), get(app, "/thread?meet"))

    asyncio.run(run())
    assert len(app.idle) == 1


def switches_for_one_request(app: ASGIHandler, route: str, cookie: str) -> tuple[int, int]:
    """(status, loop → thread crossings) of one GET of ``route`` through ``app``."""
    calls = 0
    original = SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        return await original(self, *args, **kwargs)

    with mock.patch.object(SyncToAsync, "__call__", counting):
        status, _ = asyncio.run(get(app, route, cookie))
    return status, calls


@pytest.fixture
def session_cookie(member) -> str:
    client = Client()
    client.force_login(member)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_a_signed_in_page_crosses_threads_three_times(session_cookie):
    # The request_started signal, the middleware chain with the view, and the response's
    # close (the request_finished signal).
    status, switches = switches_for_one_request(SyncChainASGIHandler(), "/usage/", session_cookie)
    assert status == 200
    assert switches == 3


def test_under_djangos_own_handler_every_hook_crosses(session_cookie):
    # What loading the chain in sync mode is for, and proof that the count above can fail.
    status, switches = switches_for_one_request(ASGIHandler(), "/usage/", session_cookie)
    assert status == 200
    assert switches > 10, f"{switches} loop→thread switches for one request"
