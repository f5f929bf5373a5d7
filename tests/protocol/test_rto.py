"""The RTO estimator (RFC 6298 on heartbeats): pure, fed samples, no clock."""

from __future__ import annotations

import random

import pytest

from parley.protocol.rto import CEILING, FLOOR, RtoEstimator


def test_no_sample_is_the_floor() -> None:
    assert RtoEstimator().timeout == FLOOR == 1.5


def test_rfc6298_updates() -> None:
    rto = RtoEstimator()
    rto.sample(0.4)
    assert (rto.srtt, rto.rttvar) == (pytest.approx(0.4), pytest.approx(0.2))
    assert rto.timeout == pytest.approx(1.5)  # 0.4 + 4 x 0.2 = 1.2 < floor
    rto.sample(1.2)
    assert rto.rttvar == pytest.approx(0.75 * 0.2 + 0.25 * 0.8)
    assert rto.srtt == pytest.approx(0.875 * 0.4 + 0.125 * 1.2)
    assert rto.timeout == pytest.approx(rto.srtt + 4 * rto.rttvar)


def test_healthy_link_keeps_the_floor() -> None:
    """A LAN round trip of a few ms: loss is declared after the floor, within 2 s."""
    rto = RtoEstimator()
    for _ in range(100):
        rto.sample(random.uniform(0.001, 0.01))
    assert rto.timeout == FLOOR


def test_bloated_buffer_grows_above_every_round_trip() -> None:
    """A 300 ms tbf buffer under load: round trips 0.3-1.5 s, jittery."""
    rng = random.Random(13)
    rto = RtoEstimator()
    worst = 0.0
    for _ in range(200):
        rtt = rng.uniform(0.3, 1.5)
        worst = max(worst, rtt)
        rto.sample(rtt)
    assert rto.timeout > worst
    assert rto.timeout <= CEILING


def test_ceiling_and_bad_samples() -> None:
    rto = RtoEstimator(floor=1.5, ceiling=4.0)
    rto.sample(-1.0)
    rto.sample(1e6)
    assert rto.samples == 0
    for rtt in (3.0, 9.0, 1.0, 12.0):
        rto.sample(rtt)
    assert rto.timeout == 4.0
    with pytest.raises(ValueError, match="floor"):
        RtoEstimator(floor=0.0)
