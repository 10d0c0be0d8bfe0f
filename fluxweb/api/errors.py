"""Errors in the OpenAI API's shape: ``{"error": {"message", "type", "param", "code"}}``.

Every answer under ``/v1/`` that is not a success has this shape, Django's own error answers
included: :func:`allow_methods` replaces ``require_POST``/``require_GET`` (405), and the
project's error handlers (``handler400``/``403``/``404``/``500`` in fluxweb/urls.py) answer
with :func:`api_error` for API paths and with Django's error pages elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/v1/"


def api_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    **extra: Any,
) -> JsonResponse:
    """A JSON error response with HTTP ``status``; ``extra`` keys go beside ``error``."""
    error = {"message": message, "type": type, "param": param, "code": code}
    return JsonResponse({"error": error, **extra}, status=status)


def allow_methods(*methods: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like Django's ``require_http_methods`` (sync or async views), but the 405 for any
    other method is an API error naming the allowed ones (and the ``Allow`` header)."""

    def refuse(request: HttpRequest) -> JsonResponse:
        response = api_error(
            405,
            f"{request.method} is not allowed here; use {', '.join(methods)}.",
            code="method_not_allowed",
        )
        response["Allow"] = ", ".join(methods)
        return response

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        if iscoroutinefunction(view):

            @wraps(view)
            async def async_wrapper(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponse:
                if request.method not in methods:
                    return refuse(request)
                return await view(request, *args, **kwargs)

            return async_wrapper

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return refuse(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def is_api(request: HttpRequest) -> bool:
    """Whether ``request`` is for the images API (its path is under ``/v1/``)."""
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a malformed request (e.g. a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    if is_api(request):
        return api_error(400, "The request could not be read (malformed or too large).")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``."""
    if is_api(request):
        return api_error(403, "You may not do this.", code="permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: an unknown API path answers OpenAI's ``unknown_url`` error."""
    if is_api(request):
        return api_error(
            404, f"Unknown URL: {request.method} {request.path[:200]}", code="unknown_url"
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a bug; the API answers OpenAI's ``server_error`` shape, never a page."""
    if is_api(request):
        return api_error(
            500, "The server had an error while processing your request.", type="server_error"
        )
    return defaults.server_error(request)
