from django.apps import AppConfig


class LoadtestConfig(AppConfig):
    """The load tester, installed only for its ``manage.py loadtest`` command."""

    name = "loadtest"
