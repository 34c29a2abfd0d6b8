"""The flood rule on its own, against a fake clock: a steady flood over the rate closes
within seconds, whatever tokens trickle back in between, with one warning a second.
"""

from __future__ import annotations

import pytest

from gameserver import ratelimit
from gameserver.ratelimit import CLOSE, WARN, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock)
    return clock


def flood(clock: Clock, bucket: TokenBucket, per_s: float, seconds: float) -> tuple[float, int]:
    """Send ``per_s`` messages a second; when the bucket says close, and how many warnings."""
    warnings = 0
    for n in range(int(per_s * seconds)):
        clock.now = 1000.0 + n / per_s
        if bucket.allow():
            continue
        verdict = bucket.refuse()
        if verdict == CLOSE:
            return clock.now - 1000.0, warnings
        warnings += verdict == WARN
    return float("inf"), warnings


@pytest.mark.parametrize(("per_s", "closed_by"), [(400, 0.5), (100, 2.0), (50, 10.5)])
def test_a_steady_flood_is_closed_within_seconds(clock, per_s, closed_by):
    took, warnings = flood(clock, TokenBucket(40, 80, 20, 5.0), per_s, 30)
    assert took < closed_by
    assert warnings <= took + 1  # one error frame a second at most


def test_an_honest_client_at_the_rate_is_never_refused(clock):
    took, warnings = flood(clock, TokenBucket(40, 80, 20, 5.0), 40, 60)
    assert took == float("inf") and warnings == 0


def refusals(clock: Clock, bucket: TokenBucket, every_s: float, count: int) -> list[str]:
    """Each ``every_s`` seconds one message gets through and one more is refused."""
    verdicts = []
    for n in range(count):
        clock.now = 1000.0 + n * every_s
        assert bucket.allow()
        assert not bucket.allow()
        verdicts.append(bucket.refuse())
    return verdicts


def test_refusals_count_though_messages_get_through_in_between(clock):
    verdicts = refusals(clock, TokenBucket(1, 1, 3, 5.0), 1.0, 5)
    assert verdicts == [WARN, WARN, WARN, CLOSE, CLOSE]  # the 4th within 5 s closes


def test_refusals_further_apart_than_the_window_allows_are_tolerated(clock):
    verdicts = refusals(clock, TokenBucket(0.5, 1, 3, 5.0), 2.0, 20)
    assert set(verdicts) == {WARN}  # never more than 3 within 5 s; each one is told
