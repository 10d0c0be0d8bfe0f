"""What happens around accounts: inviting people, and setting up a new member."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from fluxweb.budgets.pools import quota_for

from .models import Invitation

logger = logging.getLogger(__name__)

# Session key holding the key of the invitation being accepted.
SESSION_KEY = "fluxweb_invitation_key"
_TEMPLATES = "accounts/email/invitation_"
# Backends that do not deliver mail: with these, links are only shown to the admin.
_NOT_DELIVERING = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def email_is_configured() -> bool:
    """Whether outgoing email reaches people (``EMAIL_URL`` names a real server)."""
    return settings.MAILERS["default"]["BACKEND"] not in _NOT_DELIVERING


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    link: str  # absolute URL carrying the key; shown to the admin this once


def invite(request: HttpRequest, emails: list[str]) -> list[SentInvitation]:
    """Invite each address in ``emails`` on behalf of ``request.user``; emails the links
    when email is configured. A delivery failure is logged and leaves the link to copy."""
    sent = []
    for email in emails:
        invitation, key = Invitation.issue(email, request.user)
        link = request.build_absolute_uri(reverse("accounts:accept", kwargs={"key": key}))
        if email_is_configured():
            context = {
                "link": link,
                "inviter": request.user,
                "invitation": invitation,
                "site": request.get_host(),
            }
            try:
                send_mail(
                    subject=render_to_string(f"{_TEMPLATES}subject.txt", context).strip(),
                    message=render_to_string(f"{_TEMPLATES}message.txt", context),
                    from_email=None,
                    recipient_list=[email],
                )
            except OSError:  # smtplib.SMTPException is an OSError
                logger.exception("invitation=%s could not be emailed", invitation.pk)
            else:
                Invitation.objects.filter(pk=invitation.pk).update(emailed=True)
                invitation.emailed = True
        sent.append(SentInvitation(invitation, link))
    return sent


def pending_invitation(request: HttpRequest) -> Invitation | None:
    """The usable invitation this browser session is accepting, or None."""
    return Invitation.find_usable(request.session.get(SESSION_KEY, ""))


def set_up_new_member(user: Any) -> None:
    """Give a member who just joined their budget, copied from the defaults."""
    quota_for(user)


def spend_invitation(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Mark the session's invitation as used by ``user``; False if there is none usable
    (or another sign-up spent it first)."""
    invitation = pending_invitation(request)
    request.session.pop(SESSION_KEY, None)
    return invitation is not None and invitation.accept(user)
