"""Accounts pages: the member's own account, invitations (admins), accepting an invitation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.views import SignupView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import InviteForm
from .models import Invitation
from .services import SESSION_KEY, email_is_configured, invite, pending_invitation


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for members who are not admins (``is_staff``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """The member's own account: password, API tokens, usage, single sign-on links."""
    return render(
        request,
        "accounts/account.html",
        {
            "password_login": settings.FLUXWEB_PASSWORD_LOGIN,
            "sso": bool(settings.OIDC_SERVER_URL),
            "sso_name": settings.OIDC_PROVIDER_NAME,
        },
    )


@staff_only
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest) -> HttpResponse:
    """List invitations; POST invites the addresses given and shows each link once."""
    form = InviteForm(request.POST or None)
    sent = []
    if request.method == "POST" and form.is_valid():
        sent = invite(request, form.cleaned_data["emails"])
        form = InviteForm()
    return render(
        request,
        "accounts/invitations.html",
        {
            "form": form,
            "sent": sent,
            "email_configured": email_is_configured(),
            "invitations": Invitation.objects.select_related("invited_by", "accepted_by")[:200],
            "days": settings.FLUXWEB_INVITATION_DAYS,
        },
    )


@staff_only
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Invitation, pk=pk).revoke()
    return redirect("accounts:invitations")


@login_not_required
@require_GET
def accept(request: HttpRequest, key: str) -> HttpResponse:
    """An invitation link: remembers the invitation in the session and continues to
    sign-up (or single sign-on); an unusable link gets a page saying so (410)."""
    invitation = Invitation.find_usable(key)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=410)
    if request.user.is_authenticated:
        context = {"invitation": invitation}
        return render(request, "accounts/invitation_signed_in.html", context, status=409)
    request.session[SESSION_KEY] = key
    return redirect("account_signup")


class InvitedSignupView(SignupView):
    """allauth's sign-up with the email address fixed to the invitation's."""

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        invitation = pending_invitation(self.request)
        if invitation is not None and "email" in form.fields:
            form.fields["email"].initial = invitation.email
            form.fields["email"].disabled = True
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["invitation"] = pending_invitation(self.request)
        context["password_login"] = settings.FLUXWEB_PASSWORD_LOGIN
        return context


invited_signup = login_not_required(InvitedSignupView.as_view())
