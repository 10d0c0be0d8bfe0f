"""Receivers: every new user gets a quota from the defaults; after ``migrate`` the price
table gains a row for every enabled model that lacks one."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def give_new_user_a_quota(
    sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        from .pools import quota_for

        quota_for(instance)


def seed_prices(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from .prices import ensure_prices

    ensure_prices()


def connect_post_migrate(app_config: AppConfig) -> None:
    post_migrate.connect(seed_prices, sender=app_config, dispatch_uid="budgets_seed_prices")
