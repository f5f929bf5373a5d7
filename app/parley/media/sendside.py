"""The sender's own check on the receiver's estimate: :class:`SendSideEstimate`.

aiortc's receivers estimate bandwidth from delay alone (``aiortc.rate``, REMB), with an
arrival time taken when their event loop gets to a packet. On a loaded machine that
estimate falls with no queue on the link: in ``make bench ARGS=links`` the unshaped
return direction's REMB went 480k -> 56k -> 27k and paused video that had the link to
itself. Each drop is then locked in, because aiortc's rate control sets
0.85 x the incoming rate, and an encoder that was just told less sends less.

So the sender takes the REMB as libwebrtc's ``SendSideBandwidthEstimation`` takes its
delay-based input, as a cap next to a loss-based estimate from the receiver reports:
increase 8 % a second while loss is under 2 %, hold between 2 and 10 %, and above 10 %
multiply by (1 - 0.5 x loss). A REMB *drop* is followed only when the link confirms it:
a round trip grown well above the least seen (a real bottleneck fills its queue first),
or more than 10 % loss in the last 2 s. Random loss below that confirms nothing: at 5 %
loss aiortc's REMB falls as well, and following it paused video. An
unconfirmed drop holds the rate the sender had, and while the link stays clean the rate
grows 8 % a second (up to twice the last REMB) instead of waiting for the REMB to climb.
Loss alone never takes the rate below :data:`FLOOR`; a confirmed REMB may (a link too
slow for video must still pause it).

Since round six the receiver's estimate is taken from the kernel's arrival times
(:mod:`.arrival`), and a *cut* (a REMB below :data:`CUT` x the highest since the rate
last followed one: aiortc's overuse verdicts, 0.85 x the incoming rate) is mostly a
real queue. Holding one until
the round trip grew let a 250 kbit/s link's queue fill: the rate went on growing
8 %/s, 189k -> 223k, for 3.6 s while every REMB said 100-130k, until the 300 ms queue
was full and dropping (``python -m bench links``, docs/performance.md, "Slow shaped
links (round seven)"). So: while a cut is held the rate does not grow; a cut held for
:data:`FOLLOW_AFTER` seconds with every REMB since still below the rate is followed;
and after a cut is followed (confirmed or held out) the rate grows no further than the
REMB for :data:`CAUTION` seconds, since the link has just shown where its limit is
(libwebrtc's delay-based estimate likewise climbs slowly near the last drop), unless
the fall was a collapse (:data:`COLLAPSE`). A REMB
that lags without a cut (the start, a REMB climbing after a drop) is held and grown
past as before.

Start-up (round seven): from the first REMB until the link first shows congestion, both
estimates grow :data:`STARTUP_INCREASE` a second instead of 8 %, still no further than
twice the last REMB. Chromium reaches 1.7 Mbit/s within seconds by probing with padding
(libwebrtc's initial probes at 3x and 6x the start rate, and its start phase, which
takes a higher delay-based estimate at once while nothing is lost); Parley sends no
padding, but the hard content of a camera fills whatever the encoder is given, so the
media itself is the probe. Congestion: loss of :data:`LOW_LOSS` or more, a grown round
trip, a REMB below the last one, or a first REMB below :data:`STARTUP_EXIT` x the rate
(aiortc's estimate only falls on an overuse verdict). Until aiortc's first REMB (it
waits for 3 s of throughput, or an overuse) the sender keeps its start rate: nothing
would say where a slow link's bottleneck is, unless the receiver reports more than
:data:`HIGH_LOSS` lost (round eleven): then the rate is cut at once, to
``(1 - 0.5 x loss)`` of what was sent, and passed to the encoder without waiting for a
REMB. A 90 kbit/s link's full drop-tail queue showed the receiver no delay growth;
aiortc's first REMB came 6.5 s in, and 270k went into the link until then.

Round nine (docs/performance.md, "After an outage, and the start on fast links"): the
start-up reads what was sent (:meth:`SendSideEstimate.on_sent`, ``getStats``'s
``bytesSent``), because the encoder's own start ramps up from 100k (:mod:`.ladder`):

- the first REMB is judged against what was sent, not against the start rate (it read
  the ramp and ended the start-up of a 2 Mbit/s link at once);
- the start-up grows to twice what the link carried (the REMB, or what was sent if
  more: aiortc's REMB climbs 8 % a second behind what arrives);
- when the start-up ends on a REMB (the receiver's estimator saw the queue grow), the
  rate goes back to no more than what was sent (or the REMB, if higher): its growth past
  what went out was a probe, and held there the encoder stepped up into it (a 450k
  link's start put out 474k for 6 s).

Round fourteen: what was sent must be known at the first REMB. aiortc's comes about
1 s in; the first receiver report, which was the first read of ``bytesSent``, came
2.3-2.5 s in on a 150 kbit/s link. So an overuse verdict (50-65k) found ``sent`` None,
the rate stayed at 300k, the encoder's ramp climbed on into the link, and the 300 ms
queue overflowed before the cut was followed (docs/performance.md, "Round fourteen").
The sender now starts the count at its first frame (0 bytes) and reads it when a REMB
comes before any interval is known (:mod:`.rtx`). And the first REMB's verdict brings the
rate back to what was sent even when a report's 2-10 % loss ended the start-up before it
(the rate is then still the start's, which no REMB has checked).

The round trips the caller gives should be each report's own (:func:`report_rtt`), not
aiortc's smoothed ``roundTripTime``, which hid a full 300 ms queue for seconds.
Pure: times, round trips and byte counts come from the caller.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

from parley.media.ladder import AUDIO_RESERVE, VIDEO_FLOOR, VIDEO_MAX

logger = logging.getLogger(__name__)
LOG = bool(os.environ.get("PARLEY_SENDSIDE_LOG"))
"""Log every input and the rate that follows (logger ``parley.media.sendside``, INFO)."""

FLOOR = AUDIO_RESERVE + VIDEO_FLOOR
"""The least loss-based estimate (bit/s): audio's reserve and the lowest rung."""
CEILING = 2 * VIDEO_MAX
LOW_LOSS = 0.02
HIGH_LOSS = 0.10
INCREASE = 1.08
"""A second's growth of the loss-based estimate while loss is low."""
RTT_GROWTH = 1.5
RTT_SLACK = 0.05
"""A round trip counts as grown above RTT_GROWTH x the least seen plus this (seconds)."""
LOSS_HOLD = 2.0
"""Seconds a loss report over HIGH_LOSS confirms REMB drops for."""
RECOVERY_CAP = 2.0
"""Growth on a clean link stops at this multiple of the last REMB."""
CUT = 0.9
"""A REMB below this share of the highest since the rate last followed one is a cut (an
overuse verdict: aiortc's come as one step or as a few 5-10 % steps in a row)."""
FOLLOW_AFTER = 1.0
"""Seconds an unconfirmed cut is held (REMBs staying below the rate) before it is
followed: a real queue grows meanwhile by (rate - link) x this."""
CAUTION = 10.0
"""Seconds after a cut is followed during which the rate grows only up to the REMB ..."""
COLLAPSE = 0.5
"""... unless the REMB followed is below this share of the rate it replaces: then the
queue overflowed (a 150 kbit/s link's start: 300k -> 40k) and aiortc's REMB, which climbs
a few kbit/s a second from there, would hold video paused; the rate grows past it."""
STARTUP_INCREASE = 1.5
"""A second's growth while the link has shown no congestion yet: 300k to the 373k that
480x360@30 needs in about 0.5 s, to twice the REMB in under 2 s."""
STARTUP_EXIT = 0.7
"""A first REMB below this share of what was sent ends the start-up: an overuse verdict
(aiortc's first estimate is the throughput it measured, about 0.9 x what was sent; an
overflowing 250k link's is 0.85 x what gets through). Before round nine it was judged
against the rate, while the encoder's start ramps up from 100k: the first REMB read the
ramp's rate and ended the start-up on a 2 Mbit/s link."""
SENT_INTERVAL = 0.5
"""Seconds: the least interval over which :attr:`SendSideEstimate.sent` is measured."""


class SendSideEstimate:
    """The rate a sender passes on to its encoder, from REMBs, loss and round trips.

    Args:
        start: The rate before any feedback (bit/s; Parley's senders start at 300k).
    """

    def __init__(self, start: int) -> None:
        self.rate = start
        """What the encoder is told (bit/s)."""
        self.loss_based = start
        """The loss-based estimate (bit/s)."""
        self.held = 0
        """REMB drops not followed, for lack of loss or round-trip growth: a diagnostic."""
        self.held_out = 0
        """Cuts followed after :data:`FOLLOW_AFTER` with no confirmation: a diagnostic."""
        self._cut_at: float | None = None
        self._peak = 0  # the highest REMB since the rate last followed one
        self._cautious_until = -1e9
        self.starting = True
        """No congestion seen yet: the start-up's faster growth applies."""
        self._remb: int | None = None
        self._loss = 0.0
        self._lossy_until = -1e9
        self._grown = False
        self._least_rtt: float | None = None
        self._updated: float | None = None
        self.sent: int | None = None
        """What the sender put out over its last stats interval (bit/s), once known."""
        self._sent_total: tuple[int, float] | None = None

    def on_rtt(self, rtt: float) -> None:
        """A round-trip measurement (seconds)."""
        if self._least_rtt is None or rtt < self._least_rtt:
            self._least_rtt = rtt
        self._grown = rtt > RTT_GROWTH * self._least_rtt + RTT_SLACK
        self.starting = self.starting and not self._grown
        if LOG:
            logger.info("sendside rtt %.0f ms (least %.0f), grown %s, starting %s",
                        rtt * 1000, self._least_rtt * 1000, self._grown, self.starting)

    def on_loss(self, fraction: float, now: float) -> int | None:
        """A receiver report's fraction lost (0-1) at ``now`` (seconds). Returns the rate
        to pass on when the report itself moved it (heavy loss before the first REMB),
        else None (the rate reaches the encoder with the next REMB)."""
        self._loss = fraction
        if fraction > HIGH_LOSS:
            self._lossy_until = now + LOSS_HOLD
        self.starting = self.starting and fraction < LOW_LOSS
        growth = STARTUP_INCREASE if self.starting and self._remb is not None else INCREASE
        elapsed = 0.0 if self._updated is None else min(now - self._updated, 1.0)
        self._updated = now
        if fraction < LOW_LOSS:
            self.loss_based = int(self.loss_based * growth ** elapsed)
        elif fraction > HIGH_LOSS:
            self.loss_based = int(self.loss_based * (1 - 0.5 * fraction))
        self.loss_based = max(FLOOR, min(self.loss_based, CEILING))
        if self._remb is None:
            if fraction <= HIGH_LOSS:
                return None
            # no REMB yet, and the link drops more than a tenth: its queue is full (a
            # drop-tail queue that is full shows no growing delay to the receiver's
            # estimator, which says nothing for seconds). Cut what goes out now.
            carried = self.rate if self.sent is None else min(self.rate, self.sent)
            self.rate = max(FLOOR, min(self.rate, int(carried * (1 - 0.5 * fraction))))
            self.loss_based = min(self.loss_based, max(FLOOR, self.rate))
            if LOG:
                logger.info("sendside loss %.3f at %.2f before any REMB: rate %d",
                            fraction, now, self.rate)
            return self.rate
        if fraction < LOW_LOSS and not self.confirmed(now) and self._cut_at is None:
            # a clean link: grow without waiting for aiortc's REMB, which climbs back by
            # a few kbit/s a second after each drop; a real bottleneck's queue stops this
            cap = 1.0 if now < self._cautious_until else RECOVERY_CAP
            # at the start, aiortc's REMB climbs 8 % a second behind what arrives: twice
            # what went out is the probe's reach too, while the link carries all of it
            carried = max(self._remb, self.sent or 0) if self.starting else self._remb
            ceiling = max(self.rate, cap * carried)
            self.rate = int(min(self.rate * growth ** elapsed, ceiling))
        self.rate = min(self.rate, self.loss_based)
        if LOG:
            logger.info("sendside loss %.3f at %.2f: rate %d, loss-based %d, starting %s",
                        fraction, now, self.rate, self.loss_based, self.starting)
        return None

    def on_sent(self, total_bytes: int, now: float) -> None:
        """The sender's count of media bytes sent so far (``getStats``'s ``bytesSent``)."""
        if self._sent_total is None:
            self._sent_total = (total_bytes, now)
            return
        before, then = self._sent_total
        if now - then >= SENT_INTERVAL:
            self.sent = max(0, int((total_bytes - before) * 8 / (now - then)))
            self._sent_total = (total_bytes, now)
            if LOG:
                logger.info("sendside sent %d bit/s over %.2f s at %.2f", self.sent,
                            now - then, now)

    def on_remb(self, remb: int, now: float) -> int:
        """A receiver's estimate (bit/s) at ``now``; returns the rate to pass on."""
        # the first REMB is the throughput the receiver measured: judged against what was
        # sent (the encoder's start ramps up from far below the start rate), not the rate
        first = STARTUP_EXIT * (self.rate if self.sent is None else self.sent)
        overuse = remb < (first if self._remb is None else self._remb)
        # the first REMB counts even when a report's loss ended the start-up before it:
        # the rate is still the start's, which no REMB has checked yet
        if overuse and (self.starting or self._remb is None):
            self.starting = False  # the receiver's estimator saw the queue grow
            if self.sent is not None:
                # the start's growth past what went out was a probe, and the link has
                # answered it: no higher than what was sent (or the REMB, if higher)
                self.rate = min(self.rate, max(remb, self.sent))
        self._remb = remb
        self._peak = max(self._peak, remb)
        if remb < self.rate and self._cut_at is None and remb < CUT * self._peak:
            self._cut_at = now
        held_out = self._cut_at is not None and now - self._cut_at >= FOLLOW_AFTER
        if remb >= self.rate or self.confirmed(now) or held_out:
            # a confirmed drop goes all the way: a real 90 kbit/s link must pause video
            if remb < COLLAPSE * self.rate:  # the queue overflowed (the start, an outage)
                self._cautious_until = -1e9  # recover as before: grow past the REMB
            elif remb < self.rate:
                self._cautious_until = now + CAUTION
            self.held_out += held_out and not self.confirmed(now)
            self._cut_at = None
            self._peak = remb
            self.rate = min(remb, self.loss_based, CEILING)
        else:
            self.held += 1
            self.rate = min(self.rate, self.loss_based)
        if LOG:
            logger.info("sendside remb %d at %.2f: rate %d, starting %s, cut at %s, "
                        "confirmed %s, peak %d, sent %s", remb, now, self.rate,
                        self.starting, self._cut_at, self.confirmed(now), self._peak,
                        self.sent)
        return self.rate

    def confirmed(self, now: float) -> bool:
        """The link shows congestion: recent loss, or a grown round trip."""
        return now < self._lossy_until or self._grown


class RtcpReport(Protocol):
    """A receiver report block (aiortc's ``RtcpReceiverInfo``): its LSR and DLSR."""

    @property
    def lsr(self) -> int: ...

    @property
    def dlsr(self) -> int: ...


NTP_EPOCH = 2_208_988_800
"""Seconds from 1900 (NTP's epoch) to 1970 (``time.time``'s)."""
STALE_REPORT = 2.0
"""Seconds: a report's round trip above this is a stale sender report (a paused sender
sends none), not a queue."""


def report_rtt(reports: Sequence[RtcpReport], wall: float) -> float | None:
    """The round trip of receiver reports arriving at ``wall`` (``time.time()``), from
    their LSR and DLSR fields (RFC 3550 6.4.1: arrival - LSR - DLSR), the least over the
    reports that refer to a sender report; None if none does.

    aiortc's own ``roundTripTime`` is a moving average that keeps 0.85 of the old value
    at each sample, and takes a sample only when the report refers to the very last
    sender report: a 300 ms tbf queue showed as 24-53 ms for 5 s (docs/performance.md,
    "After an outage, and the start on fast links"). aiortc stamps its sender report
    with the time of the sender's last RTP packet, so a sample may be a frame interval
    long; the least over the streams reported (video, audio) is the freshest."""
    arrival = int((wall + NTP_EPOCH) * 65536) & 0xFFFFFFFF
    samples = [((arrival - r.lsr - r.dlsr) & 0xFFFFFFFF) / 65536
               for r in reports if r.lsr]
    best = min(samples, default=None)
    return best if best is not None and best < STALE_REPORT else None
