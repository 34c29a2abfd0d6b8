"""The load tester: protocol v1 bots over real WebSockets, many per event loop.

``python -m loadtest`` (or ``manage.py loadtest``) runs one workload
against any server URL: W1 tictactoe-cycle, W2 tag-realtime, W3 idle, or the relay
baseline. Nothing here imports Django: the tester runs wherever the bots do. Its bots
all come from one address: the server needs that address in
``GAMESERVER_UNLIMITED_ADDRESSES`` (e.g. ``127.0.0.1,::1``), or its per-address limit
on new guests refuses most of them (HTTP 429).
"""

from .runner import execute, run
from .worker import Config

__all__ = ["Config", "execute", "run"]
