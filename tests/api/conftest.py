import pytest

from fluxweb.api.models import ApiToken


@pytest.fixture
def token(member) -> str:
    return ApiToken.issue(member, "script")[1]


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks inline at commit, so an API request sees its generation finish."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
