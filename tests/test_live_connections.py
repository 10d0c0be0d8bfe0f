"""Open live galleries and waiting API calls must not hold the web process's pooled
database connections."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connection  # noqa: F401 (the skipif condition reads it)

from fluxweb.generations.models import Generation
from tests.processes import app_env, wait_for, web_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="the connection pool is PostgreSQL's"
    ),
]
POOL, STREAMS = 2, 6


def test_more_open_galleries_than_pooled_connections_and_pages_still_load(member_client, tmp_path):
    cookies = {"sessionid": member_client.cookies["sessionid"].value}
    env = app_env(DJANGO_DB_POOL_MAX_SIZE=str(POOL))
    with web_server(env, tmp_path / "web.log") as base_url:
        opened, stop = threading.Semaphore(0), threading.Event()

        def gallery() -> None:
            try:
                with (
                    httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as http,
                    http.stream("GET", "/gallery/events/") as stream,
                ):
                    for line in stream.iter_lines():
                        if line.startswith("retry:") and stream.status_code == 200:
                            opened.release()
                        if stop.is_set():
                            return
            except httpx.HTTPError:
                pass  # the server stopping at the end (a stream that never opened fails the test)

        threads = [threading.Thread(target=gallery, daemon=True) for _ in range(STREAMS)]
        for thread in threads:
            thread.start()
        # Every stream got its start while the ones before it stay open.
        assert all(opened.acquire(timeout=30) for _ in range(STREAMS))
        page = httpx.get(f"{base_url}/", cookies=cookies, timeout=30)
        assert page.status_code == 200 and "Team gallery" in page.text
        stop.set()


def test_api_calls_waiting_for_their_images_do_not_starve_the_pages(
    member_client, member, tmp_path
):
    from fluxweb.api.models import ApiToken

    token = ApiToken.issue(member, "script")[1]
    cookies = {"sessionid": member_client.cookies["sessionid"].value}
    # No worker runs: every API call waits its whole timeout, longer than the pool's 10 s.
    env = app_env(DJANGO_DB_POOL_MAX_SIZE=str(POOL), FLUXWEB_API_WAIT_TIMEOUT="14")
    with web_server(env, tmp_path / "web.log") as base_url:
        answers: list[int] = []

        def api_call(i: int) -> None:
            response = httpx.post(
                f"{base_url}/v1/images/generations",
                timeout=60,
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "model": "demo/placeholder",
                    "prompt": f"A waiting heron {i}",
                    "size": "256x256",
                },
            )
            answers.append(response.status_code)

        calls = [threading.Thread(target=api_call, args=(i,)) for i in range(POOL + 2)]
        for call in calls:
            call.start()
        wait_for(lambda: Generation.objects.count() == POOL + 2, timeout=20)
        page = httpx.get(f"{base_url}/", cookies=cookies, timeout=60)
        assert page.status_code == 200 and "Team gallery" in page.text
        for call in calls:
            call.join(timeout=60)
    assert answers == [504] * (POOL + 2)  # still queued at the deadline: the documented answer
