"""The match runtime's own database thread: a move's commit never waits behind HTTP.

``database_sync_to_async`` runs every call on the one thread that Django's sync views
also run on, so a slow page (a long replay) held every move's commit behind it. The
match runtime's functions (``match.persistence``) run on this single thread instead,
with its own database connection; one thread keeps their order and needs no more
connections than before.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.db import connections

executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gameserver-runtime-db")


def runtime_sync_to_async(func: Callable[..., Any]) -> Any:
    """``database_sync_to_async`` on the runtime's thread (connections handled the same)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=executor)


def close_connections() -> None:
    """Close the runtime thread's connections (at shutdown, before dropping a database)."""
    executor.submit(connections.close_all).result()
