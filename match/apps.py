from django.apps import AppConfig


class MatchConfig(AppConfig):
    """Matches: games, the match host, the match socket, history and admin."""

    name = "match"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
