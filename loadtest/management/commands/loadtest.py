"""``manage.py loadtest``: the load tester, with the same options as ``-m loadtest``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from loadtest.cli import EPILOG, add_arguments, execute


class Command(BaseCommand):
    help = "Protocol v1 bots against a server: --scenario w1|w2|w3|relay (docs/performance.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.epilog = EPILOG
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        result = execute(options)
        if result["totals"].get("errors"):
            raise CommandError(f"{result['totals']['errors']} errors (see the table above)")
