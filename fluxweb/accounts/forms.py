"""Forms: allauth's login with fluxweb's label and the password-login switch; inviting."""

from __future__ import annotations

import re
from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_INVITATIONS = 50


class LoginForm(AllauthLoginForm):
    """allauth's username login, labelled "Username"; refuses passwords when
    ``FLUXWEB_PASSWORD_LOGIN`` is off (single sign-on only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)

    def clean(self) -> dict[str, Any]:
        if not settings.FLUXWEB_PASSWORD_LOGIN:
            raise ValidationError("Sign in with single sign-on instead.")
        return super().clean()


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One or many, separated by commas, spaces or new lines.",
    )

    def clean_emails(self) -> list[str]:
        """The distinct addresses, lower-cased; each must be valid."""
        found: list[str] = []
        for item in re.split(r"[\s,;]+", self.cleaned_data["emails"]):
            if not item:
                continue
            try:
                validate_email(item)
            except ValidationError:
                raise ValidationError(f"“{item[:100]}” is not an email address.") from None
            if item.lower() not in found:
                found.append(item.lower())
        if not found:
            raise ValidationError("Enter at least one email address.")
        if len(found) > MAX_INVITATIONS:
            raise ValidationError(f"At most {MAX_INVITATIONS} addresses at once.")
        return found
