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
would say where a slow link's bottleneck is.
Pure: times and round trips come from the caller.
"""

from __future__ import annotations

from parley.media.ladder import AUDIO_RESERVE, VIDEO_FLOOR, VIDEO_MAX

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
"""A first REMB below this share of the rate ends the start-up: an overuse verdict (aiortc's
first estimate is the throughput it measured, about 0.9 x the rate of a sender that
fills its budget; an overflowing 250k link's is 0.85 x what gets through)."""


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

    def on_rtt(self, rtt: float) -> None:
        """A round-trip measurement (seconds)."""
        if self._least_rtt is None or rtt < self._least_rtt:
            self._least_rtt = rtt
        self._grown = rtt > RTT_GROWTH * self._least_rtt + RTT_SLACK
        self.starting = self.starting and not self._grown

    def on_loss(self, fraction: float, now: float) -> None:
        """A receiver report's fraction lost (0-1) at ``now`` (seconds)."""
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
            return
        if fraction < LOW_LOSS and not self.confirmed(now) and self._cut_at is None:
            # a clean link: grow without waiting for aiortc's REMB, which climbs back by
            # a few kbit/s a second after each drop; a real bottleneck's queue stops this
            cap = 1.0 if now < self._cautious_until else RECOVERY_CAP
            ceiling = max(self.rate, cap * self._remb)
            self.rate = int(min(self.rate * growth ** elapsed, ceiling))
        self.rate = min(self.rate, self.loss_based)

    def on_remb(self, remb: int, now: float) -> int:
        """A receiver's estimate (bit/s) at ``now``; returns the rate to pass on."""
        if remb < (STARTUP_EXIT * self.rate if self._remb is None else self._remb):
            self.starting = False  # the receiver's estimator saw the queue grow
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
        return self.rate

    def confirmed(self, now: float) -> bool:
        """The link shows congestion: recent loss, or a grown round trip."""
        return now < self._lossy_until or self._grown
