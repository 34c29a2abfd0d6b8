from django.apps import AppConfig


class PlayersConfig(AppConfig):
    """Players: guests and users who play, and everything about them as players."""

    name = "players"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from .models import Player
        from .persistence import forget

        post_delete.connect(forget, sender=Player, dispatch_uid="players.forget")
