"""Under ASGI, a request crosses between the event loop and a thread only a few times
(fluxweb.core.middleware.SyncMiddlewareChain), not once per middleware hook."""

from unittest import mock

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)


async def switches_for_one_request(client: AsyncClient, path: str) -> tuple[int, int]:
    calls = 0
    original = SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        return await original(self, *args, **kwargs)

    with mock.patch.object(SyncToAsync, "__call__", counting):
        response = await client.get(path)
    return response.status_code, calls


@pytest.fixture
def signed_in(member) -> AsyncClient:
    client = AsyncClient()
    client.force_login(member)
    return client


def test_a_signed_in_page_crosses_threads_a_handful_of_times(signed_in):
    status, switches = async_to_sync(switches_for_one_request)(signed_in, "/usage/")
    assert status == 200
    assert switches <= 6, f"{switches} loop→thread switches for one request"


def test_without_the_sync_chain_every_hook_switches(signed_in, settings):
    # The comparison that shows what the last middleware is for (and that the count above
    # can fail): the same request with it removed.
    assert settings.MIDDLEWARE[-1] == "fluxweb.core.middleware.SyncMiddlewareChain"
    settings.MIDDLEWARE = settings.MIDDLEWARE[:-1]
    status, switches = async_to_sync(switches_for_one_request)(signed_in, "/usage/")
    assert status == 200
    assert switches > 10, f"{switches} loop→thread switches for one request"
