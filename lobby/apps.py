from django.apps import AppConfig


class LobbyConfig(AppConfig):
    """The lobby: guest identities' queue sockets and the matchmaker."""

    name = "lobby"
