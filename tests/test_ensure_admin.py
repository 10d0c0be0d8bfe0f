from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_creates_admin_from_djangos_environment_variables(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "s3cret-pass-word")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    assert "Created admin account 'root'" in run()
    user = get_user_model().objects.get(username="root")
    assert (
        user.is_superuser
        and user.email == "root@example.com"
        and user.check_password("s3cret-pass-word")
    )
    assert "exists" in run()
    assert get_user_model().objects.count() == 1


def test_without_variables_prints_generated_credentials_once(monkeypatch):
    for name in (
        "DJANGO_SUPERUSER_USERNAME",
        "DJANGO_SUPERUSER_PASSWORD",
        "DJANGO_SUPERUSER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    output = run()
    password = output.split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert run() == ""  # never again, and no second admin
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
