"""A per-connection token bucket: how many messages a client may send, and how fast."""

from __future__ import annotations

import time
from collections import deque

DROP, WARN, CLOSE = "drop", "warn", "close"  # what to do with a refused message
WARN_INTERVAL_S = 1.0  # at most one ``rate_limited`` error frame a second


class TokenBucket:
    """Allows ``rate`` messages a second on average and ``burst`` at once.

    A refused message is counted: more than ``strikes`` refusals within ``window``
    seconds close the socket, however many messages got through in between (a steady
    flood just over the rate refills a token now and then, and must still be closed).
    """

    __slots__ = ("burst", "rate", "refusals", "stamp", "strikes", "tokens", "warned", "window")

    def __init__(self, rate: float, burst: float, strikes: int = 20, window: float = 5.0) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.strikes = strikes
        self.window = window
        self.refusals: deque[float] = deque()
        self.warned = -WARN_INTERVAL_S

    def allow(self) -> bool:
        """Take one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def refuse(self) -> str:
        """Count a refused message: CLOSE the socket, WARN the client, or DROP it quietly."""
        now = self.stamp  # set by the allow() that refused it
        refusals = self.refusals
        refusals.append(now)
        while refusals[0] < now - self.window:
            refusals.popleft()
        if len(refusals) > self.strikes:
            return CLOSE
        if now - self.warned >= WARN_INTERVAL_S:
            self.warned = now
            return WARN
        return DROP
