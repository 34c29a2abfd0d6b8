"""The workloads by name, as ``--scenario`` takes them."""

from __future__ import annotations

from .idle import IdleSockets
from .realtime import TagRealtime
from .relay import Relay
from .scenario import Scenario
from .tictactoe import TicTacToeCycle

SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls for cls in (TicTacToeCycle, TagRealtime, IdleSockets, Relay)
}
