"""Errors in the OpenAI API's shape: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


def api_error(
    status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
    code: str | None = None, **extra: Any,
) -> JsonResponse:
    """A JSON error response with HTTP ``status``; ``extra`` keys go beside ``error``."""
    return JsonResponse({"error": {"message": message, "type": type, "param": param, "code": code}, **extra},
                        status=status)
