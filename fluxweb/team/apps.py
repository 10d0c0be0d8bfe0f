from django.apps import AppConfig


class TeamConfig(AppConfig):
    """The members page: admins manage members (role, budget, caps, active, password reset)
    and teams with a shared budget, without Django admin."""

    name = "fluxweb.team"
    default_auto_field = "django.db.models.BigAutoField"
