"""Hooks the worker calls after each generation: one line each in generations.services.

They never raise: a failure to record status is logged and the generation goes on.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Now

from fluxweb.core.redact import redact

from .models import ProviderStatus

logger = logging.getLogger(__name__)


def record_success(slug: str, metadata: dict[str, Any]) -> None:
    """Provider ``slug`` produced images; ``metadata["credits_remaining"]`` (a number or
    numeric string, the provider's unit) is kept when present."""
    changes: dict[str, Any] = {"last_success_at": Now(), "success_count": F("success_count") + 1}
    credits = _decimal(metadata.get("credits_remaining"))
    if credits is not None:
        changes.update(credits_remaining=credits, credits_reported_at=Now())
    _apply(slug, changes)


def record_failure(slug: str, reason: str) -> None:
    """A generation on provider ``slug`` failed with ``reason`` (a user-readable sentence)."""
    changes = {"last_error_at": Now(), "last_error": redact(reason)[:2000]}
    _apply(slug, {**changes, "failure_count": F("failure_count") + 1})


def record_ignored_cost(slug: str, report: str) -> None:
    """Provider ``slug`` reported a cost fluxweb did not believe: ``report`` is the figure
    as reported and why (``"-50 (negative)"``); the estimate was charged instead."""
    _apply(slug, {"last_ignored_cost": report[:200], "last_ignored_cost_at": Now()})


def _apply(slug: str, changes: dict[str, Any]) -> None:
    try:
        if ProviderStatus.objects.filter(slug=slug).update(**changes):
            return
        try:
            with transaction.atomic():
                ProviderStatus.objects.create(slug=slug)
        except IntegrityError:
            pass  # another worker created it first
        ProviderStatus.objects.filter(slug=slug).update(**changes)
    except DatabaseError:
        logger.exception("could not record the status of provider %s", slug)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < Decimal(10) ** 12 else None
