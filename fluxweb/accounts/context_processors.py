from django.conf import settings
from django.http import HttpRequest


def sign_in(request: HttpRequest) -> dict[str, bool]:
    """``password_login``: whether pages offer username/password sign-in."""
    return {"password_login": settings.FLUXWEB_PASSWORD_LOGIN}
