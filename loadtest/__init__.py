"""The load tester: protocol v1 bots over real WebSockets, many per event loop.

``python -m loadtest`` (or ``manage.py loadtest``) runs one workload
against any server URL: W1 tictactoe-cycle, W2 tag-realtime, W3 idle, or the relay
baseline. Nothing here imports Django: the tester runs wherever the bots do.
"""

from .runner import execute, run
from .worker import Config

__all__ = ["Config", "execute", "run"]
