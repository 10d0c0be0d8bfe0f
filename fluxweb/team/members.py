"""The members page's rules: who is listed with what numbers, and what an admin may change.

Budgets, caps and team pools live in :mod:`fluxweb.budgets`; this module reads them per
member and applies an admin's changes through its services.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from allauth.account.forms import ResetPasswordForm
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from fluxweb.accounts import lockout
from fluxweb.budgets.models import Hold, Quota, QuotaModelLimit
from fluxweb.budgets.periods import Period, period_start
from fluxweb.budgets.pools import quota_for
from fluxweb.budgets.services import BudgetStatus, status_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberRow:
    """One line of the members page: the user, their quota and its status as of now,
    today's images (all models), their per-model caps, and whether too many failed
    logins lock them out."""

    user: Any
    quota: Quota
    status: BudgetStatus
    images_today: int
    limits: list[QuotaModelLimit]
    locked_out: bool = False

    @property
    def role(self) -> str:
        return "admin" if self.user.is_staff else "member"

    @property
    def last_active(self) -> datetime | None:
        return self.user.last_login


def members(search: str = "") -> QuerySet[Any]:
    """Every user, by username; ``search`` matches username, name or email (contains)."""
    users = get_user_model().objects.order_by("username")
    search = search.strip()
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    return users


def member_rows(users: QuerySet[Any] | list[Any], now: datetime | None = None) -> list[MemberRow]:
    """:class:`MemberRow` of each user (a quota from the defaults is made for users who
    have none). A fixed number of queries whatever the number of users."""
    now = now or timezone.now()
    users = list(users)
    locked = lockout.locked_out(user.get_username() for user in users)
    quotas = {
        q.user_id: q for q in Quota.objects.filter(user__in=users).prefetch_related("model_limits")
    }
    for user in users:
        if user.pk not in quotas:
            quotas[user.pk] = quota_for(user, now)
    since = period_start(Period.DAILY, now)
    today = dict(
        Hold.objects.filter(user__in=users, created_at__gte=since)
        .exclude(state=Hold.State.RELEASED)
        .values("user")
        .annotate(total=Sum("images"))
        .values_list("user", "total")
    )
    return [
        MemberRow(
            user=user,
            quota=quotas[user.pk],
            status=status_of(quotas[user.pk], now),
            images_today=today.get(user.pk) or 0,
            limits=sorted(quotas[user.pk].model_limits.all(), key=lambda limit: limit.model_id),
            locked_out=user.get_username() in locked,
        )
        for user in users
    ]


def member_row(user: Any) -> MemberRow:
    return member_rows([user])[0]


class SelfChange(ValueError):
    """An admin tried to demote or deactivate themselves (they would lock themselves out)."""


def update_member(
    actor: Any,
    user: Any,
    *,
    role: str,
    budget_usd: Decimal | None,
    period: str,
    images_per_day: int | None,
) -> None:
    """Set ``user``'s role ("member"/"admin": ``is_staff``), budget (USD, None: no limit),
    period and daily image cap. Raises :class:`SelfChange` when ``actor`` would demote
    themselves. The quota's running totals are not touched."""
    is_staff = role == "admin"
    if actor.pk == user.pk and not is_staff:
        raise SelfChange("You cannot take away your own admin role.")
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    quota = quota_for(user)
    quota.budget_usd, quota.period, quota.images_per_day = budget_usd, period, images_per_day
    quota.save(update_fields=["budget_usd", "period", "images_per_day", "updated_at"])


def set_active(actor: Any, user: Any, active: bool) -> None:
    """Deactivate or reactivate ``user`` (``is_active``): a deactivated member cannot log in,
    their sessions end at their next request and their API tokens stop working. Raises
    :class:`SelfChange` for the actor themselves."""
    if actor.pk == user.pk and not active:
        raise SelfChange("You cannot deactivate yourself.")
    user.is_active = active
    user.save(update_fields=["is_active"])


def send_password_reset(user: Any, request: HttpRequest) -> str | None:
    """Email ``user`` a link to choose a new password: allauth's password reset
    (``account_reset_password_from_key``; the link works once). Returns None when sent,
    else why not (no email address, deactivated, or the mail server refused).

    The one place the members page sends reset links."""
    if not user.email:
        return f"{user.get_username()} has no email address."
    if not user.is_active:
        return f"{user.get_username()} is deactivated."
    form = ResetPasswordForm(data={"email": user.email})
    if not form.is_valid():
        return f"{user.get_username()}'s email address is not valid."
    form.users = [user]  # this member only, not everyone who shares the address
    try:
        form.save(request)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("password reset email to user %s failed: %s", user.pk, type(exc).__name__)
        return "The email could not be sent (check the email settings)."
    return None


def unlock(user: Any) -> str:
    """Let ``user`` log in again now after too many failed logins (from any address);
    returns what happened, for the admin."""
    name = user.get_username()
    return f"Unlocked {name}." if lockout.unlock(user) else f"{name} was not locked out."
