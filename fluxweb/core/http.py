"""Typed requests for views: what the middleware in settings adds to ``HttpRequest``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware: ``request.htmx`` is truthy
    for requests htmx made."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a view behind ``LoginRequiredMiddleware`` (every view not marked
    ``login_not_required``): ``request.user`` is a signed-in user."""

    user: User
