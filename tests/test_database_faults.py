"""PostgreSQL going away under the running processes: a worker whose threads cannot get a
connection ("too many connections") logs it, backs off and runs every claimed generation
once the server has room; a web process whose pooled connections were terminated answers
the next requests without a 500.

PostgreSQL only. The server's max_connections is shared, so the worker runs as a role of
this test's own whose CONNECTION LIMIT the test lowers and lifts.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from fluxweb.budgets.models import Hold
from fluxweb.generations.models import Generation
from fluxweb.queue.models import WorkerHeartbeat
from tests.processes import app_env, database_url, wait_for, web_server, worker
from tests.test_worker_recovery import deepinfra_env, finished, submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="PostgreSQL's connection limits"
    ),
]


def sql(statement: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def limited_role() -> Iterator[str]:
    """A login role of this test (not a superuser: superusers ignore connection limits)
    with every privilege on the test database's tables; its name."""
    role = f"{connection.settings_dict['NAME'][:40]}_limited"
    if not sql("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]):
        sql(f'CREATE ROLE "{role}" LOGIN')
    sql(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
    sql(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    try:
        yield role
    finally:
        sql(f'ALTER ROLE "{role}" CONNECTION LIMIT -1')
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role])
        sql(f'DROP OWNED BY "{role}"')
        sql(f'DROP ROLE IF EXISTS "{role}"')


def connections_of(role: str) -> int:
    return sql("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role])[0][0]


def test_worker_without_connections_logs_backs_off_and_runs_everything_once_there_is_room(
    member_client, deepinfra, tmp_path, limited_role
):
    # The test database, reached as the limited role (no password: local trust, as the tests').
    host_and_name = database_url().split("@", 1)[1]
    env = deepinfra_env(
        deepinfra,
        DATABASE_URL=f"postgres://{limited_role}@{host_and_name}",
        FLUXWEB_STUCK_AFTER="3600",
        FLUXWEB_SWEEP_INTERVAL="0.2",
        FLUXWEB_WORKER_DB_BACKOFF="0.2",
        FLUXWEB_WORKER_DB_BACKOFF_MAX="1",
    )
    log = tmp_path / "worker.log"
    with worker(env, log, "--threads", "4") as process:
        # Idle and connected (claimer, heartbeat, sweep, LISTEN): then no new connection.
        wait_for(
            lambda: WorkerHeartbeat.objects.exists() and connections_of(limited_role) >= 4,
            timeout=30,
        )
        sql(f'ALTER ROLE "{limited_role}" CONNECTION LIMIT {connections_of(limited_role)}')
        generations = [
            submit(member_client, f"Lighthouse number {i}, watercolour") for i in range(6)
        ]
        wait_for(lambda: "cannot be reached" in log.read_text(), timeout=30)
        assert not any(finished(g) for g in generations)
        sql(f'ALTER ROLE "{limited_role}" CONNECTION LIMIT -1')
        wait_for(lambda: all(finished(g) for g in generations), timeout=90)
        assert process.poll() is None  # it carried on
    assert {g.status for g in generations} == {Generation.Status.SUCCEEDED}, [
        g.error for g in generations
    ]
    assert {Hold.objects.get(pk=g.hold_id).state for g in generations} == {Hold.State.SETTLED}
    assert len(deepinfra.requests) == 6


def test_terminated_pooled_connections_cost_no_request_a_500(member_client, tmp_path):
    env = app_env(DJANGO_DB_POOL_MAX_SIZE="4")
    cookies = {"sessionid": member_client.cookies["sessionid"].value}
    with web_server(env, tmp_path / "web.log") as base_url:

        def get(path: str) -> int:
            return httpx.get(f"{base_url}{path}", cookies=cookies, timeout=30).status_code

        with ThreadPoolExecutor(4) as pool:  # several pooled connections open
            assert set(pool.map(get, ["/", "/healthz"] * 8)) == {200}
        killed = sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )[0][0]
        assert killed >= 1
        statuses = [get(path) for path in ["/", "/healthz", "/accounts/me/"] * 10]
    assert statuses == [200] * len(statuses)


def test_a_worker_with_a_pool_holds_a_bounded_number_of_connections(
    member_client, deepinfra, tmp_path
):
    generations = [submit(member_client, f"Lighthouse number {i}, watercolour") for i in range(12)]
    env = deepinfra_env(deepinfra, DJANGO_DB_POOL_MAX_SIZE="3", FLUXWEB_SWEEP_INTERVAL="0.2")
    seen: list[int] = []

    def all_finished_while_counting() -> bool:
        seen.append(
            sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )[0][0]
        )
        return all(finished(g) for g in generations)

    with worker(env, tmp_path / "worker.log", "--threads", "8"):
        wait_for(all_finished_while_counting, timeout=90)
    assert {g.status for g in generations} == {Generation.Status.SUCCEEDED}
    assert max(seen) <= 3 + 1  # the pool, and the LISTEN connection
