"""The receiver's rate control (media/aimd.py), on a fake clock: an overuse verdict that
outlasts its queue cuts the estimate once, not on every packet, so the far sender's
video budget is not taken far below the link; a queue that goes on growing, a new
overuse episode or a link that fell still cut again; a decrease never raises the
estimate."""

from __future__ import annotations

import itertools

from aiortc.rate import AimdRateControl, BandwidthUsage

from parley.media.aimd import BACKOFF, OncePerEpisodeRateControl
from parley.media.estimate import ParleyRemoteBitrateEstimator
from tests.media.test_estimate import feed

OVER, NORMAL = BandwidthUsage.OVERUSING, BandwidthUsage.NORMAL


class Queue:
    """The accumulated queue delay the rate control reads (ms)."""

    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self) -> float:
        return self.ms


def started(control: AimdRateControl, rate: int) -> None:
    """A rate control past its start, at ``rate``, its last change long ago."""
    control.set_estimate(rate, 0)
    assert control.update(NORMAL, rate, 10_000) is not None


def test_a_lasting_overuse_verdict_cuts_once_while_the_sender_follows() -> None:
    # the verdict stays 'overusing' for 2.5 s while the queue no longer grows and the
    # incoming rate falls as the sender obeys: upstream cut on every packet, each time
    # from the lower rate, down to 0.85 x 200k; Parley's cut once, from 300k
    queue = Queue()
    parley, upstream = OncePerEpisodeRateControl(queue), AimdRateControl()
    outs: dict[str, list[tuple[int, int]]] = {"parley": [], "upstream": []}
    for name, control in (("parley", parley), ("upstream", upstream)):
        started(control, 330_000)
        before = control.current_bitrate
        for now in range(11_000, 13_500, 10):
            incoming = 300_000 - (now - 11_000) * 40  # 300k -> 200k over 2.5 s
            out = control.update(OVER, incoming, now)
            if out is not None:
                outs[name].append((now, out))
    assert upstream.current_bitrate < 0.86 * 205_000
    assert parley.current_bitrate == round(BACKOFF * before)  # 15 % off, once
    assert parley.decreases == 1 and parley.withheld > 200
    # the estimate is still sent out, every feedback interval, not on every packet
    times = [now for now, _ in outs["parley"]]
    assert len(times) <= 6 and len(outs["upstream"]) == 250
    assert all(b - a > parley.feedback_interval() for a, b in itertools.pairwise(times))


def test_a_queue_that_goes_on_growing_cuts_again_once_a_round_trip() -> None:
    queue = Queue()
    control = OncePerEpisodeRateControl(queue)
    started(control, 400_000)
    cuts = []
    for now in range(11_000, 12_000, 10):
        queue.ms += 2.0  # 200 ms of queue a second: the sender does not follow
        before = control.current_bitrate
        control.update(OVER, 300_000 - (now - 11_000) * 100, now)
        if control.current_bitrate < before:
            cuts.append(now)
    assert len(cuts) >= 4
    # after the episode's first cut (15 % off), libwebrtc's: 0.85 x the incoming rate
    assert control.current_bitrate == round(BACKOFF * (300_000 - (cuts[-1] - 11_000) * 100))
    assert all(b - a >= 200 for a, b in itertools.pairwise(cuts))  # libwebrtc's clamp on the rtt


def test_a_new_overuse_episode_cuts_again() -> None:
    control = OncePerEpisodeRateControl(Queue())
    started(control, 400_000)
    control.update(OVER, 380_000, 11_000)
    first = control.current_bitrate
    control.update(NORMAL, 380_000, 11_500)
    control.update(OVER, 300_000, 12_000)
    assert control.decreases == 2 and control.current_bitrate == round(BACKOFF * first)


def test_a_link_that_fell_is_followed_at_once() -> None:
    control = OncePerEpisodeRateControl(Queue())
    started(control, 400_000)
    control.update(OVER, 380_000, 11_000)
    control.update(OVER, 150_000, 11_050)  # under half the estimate: the link fell
    assert control.decreases == 2 and control.current_bitrate == round(BACKOFF * 150_000)


def test_a_decrease_never_raises_the_estimate() -> None:
    parley, upstream = OncePerEpisodeRateControl(Queue()), AimdRateControl()
    before = {}
    for control in (parley, upstream):
        started(control, 250_000)
        before[control] = control.current_bitrate
        control.update(OVER, 400_000, 11_000)  # a burst measured above the estimate
    assert upstream.current_bitrate > 1.3 * before[upstream]
    assert parley.current_bitrate == round(BACKOFF * before[parley])


def test_a_decrease_is_15_percent_of_the_estimate_not_of_a_lagging_incoming_rate() -> None:
    # the sender puts out 0.7 x the estimate (headroom, an encoder below its budget):
    # upstream's 0.85 x the incoming rate took 40 % off; the sender follows 15 % off
    parley, upstream = OncePerEpisodeRateControl(Queue()), AimdRateControl()
    for control in (parley, upstream):
        started(control, 400_000)
        control.update(OVER, 280_000, 11_000)
    assert upstream.current_bitrate == round(0.85 * 280_000)
    assert parley.current_bitrate == round(BACKOFF * 401_000)


def test_a_real_bottleneck_sends_few_rembs_and_still_comes_down() -> None:
    # 400 kbit/s into 250 kbit/s: upstream sends a REMB on each overusing packet
    est = ParleyRemoteBitrateEstimator()
    rembs = feed(est, 400_000, 6.0, 250_000)
    assert rembs and rembs[-1][1] < 250_000
    assert len(rembs) < 40
