"""Login lockout (django-axes): how a login attempt is counted, who is locked out, unlocking.

django-axes counts failed logins per username and address and per username alone
(settings ``AXES_LOCKOUT_PARAMETERS``); ``FLUXWEB_LOGIN_FAILURE_LIMIT`` failures within
``FLUXWEB_LOGIN_COOLOFF`` seconds lock the account until the cool-off ends or an admin
unlocks it on the members page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username an attempt counts against (``AXES_USERNAME_CALLABLE``): as typed in
    allauth's ``login`` field, lower-cased, because logins match usernames regardless of
    case (so "Bob" and "bob" share one count)."""
    name = (credentials or {}).get("username")
    if name is None:
        name = request.POST.get("login") if request.method == "POST" else None
    return name.strip().lower() if isinstance(name, str) and name.strip() else None


def client_address(request: HttpRequest) -> str | None:
    """The client address (``AXES_CLIENT_IP_CALLABLE``): ``REMOTE_ADDR``, which the web
    server sets from X-Forwarded-For only for trusted proxies (``FORWARDED_ALLOW_IPS``)."""
    return request.META.get("REMOTE_ADDR")


def locked_out(usernames: Iterable[str]) -> set[str]:
    """Those of ``usernames`` whose failed logins within the cool-off reach the limit
    (one query). Only plain-number limits are supported (``AXES_FAILURE_LIMIT``)."""
    keys = {name.lower(): name for name in usernames}
    if not keys:
        return set()
    attempts = AccessAttempt.objects.filter(username__in=keys)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    totals = attempts.values("username").annotate(failures=Sum("failures_since_start"))
    return {
        keys[row["username"]] for row in totals if row["failures"] >= settings.AXES_FAILURE_LIMIT
    }


def unlock(user: Any) -> int:
    """Forget ``user``'s failed logins from every address, so they can log in again at
    once. Returns the number of attempt records removed."""
    return reset(username=user.get_username().lower())
