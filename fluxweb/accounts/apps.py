from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Members' accounts on top of django-allauth: invitations, sign-up only by invitation or
    single sign-on, the default budget for new members, the own-account page."""

    name = "fluxweb.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
