from django.apps import AppConfig


class PlayersConfig(AppConfig):
    """Players: guests and users who play, and everything about them as players."""

    name = "players"
    default_auto_field = "django.db.models.BigAutoField"
