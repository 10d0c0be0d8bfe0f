"""Every new member, however they joined, starts with the default budget."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from .services import set_up_new_member


@receiver(user_signed_up, dispatch_uid="fluxweb.accounts.new_member_budget")
def new_member_budget(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    set_up_new_member(user)
