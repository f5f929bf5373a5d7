"""Which video a bandwidth estimate affords: :class:`Ladder`, pure (no clock of its own).

The sender's video budget (the receiver's estimate minus audio's reserved share, see
:func:`video_budget`) picks a rung of :data:`RUNGS`. It steps down at once when the
budget falls well below a rung's floor (:data:`DOWN_AT_ONCE`; a little below it, after
:data:`DOWN_HOLD` seconds; where the rung below differs only in frame rate, not until
the budget is under :data:`SAME_SIZE_KEEP` of the floor), and up only after the budget
has stayed above the next rung's floor (plus a margin) for :data:`UP_HOLD` seconds, so
an estimate that wobbles around a threshold does not flap the resolution (each change
of size costs a keyframe). Below the last rung's floor for :data:`PAUSE_AFTER` seconds,
video pauses (:meth:`Ladder.update` returns None).
A rung marked :attr:`Rung.by_quality` (640x480@30) needs more than the budget: the
encoder's quality scaler starts capped below it (:func:`quality_start`) and lifts the cap
only when the output at the rung below shows headroom, so hard content is not put on a
rung its budget cannot carry.

An estimate is only news about the link when the sender uses what it allows: a
receiver's REMB grows to at most 1.5 x what it receives, so an encoder that undershoots
(a still picture) drags the estimate down with it. While the sender is
*application-limited* (the estimate well above what it sent) the ladder does not step
down. A paused sender sends nothing, so nothing says when the link is back: after
:data:`PAUSE_RETRY` seconds paused it probes with the lowest rung, and pauses again
only if the estimate then says the link cannot carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

UP_MARGIN = 1.2
"""Stepping up needs the budget at this multiple of the higher rung's floor (the
default of :attr:`Rung.up_margin`) ..."""
SAME_SIZE_MARGIN = 1.1
"""... and this one where the rung below has the same size (a step of frame rate only):
it costs no keyframe (:data:`~parley.media.libvpx.TICKS`), so flapping costs little,
while the encoder's output follows the budget whatever the rung."""
SAME_SIZE_KEEP = 0.9
"""A rung whose next rung down has the same size (a step of frame rate only) is kept,
for as long as it lasts, by a budget down to this share of its floor; under it the
:data:`DOWN_HOLD` rule applies as for any rung. The 450 kbit/s link's budget saws
across 480x360@30's floor (265k): each dip under it for :data:`DOWN_HOLD` dropped the
call to 24 fps and the step back needed 1.1 x the floor for :data:`UP_HOLD`, so about a
third of the time ran at 24 fps (0.84-0.88 x Chromium's frame rate, round nine). Keeping
the rung costs nothing a step would save: the size is the same, and the encoder's output
follows the budget on either rung (libvpx's rate control, the frame dropper), so the
frame rate is what the step changes. With it that link ran 0.91-1.05 x Chromium's frame
rate in 21 windows (round ten, docs/performance.md)."""


@dataclass(frozen=True)
class Rung:
    """One step of the resolution ladder."""

    width: int
    height: int
    fps: int
    floor: int
    """The video budget (bit/s) below which this rung is left for the next one down."""
    by_quality: bool = False
    """Taken only once the encoder's output shows headroom at the rung below (the quality
    scaler's step up, :mod:`.ratecontrol`: a low quantiser, no drops), not on the budget
    alone: the content decides how much this rung needs (:data:`RUNGS`)."""
    up_margin: float = UP_MARGIN
    """Stepping up to this rung needs the budget at this multiple of its floor for
    :data:`UP_HOLD` seconds: :data:`UP_MARGIN`, or :data:`SAME_SIZE_MARGIN` for a step of
    frame rate alone."""

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{self.fps}"


RUNGS: tuple[Rung, ...] = (
    Rung(640, 480, 30, 400_000, by_quality=True),
    Rung(480, 360, 30, 265_000, up_margin=SAME_SIZE_MARGIN),
    Rung(480, 360, 24, 220_000),
    Rung(320, 240, 30, 120_000, up_margin=SAME_SIZE_MARGIN),
    Rung(320, 240, 24, 105_000, up_margin=SAME_SIZE_MARGIN),
    Rung(320, 240, 20, 90_000, up_margin=SAME_SIZE_MARGIN),
    Rung(320, 240, 15, 75_000),
    Rung(240, 180, 15, 60_000),
    Rung(160, 120, 10, 50_000),
)
"""Best first. The floors are where VP8 still gives a watchable picture at that size
and rate with a hard (textured, moving) source. Issue 13's ladder, with 480x360@30,
320x240@30, 320x240@24, 320x240@20 and 240x180@15 added.

480x360@30 (round seven) keeps the frame rate where the budget or the content cannot
afford 640x480@30, as Chromium's "balanced" degradation does for a camera (it sends
480x360 at 28-30 fps on a 450-600 kbit/s uplink): without it the ladder's second rung
holds every link below about 1.3 Mbit/s of hard video at 24 fps. With the bench's hard
clip (``bench.vp8_rate.libvpx``, 5 s a rate) it holds quantiser 50 at 300k, 48 at 350k
and 46 at 400k (the quality scaler's limit is 53). Its floor was 280k (about 51) until
round nine, above the start's budget (270k); at 450 kbit/s, where the link carries
300-345k of video, the step up (1.2 x 280k held 2 s) was seldom there and the call sat at
480x360@24 while Chromium sent 30 fps. Round nine measured it again (libvpx alone, 8 s a
rate, a keyframe every 2 s, every frame's stamp read back after decoding, all readable):
quantiser 53.1 / 52.0 / 51.2 / 50.3 at 230 / 250 / 265 / 280k, so the floor is now 265k
(51, as the other floors) with a step up at 1.1 x it (:data:`SAME_SIZE_MARGIN`, 292k):
a step between 480x360@30 and @24 keeps the size, so it costs no rebuild
(:data:`~parley.media.libvpx.TICKS`) and a flap costs little.

640x480@30 is ``by_quality``: the same clip needs about 1.1 Mbit/s
there (quantiser 51.0 at 1.1M, 54.3 at 900k, 55.8 with frames dropped at 500-700k),
where a plain webcam picture is fine at its 400k floor; taken on the budget alone it was
capped by the quality scaler 2 s later, with drops and a keyframe each way. So the
encoder takes it only when the quantiser at 480x360@30 shows headroom, which for the
hard clip is never within the 1.5 Mbit/s ceiling, and for easy content is at once.

320x240@30 (round nine): at 250 kbit/s Chromium sends 320x240 at 24-26 fps, where
Parley's 24 fps rung held it at 0.69-0.88 x Chromium's frame rate. With the hard clip
(libvpx alone, 8 s a rate, stamps all readable) it holds quantiser 51.1 / 50.4 / 49.5 /
48.0 / 46.9 at 115 / 120 / 125 / 140 / 150k (320x240@24: 50.3 at its 105k floor), so
its floor is 120k: the 250k link's budget (0.9 x a REMB of 130-190k) sits above it
most of the time. It is below 480x360@24 (220k) in the order, so a budget of 220k or
more keeps the larger picture. 320x240@20 (round nine too) is
between 320x240@24 and @15 for the 150 kbit/s link, whose budget saws between about 65k
and 120k (Chromium sends 320x240 at 12-17 fps there): quantiser 53.2 / 50.8 / 49.1 at
80 / 90 / 100k, so its floor is 90k. The four 320x240 rungs share one size, so a step
between them costs no keyframe and needs only :data:`SAME_SIZE_MARGIN` to step up.

320x240@24: a 250 kbit/s uplink leaves video about 150 kbit/s, where 480x360@24 runs at
libvpx's quantiser ceiling (54-56 at 150-200k with the bench's hard clip) and would
be capped by the quality scaler, while 320x240@24 holds quantiser 44-50 at 105-150k
— and Chromium on the same link sends 320x240 at 23-26 fps. Without it such a link is
held at 15 fps by design. The 320x240 floors are low so that the sawtooth of a real
bottleneck's estimate (0.85 x the link after each overuse, and lower while the queue
overflows) stays at 320x240 instead of falling a size at each edge; with floors of 120k
and 110k the 250k link spent much of the time at 160x120@10 (12 fps).

The low rungs keep 15 fps (round eight): at 150 kbit/s Chromium sends 320x240 at about
13 fps, and a ladder whose next step below 320x240@15 was 160x120@10 could never pass
10 fps there (at most 0.74 x Chromium), where the budget saws between about 55k and 95k.
With the hard clip (libvpx alone, 8 s a rate, the frames' stamps read back after
decoding: every frame readable at all of these) 320x240@15 holds quantiser 51.1 at 75k
(49.9 at 80k, 52.4 at 70k), 240x180@15 51 at 60k (52.8 at 55k, 49.5 at 65k), each floor
at about the quantiser the 320x240 floors had (50; 53 is the quality scaler's limit).
The last rung, issue 13's 160x120@10, holds quantiser 40.5 at its floor of 50k (the
issue's "about 60k"; round seven's was 45k while Opus took 56k of a 150k link with its
headers, :mod:`.opus` now about 32k there). A 90 kbit/s link still pauses video: once
audio is through its budget is under 50k."""



def quality_start(rungs: tuple[Rung, ...]) -> int:
    """The best rung (an index into ``rungs``) the budget alone may take: the first that
    is not :attr:`Rung.by_quality`; the encoder's quality scaler starts capped there."""
    return next((i for i, rung in enumerate(rungs) if not rung.by_quality), len(rungs) - 1)


def frame_rate_steps(rungs: tuple[Rung, ...]) -> tuple[bool, ...]:
    """Per rung: whether the next rung down has the same size (the step between them is
    one of frame rate only); False for the last."""
    return tuple((rung.width, rung.height) == (below.width, below.height)
                 for rung, below in zip(rungs, rungs[1:], strict=False)) + (False,)


VIDEO_FLOOR = RUNGS[-1].floor
"""Below this video budget (bit/s) video pauses: "Video paused: slow connection"."""
VIDEO_MAX = 1_500_000
"""The highest video target (bit/s): aiortc's own ceiling."""
AUDIO_RESERVE = 40_000
"""Audio's share (bit/s), taken off the estimate before video gets any, when the
estimate covers audio too (a REMB naming several streams): Opus at 24-32 kbit/s plus its
packet overhead. aiortc's receivers estimate the video stream alone, from the delay it
sees, so audio's share is already outside that estimate."""
HEADROOM = 0.9
"""Video targets this share of what is left after audio: RTP/UDP/IP overhead and
retransmissions (at most 20 % of the target, :mod:`.rtx`) must fit in the rest."""
UP_HOLD = 2.0
"""Seconds the budget must stay at a rung's step-up margin (:attr:`Rung.up_margin`)
before the ladder steps up to it (one rung at a time)."""
DOWN_AT_ONCE = 0.8
"""A budget under this share of the current rung's floor steps down at once ..."""
DOWN_HOLD = 1.0
"""... one between it and the floor only after this long (seconds) below the floor. The
estimate's sawtooth dips under a floor for a moment at each overuse (aiortc's REMB: 0.85
x the incoming rate); a step down and back costs a keyframe each way at a new size,
while the encoder keeps the rung's output at the budget meanwhile (libvpx rebuilt at
the lower rate, the frame dropper), at a quantiser a step or two higher (round nine)."""
PAUSE_AFTER = 2.0
"""Seconds the budget must stay below the last floor before video pauses (the last rung
runs meanwhile). A receiver's REMB grows to at most 1.5 x what it receives, so a paused
sender's estimate cannot grow, and a pause at one low reading held video off for
:data:`PAUSE_RETRY` seconds: at 150 kbit/s the first REMB of a call (an overuse verdict,
45-50k) paused it at the start (round eight, two of five windows). With 2 s it still
did in round nine's first two 150k windows (main's and the branch's first version:
3.5-3.7 s frozen): the start's overflow leaves budgets of 42-47k for 2 s and more, and
after the probe the estimate read 79-85k. 4 s kept the start's 150k windows from
pausing (five of five), but then a 90 kbit/s link did not pause within 25 s
(``tests/faults/test_shaped_links.py``, long): kept at 2 s."""
PAUSE_RETRY = 5.0
"""Seconds paused before the lowest rung is tried again ..."""
PROBE_HOLD = 3.0
"""... for at least this long whatever the (stale) estimate says: the receiver's
estimate needs packets to grow from."""
START_ESTIMATE = 300_000
"""The estimate (bit/s) a sender assumes before the receiver's first REMB: Chromium's
start. A 300 ms tbf queue on a 250 kbit/s uplink fills in about 0.3 s from a 500k
start (450k of video into the link), before any feedback can arrive, and the drops
that follow cost a keyframe, retransmissions and seconds of a low estimate; from 300k
it takes about a second, while the receiver's estimator sees the delay grow within a
few packet groups."""
START_BUDGET = 100_000
"""A call's video starts at this budget (bit/s; 320x240@20) ..."""
START_GROWTH = 1.5
"""... and ramps up by this factor a second until it reaches the estimate's budget
(270k from :data:`START_ESTIMATE` after 2.5 s), taking each rung the ramp affords at
once (:meth:`Ladder.jump`, no :data:`UP_HOLD`). The receiver's first REMB comes only
at the first overuse or about 3 s in (aiortc's estimator waits for 3 s of throughput),
and 480x360@24 at 270k with Opus beside it filled a 150 kbit/s uplink's 300 ms tbf
queue in a quarter of a second: the drops that followed cost keyframes and a
collapsed estimate (35-50k), and video paused at once (round seven, at each start).
The ramp lets the receiver's delay detector see the queue grow before it overflows
(the overuse REMB then ends the start), while a fast link's first REMB still sees
270k and more, so that the send-side estimate's start-up (a first REMB under 0.7 x
its rate ends it, :mod:`.sendside`) is as before. A start held at 100k until the first
REMB was tried (round eight): that REMB then read about 100k, the send-side estimate
took it for an application-limited lag and held 300k, and the cap's end put 270k into
the link all the same."""
APP_LIMITED = 1.3
"""The sender is application-limited when the estimate exceeds what it sent by this."""


def video_budget(estimate: int, covers_audio: bool = True) -> int:
    """The video target (bit/s) an estimate leaves once audio's share is reserved (when
    the estimate covers audio too)."""
    reserve = AUDIO_RESERVE if covers_audio else 0
    return min(VIDEO_MAX, max(0, int((estimate - reserve) * HEADROOM)))


class Ladder:
    """The rung a video budget affords, with hysteresis on the way up.

    Args:
        rungs: Best first; the default is :data:`RUNGS`.
        start: The budget (bit/s) to pick the first rung by; None starts at the best.
    """

    def __init__(self, rungs: tuple[Rung, ...] = RUNGS, start: int | None = None) -> None:
        self.rungs = rungs
        self.index: int | None = 0 if start is None else self._fitting(start)
        """The current rung's index in :attr:`rungs`, None while paused."""
        self._better_since: float | None = None
        self._worse_since: float | None = None
        self._paused_at: float | None = None
        self._below_since: float | None = None
        self._probe_until = -1e9
        self._probe_budget: int | None = None
        self._keep = tuple(SAME_SIZE_KEEP if same else 1.0 for same in frame_rate_steps(rungs))
        """Per rung: the share of its floor down to which a budget keeps it for good."""
        self._kept = False

    @property
    def holding(self) -> bool:
        """The budget is under the current rung's floor and the rung is kept (for a
        moment, :data:`DOWN_HOLD`; or, where the rung below has the same size, while the
        budget stays over :data:`SAME_SIZE_KEEP` of the floor): a high quantiser meanwhile
        is the budget's, not the content's (the encoder's quality scaler does not judge
        it)."""
        return self._kept

    @property
    def rung(self) -> Rung | None:
        """The current rung, or None while video is paused."""
        return None if self.index is None else self.rungs[self.index]

    def update(self, budget: int, now: float, app_limited: bool = False) -> Rung | None:
        """The rung for ``budget`` (bit/s) at time ``now`` (seconds); None = paused.

        ``app_limited``: the sender sent well below the estimate, so a low budget is
        no reason to step down."""
        if self.index is None:
            if self._paused_at is not None and now - self._paused_at >= PAUSE_RETRY:
                self._paused_at = None
                self._probe_until = now + PROBE_HOLD
                self._probe_budget = budget
                self.index = len(self.rungs) - 1  # probe: does the link carry it now?
                return self.rung
        elif now < self._probe_until:
            budget = max(budget, self.rungs[self.index].floor)
        elif self._probe_budget is not None:
            # after a probe the estimate is still the stale one it started from, growing
            # slowly: only a fall (the link complains) pauses again
            if budget >= self.rungs[-1].floor or budget < 0.95 * self._probe_budget:
                self._probe_budget = None
            else:
                budget = self.rungs[-1].floor
        elif app_limited:
            budget = max(budget, self.rungs[self.index].floor)
        index = self._fitting(budget)
        if index is not None or self.index is None:
            self._below_since = None
        elif self._below_since is None or now - self._below_since < PAUSE_AFTER:
            self._below_since = now if self._below_since is None else self._below_since
            index = len(self.rungs) - 1  # below the floor: the last rung, for a while
        current = len(self.rungs) if self.index is None else self.index
        self._kept = index is not None and index > current and self._holds(budget, now)
        if self._kept:
            return self.rung  # a little under the floor (not for long, or same size): kept
        self._worse_since = None
        if index is None or index >= current:  # down; or no better
            self._better_since = None
            if index is None and self.index is not None:
                self._paused_at = now
                self._probe_budget = None
            self.index = index if index is None or index > current else self.index
            return self.rung
        up = self._fitting(budget, up=True)
        if up is None or up >= current:
            self._better_since = None
            return self.rung
        if self._better_since is None:
            self._better_since = now
        if now - self._better_since >= UP_HOLD:
            self.index = current - 1  # one step at a time: each step is re-measured
            self._better_since = None
        return self.rung

    def _holds(self, budget: int, now: float) -> bool:
        """Whether a budget under the current rung's floor keeps the rung for now: it is
        at least the rung's :data:`SAME_SIZE_KEEP` share of the floor (where that
        applies); or it is at least :data:`DOWN_AT_ONCE` of the floor and has not been
        under the keep for :data:`DOWN_HOLD` seconds."""
        assert self.index is not None
        floor = self.rungs[self.index].floor
        if budget >= self._keep[self.index] * floor:
            self._worse_since = None
            return True
        if budget < DOWN_AT_ONCE * floor:
            self._worse_since = None
            return False
        if self._worse_since is None:
            self._worse_since = now
        if now - self._worse_since < DOWN_HOLD:
            return True
        self._worse_since = None
        return False

    def jump(self, budget: int) -> Rung | None:
        """The rung for ``budget`` at once, up or down (the start's ramp,
        :data:`START_GROWTH`); below the floor, the last rung: :meth:`update` pauses."""
        index = self._fitting(budget)
        if index is None:
            index = len(self.rungs) - 1  # the pause is update()'s, with its timing
        self.index, self._better_since, self._worse_since = index, None, None
        self._kept = False
        return self.rung

    def _fitting(self, budget: int, up: bool = False) -> int | None:
        """The best rung ``budget`` affords: over its floor, or, ``up``, over its floor
        times its :attr:`Rung.up_margin` (a step up)."""
        for index, rung in enumerate(self.rungs):
            if budget >= rung.floor * (rung.up_margin if up else 1.0):
                return index
        return None
