"""django-allauth adapters: who may create an account, and what joining does.

Sign-up by username and password is open only to someone holding a usable invitation
(:mod:`fluxweb.accounts.models`). Single sign-on creates the member on first sign-in,
restricted to ``OIDC_ALLOWED_DOMAINS`` when set (an invitation lets anyone in).
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from .services import pending_invitation, spend_invitation


def email_domain_allowed(email: str) -> bool:
    """Whether ``email`` is in one of ``OIDC_ALLOWED_DOMAINS`` (any, when none are set)."""
    allowed = settings.OIDC_ALLOWED_DOMAINS
    if not allowed:
        return True
    local, _, domain = (email or "").strip().lower().rpartition("@")
    return bool(local) and domain in allowed


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return pending_invitation(request) is not None

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """Save the new member and spend their invitation, both or neither.

        Raises PermissionDenied (403) when the invitation was spent meanwhile."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit and not spend_invitation(request, user):
                raise PermissionDenied("This invitation has already been used or has expired.")
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        if pending_invitation(request) is not None:
            return True
        return email_domain_allowed(sociallogin.user.email)

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            spend_invitation(request, user)  # when joining through an invitation
        return user
