"""A per-connection token bucket: how many messages a client may send, and how fast."""

from __future__ import annotations

import time


class TokenBucket:
    """Allows ``rate`` messages a second on average and ``burst`` at once.

    ``strikes`` counts refusals in a row; a caller closes a client that keeps on.
    """

    __slots__ = ("burst", "rate", "stamp", "strikes", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.strikes = 0

    def allow(self) -> bool:
        """Take one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.strikes = 0
            return True
        self.strikes += 1
        return False
