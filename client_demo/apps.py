from django.apps import AppConfig


class ClientDemoConfig(AppConfig):
    """The browser client library and the demo pages served at ``/``."""

    name = "client_demo"
