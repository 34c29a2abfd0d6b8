"""The load tester's statistics: percentiles, the recording window, merging workers."""

from __future__ import annotations

import math

import pytest

from loadtest.stats import Recorder, percentile, summarize
from loadtest.worker import Config


def test_percentiles_interpolate_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 100) == 4.0
    assert percentile(values, 25) == pytest.approx(1.75)
    assert percentile(list(map(float, range(1, 101))), 99) == pytest.approx(99.01)


def test_a_single_value_is_every_percentile_and_none_is_nan():
    assert percentile([7.0], 0) == percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summarize_sorts_and_rounds():
    summary = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert summary == {"n": 5, "mean": 3.0, "p50": 3.0, "p95": 4.8, "p99": 4.96, "max": 5.0}
    assert summarize([]) == {"n": 0}


def test_a_recorder_counts_always_but_samples_only_in_the_window():
    rec = Recorder()
    rec.count("moves")
    rec.sample("rtt", 9.0)
    rec.recording = True
    rec.count("moves", 2)
    rec.sample("rtt", 1.0)
    rec.error("timeout")
    assert rec.totals == {"moves": 3, "errors": 1, "error.timeout": 1}
    assert rec.counts == {"moves": 2, "errors": 1, "error.timeout": 1}
    assert list(rec.samples["rtt"]) == [1.0]


def test_workers_merge_by_sums_concatenation_and_minimum():
    a, b = Recorder(), Recorder()
    for rec, values, low in ((a, [1.0, 2.0], 40), (b, [3.0], 38)):
        rec.recording = True
        rec.count("matches", len(values))
        for value in values:
            rec.sample("rtt", value)
        rec.low("room_updates", "m1", low)
    merged = Recorder.merge([a.dump(), b.dump()])
    assert merged.counts["matches"] == 3
    assert sorted(merged.samples["rtt"]) == [1.0, 2.0, 3.0]
    assert merged.lows == {"room_updates": {"m1": 38}}
    assert merged.latencies()["rtt"]["p50"] == 2.0


def test_a_config_splits_its_bots_between_processes():
    config = Config(players=7, rooms=3, sockets=10, pairs=1)
    shares = [config.share(i, 3) for i in range(3)]
    assert [s.players for s in shares] == [3, 2, 2]
    assert [s.rooms for s in shares] == [1, 1, 1]
    assert sum(s.sockets for s in shares) == 10
    assert [s.pairs for s in shares] == [1, 0, 0]
    assert len({s.seed for s in shares}) == 3
