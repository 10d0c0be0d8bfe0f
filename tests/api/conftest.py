import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection

from fluxweb.api.models import ApiToken


@pytest.fixture
def token(member) -> str:
    return ApiToken.issue(member, "script")[1]


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks inline at commit, so an API request sees its generation finish."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _listeners_gone(django_db_blocker) -> Iterator[None]:
    """After each test, let LISTEN connections of waits that ended (their loops closed)
    go, so the test database can be dropped at the end."""
    yield
    # Not join(): notify.Listener's _stop attribute hides the one Thread.join() calls.
    deadline = time.monotonic() + 5
    listened = False
    while time.monotonic() < deadline and _listening():
        listened = True
        time.sleep(0.05)
    if listened and connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            while time.monotonic() < deadline:  # a closed connection's backend exits soon
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if not cursor.fetchone()[0]:
                    break
                time.sleep(0.05)


def _listening() -> bool:
    return any(thread.name == "pg-listener" for thread in threading.enumerate())
