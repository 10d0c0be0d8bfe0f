"""Settings of the accounts app: django-allauth (sign-in by username, sign-up only by
invitation or single sign-on), single sign-on through OpenID Connect, and outgoing email.
Read from the environment like the rest; ``fluxweb/settings.py`` takes every name in
``__all__``. docs/deployment.md lists the variables.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from environs import Env

env = Env()
DEBUG = env.bool("DJANGO_DEBUG", default=True)

# django-axes: lock out password guessing. A team often shares one office address, so the
# lock is per username *and* address: a guesser cannot lock the whole office out.
AXES_FAILURE_LIMIT = env.int("FLUXWEB_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("FLUXWEB_LOGIN_COOLOFF", default=15 * 60))
# Per username and address, and per username from any address: rotating addresses (or a
# botnet) gets no more guesses at one account. With one limit for both, the username lock
# is the one that trips; an admin unlocks a member on the members page (/team/).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
# Logins match usernames case-insensitively (allauth): count "Bob" and "bob" as one.
AXES_USERNAME_CALLABLE = "fluxweb.accounts.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
# The client address is REMOTE_ADDR, which uvicorn sets from X-Forwarded-For only when the
# connection comes from a trusted proxy (FORWARDED_ALLOW_IPS, default 127.0.0.1; Procfile
# and bin/run); never read forwarding headers a client can forge.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_CLIENT_IP_CALLABLE = "fluxweb.accounts.lockout.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "gallery:home"
LOGOUT_REDIRECT_URL = "account_login"

# Username sign-in; sign-up only by invitation or single sign-on (fluxweb/accounts/adapters.py).
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True
# django-axes (above) throttles failed logins per username and address; allauth's own
# per-address limit would lock a whole office out.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
ACCOUNT_ADAPTER = "fluxweb.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "fluxweb.accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "fluxweb.accounts.forms.LoginForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[fluxweb] "
FLUXWEB_INVITATION_DAYS = env.int("FLUXWEB_INVITATION_DAYS", default=7)
FLUXWEB_PASSWORD_LOGIN = env.bool("FLUXWEB_PASSWORD_LOGIN", default=True)  # 0: single sign-on only

# Single sign-on: allauth's openid_connect provider, configured here (no database row).
OIDC_SERVER_URL = env.str("OIDC_SERVER_URL", default="")  # the issuer
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
# Email domains (example.com) whose people may join by single sign-on; empty = any.
_DOMAINS: list[str] = env.list("OIDC_ALLOWED_DOMAINS", default=[])
OIDC_ALLOWED_DOMAINS = [domain.lower().lstrip("@") for domain in _DOMAINS]
_OIDC = [OIDC_SERVER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME]
if any(_OIDC) and not all(_OIDC):
    raise ImproperlyConfigured(
        "Single sign-on needs all four of OIDC_SERVER_URL, OIDC_CLIENT_ID, "
        "OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME (or none). See docs/deployment.md."
    )
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_SERVER_URL},
            }
        ]
        if OIDC_SERVER_URL
        else [],
    }
}
SSO_ORIGINS = (
    [urlsplit(OIDC_SERVER_URL)._replace(path="", query="").geturl()] if OIDC_SERVER_URL else []
)
SOCIALACCOUNT_AUTO_SIGNUP = True
# A member whose verified email the provider confirms signs in to their existing account.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True

# Outgoing email: EMAIL_URL in dj-email-url's format (smtp://user:password@host:587/?tls=True,
# smtps://..., console:). Unset in production, mail is dropped (dummy:), not logged: reset
# links are secrets. Without a mail server, invitation links are only shown to copy.
_EMAIL = env.dj_email_url("EMAIL_URL", default="console:" if DEBUG else "dummy:")
MAILERS = {"default": {"BACKEND": _EMAIL["EMAIL_BACKEND"], "OPTIONS": {}}}
if _EMAIL["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": _EMAIL["EMAIL_HOST"],
        "port": _EMAIL["EMAIL_PORT"],
        "username": _EMAIL["EMAIL_HOST_USER"] or None,
        "password": _EMAIL["EMAIL_HOST_PASSWORD"] or None,
        "use_tls": _EMAIL["EMAIL_USE_TLS"],
        "use_ssl": _EMAIL["EMAIL_USE_SSL"],
        "timeout": _EMAIL.get("EMAIL_TIMEOUT") or 20,  # seconds
    }
# Running without email (dummy:) is supported, not a mistake.
SILENCED_SYSTEM_CHECKS = (
    ["mail.E001"]
    if _EMAIL["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"
    else []
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="fluxweb <fluxweb@localhost>"
)

__all__ = [
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "AXES_LOCKOUT_PARAMETERS",
    "AXES_USERNAME_CALLABLE",
    "AXES_RESET_ON_SUCCESS",
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    "AXES_CLIENT_IP_CALLABLE",
    "AXES_LOCKOUT_TEMPLATE",
    "AXES_VERBOSE",
    "LOGIN_URL",
    "LOGIN_REDIRECT_URL",
    "LOGOUT_REDIRECT_URL",
    "ACCOUNT_LOGIN_METHODS",
    "ACCOUNT_SIGNUP_FIELDS",
    "ACCOUNT_EMAIL_VERIFICATION",
    "ACCOUNT_SESSION_REMEMBER",
    "ACCOUNT_RATE_LIMITS",
    "ACCOUNT_ADAPTER",
    "SOCIALACCOUNT_ADAPTER",
    "ACCOUNT_FORMS",
    "ACCOUNT_EMAIL_SUBJECT_PREFIX",
    "FLUXWEB_INVITATION_DAYS",
    "FLUXWEB_PASSWORD_LOGIN",
    "OIDC_SERVER_URL",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_PROVIDER_NAME",
    "OIDC_ALLOWED_DOMAINS",
    "SOCIALACCOUNT_PROVIDERS",
    "SSO_ORIGINS",
    "SOCIALACCOUNT_AUTO_SIGNUP",
    "SOCIALACCOUNT_EMAIL_AUTHENTICATION",
    "SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT",
    "MAILERS",
    "SILENCED_SYSTEM_CHECKS",
    "SERVER_EMAIL",
    "DEFAULT_FROM_EMAIL",
]
