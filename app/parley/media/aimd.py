"""The receiver's rate control: aiortc's AIMD with libwebrtc's limits on a decrease.

:class:`OncePerEpisodeRateControl` is aiortc's ``AimdRateControl`` (``aiortc.rate``),
which turns the overuse detector's verdicts into the REMB, with the rules libwebrtc's
``AimdRateControl`` (``modules/remote_bitrate_estimator/aimd_rate_control.cc``) has and
aiortc's lacks, and one of Parley's:

- **No decrease on every packet.** aiortc's ``RemoteBitrateEstimator.add`` calls the
  rate control on every packet while the verdict is *overusing*, and each call sets
  0.85 x the incoming rate. The sender follows a REMB a round trip and an encoder
  rebuild later, and the incoming rate (a 1 s window) falls a second after that, so a
  verdict that lasts (the Kalman filter's offset lags a draining queue by a second or
  two) cut again and again from rates the earlier cuts had already lowered. On the
  450 kbit/s link of ``make bench ARGS=links`` one overuse verdict lasted 2.7 s and took
  the REMB 308k -> 183k in 82 REMBs, far below the 480x360@30 rung's floor, and the
  near-capacity increase (about 20-30 kbit/s a second) needed 7-9 s to climb back.
  Here a decrease is made when libwebrtc's ``TimeToReduceFurther`` allows it (the last
  decrease at least a round trip ago, the round trip clamped to 10-200 ms: aiortc's
  receiver knows none and keeps 200; or at once when the incoming rate is under half
  the estimate, a link that fell), and, Parley's rule, only
  at the start of an overuse episode or when the queue has grown since the last
  decrease (:data:`QUEUE_GROWTH_MS`, from the packet groups' delay variation): a
  verdict that outlasts its queue cuts nothing more. Otherwise the estimate holds;
  a REMB still goes out every :meth:`feedback_interval`, as upstream's periodic one,
  so the sender hears the estimate.
- **An episode's first decrease takes 15 % off the estimate, not 0.85 x the incoming
  rate.** libwebrtc sets 0.85 x the throughput (never above the estimate), which drains
  the queue at 15 % of the link because its pacer and encoder send what the estimate
  allows.
  Parley's sender does not: its encoder gets :data:`~.ladder.HEADROOM` (0.9) x the
  estimate and puts out less again (hard content at a rung's top, keyframes between),
  so in the bench's logs the incoming rate at an overuse was 0.66-0.96 x the estimate,
  and upstream's first REMB of each overuse episode 0.56-0.81 x the one before: the
  budget far below the 480x360@30 rung's floor (280k) on a 450 kbit/s link, and
  320x240@15 at 250k. Here the first decrease of an overuse episode sets
  :data:`BACKOFF` x the estimate, so the sender, which follows the estimate, puts out
  15 % less, libwebrtc's drain. A further decrease in the episode (the queue still
  growing a round trip later: the sender has not followed, or the link is slower) is
  libwebrtc's, 0.85 x the incoming rate, which is the link's rate while its queue
  grows, and only if lower: 15 % off the estimate each round trip would compound while
  the sender holds a cut it has not confirmed (:mod:`.sendside`, up to 1 s). A link
  that fell (the incoming rate under half the estimate) and a cut before the estimate
  started take 0.85 x the incoming rate, as upstream. No decrease raises the estimate,
  as upstream's could (0.85 x a burst's incoming rate).
- **A decrease starts the estimate** (libwebrtc's ``bitrate_is_initialized_``): upstream
  stays uninitialised until 3 s of throughput, cutting on every packet meanwhile, and
  then replaces the estimate by the throughput.

Everything else is upstream's: the increase (multiplicative 8 % a second far from the
link capacity estimate, additive near it), the clamp to 1.5 x the incoming rate, the
link capacity estimate and its reset.

Only public attributes of aiortc's class are read and set (``current_bitrate``,
``current_bitrate_initialized``, ``rtt``, ``latest_estimated_throughput``); upstream's
``update`` makes every other change (state, link capacity estimate), and this class
only decides whether it is called on an overuse, and sets the decreased rate after it.
Pure: the time is the caller's (ms), the queue delay comes from a callable.
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc.rate import AimdRateControl, BandwidthUsage

BACKOFF = 0.85
"""A decrease takes the estimate to this share of itself (or of the incoming rate, when
the link fell): libwebrtc's ``beta``."""
QUEUE_GROWTH_MS = 10.0
"""A further decrease within one overuse episode needs the queue to have grown by this
much (ms of one-way delay) since the last decrease."""
MIN_INTERVAL_MS = 10
MAX_INTERVAL_MS = 200
"""libwebrtc's clamp on the round trip between two decreases (ms)."""
FALLEN = 0.5
"""An incoming rate under this share of the estimate allows a decrease at once."""


class OncePerEpisodeRateControl(AimdRateControl):
    """aiortc's AIMD rate control, decreasing at most once an overuse episode unless the
    queue goes on growing, and never upwards.

    Args:
        queue_ms: The accumulated one-way delay variation so far (ms; any origin): the
            queue's growth between two calls is its difference.
    """

    def __init__(self, queue_ms: Callable[[], float]) -> None:
        super().__init__()
        self.queue_ms = queue_ms
        self.last_decrease_ms: int | None = None
        self.decreases = 0
        """Decreases made: a diagnostic."""
        self.withheld = 0
        """Overusing updates that decreased nothing: a diagnostic."""
        self._queue_at_decrease = 0.0
        self._overusing = False
        self._last_out_ms: int | None = None

    def update(self, bandwidth_usage: BandwidthUsage, estimated_throughput: int | None,
               now_ms: int) -> int | None:
        if bandwidth_usage != BandwidthUsage.OVERUSING:
            self._overusing = False
            return self._out(super().update(bandwidth_usage, estimated_throughput, now_ms),
                             now_ms)
        episode = not self._overusing
        self._overusing = True
        if not self.time_to_reduce(estimated_throughput, now_ms, episode):
            self.withheld += 1
            due = self._last_out_ms is None \
                or now_ms - self._last_out_ms > self.feedback_interval()
            return self._out(self.current_bitrate, now_ms) if due else None
        before = self.current_bitrate
        initialised = self.current_bitrate_initialized
        out = super().update(bandwidth_usage, estimated_throughput, now_ms)
        if out is None:  # not initialised (upstream's start): nothing was changed
            return None
        throughput = self.latest_estimated_throughput
        if episode and initialised and throughput >= FALLEN * before:
            new = round(BACKOFF * before)  # 15 % off what the sender follows
        else:  # upstream's (and libwebrtc's) base, never above the estimate
            new = min(round(BACKOFF * throughput), before) if initialised \
                else round(BACKOFF * throughput)
        self.current_bitrate = new
        self.current_bitrate_initialized = True  # libwebrtc: a decrease is an estimate
        self.last_decrease_ms = now_ms
        self._queue_at_decrease = self.queue_ms()
        self.decreases += 1
        return self._out(new, now_ms)

    def time_to_reduce(self, throughput: int | None, now_ms: int, episode: bool) -> bool:
        """Whether an overusing verdict at ``now_ms`` may decrease the estimate."""
        if self.last_decrease_ms is None:
            return True
        if throughput is not None and throughput < FALLEN * self.current_bitrate:
            return True
        interval = min(max(self.rtt, MIN_INTERVAL_MS), MAX_INTERVAL_MS)
        if now_ms - self.last_decrease_ms < interval:
            return False
        return episode or self.queue_ms() - self._queue_at_decrease >= QUEUE_GROWTH_MS

    def _out(self, bitrate: int | None, now_ms: int) -> int | None:
        if bitrate is not None:
            self._last_out_ms = now_ms
        return bitrate
