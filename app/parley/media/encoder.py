"""Parley's encoders: aiortc's VP8 encoder with the settings Parley owns, and the factory
that hands the sender Parley's VP8 and Opus (:mod:`.opus`) encoders.

aiortc's :class:`~aiortc.codecs.vpx.Vp8Encoder` clamps its target to 250 kbit/s -
1.5 Mbit/s, so a receiver's estimate of 60-250 kbit/s is ignored and a slow uplink
is flooded. :class:`ParleyVp8Encoder` keeps upstream's packetisation, timestamps and
the sender's calls (``encode(frame, force_keyframe)``, ``target_bitrate`` set from
REMB) and changes:

- a call starts at :data:`~parley.media.ladder.START_BUDGET` and ramps up
  (:data:`~parley.media.ladder.START_GROWTH`) to the estimate, taking each rung the ramp
  affords at once: a slow link's queue must not overflow before the receiver's first
  estimate can say anything of it;
- the estimate is followed down to 50 kbit/s after audio's share
  (:func:`~parley.media.ladder.video_budget`); the resolution ladder scales and thins
  frames (:class:`~parley.media.ladder.Ladder`); below the floor it sends nothing
  (video paused) until the estimate comes back;
- the bytes on the wire hold the target (:mod:`.ratecontrol`): a frame dropper (a
  leaky bucket of the encoder's own output) skips frames while the output is ahead of
  the target, and a quality scaler steps the ladder down when many frames are dropped
  or the quantiser stays near its ceiling at a rung, and up again with hysteresis; it
  starts capped below 640x480@30, which hard content cannot afford at its budget floor
  (:attr:`~parley.media.ladder.Rung.by_quality`);
- a frame is a keyframe only when one is due: a decoded frame (a camera's, the bench
  clip's) says it is an I picture, and FFmpeg's libvpx wrapper forces a keyframe for
  every such frame, which made every frame a keyframe at 2.4x the target (aiortc's
  own encoder does the same);
- libvpx cannot change its rate in place through FFmpeg, so a new rate is a rebuild
  (a keyframe): it is rebuilt when the budget (smoothed) falls :data:`RECONFIGURE_DOWN`
  under libvpx's rate or rises past :data:`RECONFIGURE_UP`, at most once in
  :data:`RECONFIGURE_SPACING`; a smaller fall left to libvpx would make the frame
  dropper drop the excess frames for as long as it lasts;
- keyframes are rate-limited (a request inside :data:`KEYFRAME_SPACING` of the last
  keyframe is deferred, not dropped); one encoder thread; libvpx's rate-control
  buffer at 500 ms, not 1 s.

Why the hook is aiortc's encoder factory: the sender builds its encoder itself, in
``RTCRtpSender._next_encoded_frame``, by calling the name ``get_encoder`` that
``aiortc.rtcrtpsender`` imported; there is no public way to hand a sender an encoder.
Replacing that one module-level name (:func:`parley.media.rtx.install`) touches no
private attribute and keeps every other codec upstream's. A sender fed pre-encoded
packets (the mesh's shared encoder, :mod:`.shared`) still builds an encoder, to
packetise them: it is :class:`~parley.media.shared.PacketEncoder`, which hands the
REMB on, and :mod:`.rtx` routes the keyframe requests that aiortc would only have
given to ``encode``.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc.codecs import get_encoder as upstream_get_encoder
from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av.frame import Frame
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from parley.media.ladder import (
    APP_LIMITED,
    RUNGS,
    START_BUDGET,
    START_ESTIMATE,
    START_GROWTH,
    VIDEO_MAX,
    Ladder,
    Rung,
    frame_rate_steps,
    quality_start,
    video_budget,
)
from parley.media.libvpx import TICKS, fit, quantiser, vp8_context
from parley.media.opus import ParleyOpusEncoder
from parley.media.ratecontrol import FrameDropper, QualityScaler

logger = logging.getLogger(__name__)

KEYFRAME_SPACING = 1.0
"""Seconds: at most one requested keyframe per this (a resolution change is one too)."""
RECONFIGURE_SPACING = 1.5
"""Seconds between two rate changes at the same size (libvpx cannot change its rate in
place through FFmpeg; each change rebuilds the encoder, which costs a keyframe)."""
RECONFIGURE_UP = 1.2
"""A budget up to this multiple of libvpx's rate is left to it (a rebuild costs a
keyframe; a little undershoot costs nothing but the link's idle share) ..."""
RECONFIGURE_DOWN = 0.93
"""... and down to this one. Below it, libvpx would go on producing more than the frame
dropper, which drains at the budget, lets out, and the dropper would drop the excess
frames for as long as the budget stays there: a budget 15 % under libvpx's rate cost 12 %
of the frames at 320x240@24 (``bench/vp8_rate``-style, offline), 24 -> 14-18 fps on a
250 kbit/s link, where aiortc's REMB saws by 10-25 %. A rebuild costs one keyframe."""
BUDGET_SMOOTHING = 0.5
"""Seconds: the rebuild decision reads the budget averaged over about this long, not
each REMB (they wobble by +-5 % every 50 ms)."""
DEFAULT_ESTIMATE = START_ESTIMATE
"""The estimate assumed before the first REMB (:data:`~parley.media.ladder.START_ESTIMATE`;
the video ramps up to it from :data:`~parley.media.ladder.START_BUDGET`)."""
RATE_WINDOW = 2.0
"""Seconds over which the encoder's own output rate is measured (application-limited
or not, :mod:`.ladder`). An encoder that dropped a frame for its budget (the frame
dropper's, or libvpx's) within this long is not application-limited, whatever it put
out: it is held to the budget. On a 90 kbit/s link the estimate fell to 7-30k, the
160x120@10 rung's output under it read as application-limited, and video was never
paused (round eleven)."""
REPORT_EVERY = 5.0
"""Seconds between two log lines of what the encoder is given and what it puts out."""


class ParleyVp8Encoder(Vp8Encoder):
    """aiortc's VP8 encoder following the estimate down to the ladder's floor.

    Args:
        clock: Monotonic seconds (tests pass a fake one).
        rungs: The ladder, best first (the mesh's low layer has a shorter one).
        ramp: Start low and ramp up (:data:`~parley.media.ladder.START_GROWTH`); False
            starts at the estimate (tests of the steady state).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 rungs: tuple[Rung, ...] = RUNGS, ramp: bool = True) -> None:
        super().__init__()
        self._clock = clock
        self._lock = threading.Lock()  # encode runs in aiortc's executor, REMB on the loop
        self._estimate = DEFAULT_ESTIMATE
        self.covers_audio = False
        """The estimate covers audio as well (a REMB naming several streams): audio's
        share is then taken off it first."""
        self._output: collections.deque[tuple[float, int]] = collections.deque()
        self._rate_dropped_at = -1e9  # the last frame dropped for the budget
        start = video_budget(DEFAULT_ESTIMATE, covers_audio=False)
        self.ladder = Ladder(rungs, start=min(START_BUDGET, start) if ramp else start)
        self._started: float | None = None
        self._starting = ramp  # until the start's ramp reaches the budget (START_BUDGET)
        self.on_rung: Callable[[Rung | None], None] | None = None
        """Called (from the encoder's thread) when the rung changes; None = paused."""
        self._rung: Rung | None = self.ladder.rung
        self._next_due: float | None = None
        self._last_keyframe = -1e9
        self._keyframe_pending = False
        self._configured_at = -1e9
        self._smoothed: float | None = None  # the budget, averaged (BUDGET_SMOOTHING)
        self._smoothed_at = 0.0
        self._scaler = VideoReformatter()
        self._ticks = 0
        self._reported_at = -1e9
        self.dropper = FrameDropper()
        """Holds the output at the target over a fraction of a second."""
        self.quality = QualityScaler(len(rungs), frame_rate_steps(rungs))
        """Its ``cap`` is the best rung the output's quality allows. It starts below the
        ladder's :attr:`~parley.media.ladder.Rung.by_quality` rungs (640x480@30), which are
        taken only once the output shows headroom (:func:`~parley.media.ladder.quality_start`)."""
        self.quality.cap = quality_start(rungs)
        self.keyframes = 0
        """Keyframes produced (requested or from a rebuild): a diagnostic."""
        self.requested_keyframes = 0
        """... of which made for a request (a rebuild's are not): a diagnostic."""
        self.encodes = 0
        """Frames handed to libvpx (thinned ones, the dropper's and paused ones are not):
        a diagnostic."""
        self.dropped = 0
        """Frames due at the rung that were not sent (the dropper's, and those libvpx
        gave nothing for): a diagnostic."""

    @property
    def estimate(self) -> int:
        """The last total estimate (bit/s) the sender passed on."""
        return self._estimate

    @property
    def target_bitrate(self) -> int:
        """The video target in bit/s: the estimate less audio's share, not clamped at
        aiortc's 250 kbit/s floor."""
        return max(1, video_budget(self._estimate, self.covers_audio))

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        with self._lock:
            self._estimate = max(0, min(int(bitrate), 2 * VIDEO_MAX))

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        assert isinstance(frame, av.VideoFrame)
        payloads: list[bytes] = []
        timestamp = 0
        for packet in self.encode_packets(frame, force_keyframe):
            more, timestamp = self.pack(packet)
            payloads += more
        return payloads, timestamp

    def encode_packets(self, frame: av.VideoFrame, force_keyframe: bool = False,
                       keyframe_spacing: float = KEYFRAME_SPACING) -> list[av.Packet[Any]]:
        """Encode one frame (or none: thinned, dropped, paused) into VP8 packets stamped
        with the frame's own time, for :meth:`pack` (here, or in every sender of a
        shared encoder, :mod:`.shared`). ``frame`` is left as it came (other threads
        may be encoding it).

        ``keyframe_spacing``: a requested keyframe waits until this long after the
        last one (:data:`KEYFRAME_SPACING`; shorter for a joining receiver)."""
        return self._encode_packets(frame, force_keyframe, keyframe_spacing)

    def _encode_packets(self, frame: av.VideoFrame, force_keyframe: bool,
                        keyframe_spacing: float) -> list[av.Packet[Any]]:
        now = self._clock()
        pts, time_base = frame.pts, frame.time_base
        with self._lock:
            estimate, budget = self._estimate, video_budget(self._estimate, self.covers_audio)
        if self._started is None:
            self._started = now
        if self._starting:
            ramp = int(START_BUDGET * START_GROWTH ** (now - self._started))
            if budget <= ramp:  # the ramp reached the estimate, or the link answered
                self._starting = False
            else:
                budget = ramp
                if self.ladder.index is not None and self.ladder.jump(budget) != self._rung:
                    self._smoothed = None  # the new rung's libvpx at the ramp's rate
                self.quality.reset(now)  # a ramp rung sits at its floor: judge its end
        # a rate is only known once the encoder has run for a whole window, and it is
        # its own choice only if no frame was dropped for the budget meanwhile
        app_limited = now - self._started >= RATE_WINDOW and \
            now - self._rate_dropped_at >= RATE_WINDOW and \
            estimate > APP_LIMITED * self.output_rate(now)
        rung = self._pick_rung(budget, now, app_limited)
        if now - self._reported_at >= REPORT_EVERY:
            self._reported_at = now
            logger.info("video: estimate %d, budget %d, put out %.0f bit/s; %s, quality cap "
                        "%s; %d encoded, %d dropped, %d keyframes", estimate, budget,
                        self.output_rate(now), rung or "paused",
                        self.ladder.rungs[self.quality.cap], self.encodes, self.dropped,
                        self.keyframes)
        self._keyframe_pending = self._keyframe_pending or force_keyframe
        if rung is None or not self._due(frame, rung):
            return []
        if not self.dropper.admit(budget, now):
            self.dropped += 1
            self._rate_dropped_at = now
            self.quality.dropped(now)
            return []
        width, height = fit(frame.width, frame.height, rung)
        if (frame.width, frame.height) != (width, height) or frame.format.name != "yuv420p":
            # our own reformatter: the frame is shared with other senders' threads, and
            # a frame's own reformat() keeps one scaler per frame
            scaled = self._scaler.reformat(frame, width=width, height=height,
                                           format="yuv420p")
        else:  # a copy (0.2 ms at 640x480) to stamp: other threads may encode the frame
            scaled = av.VideoFrame.from_numpy_buffer(frame.to_ndarray(), format="yuv420p")
        self._configure(scaled, rung, budget, now)
        assert self.codec is not None
        # libvpx takes its frame rate from the time between frames: a gap (a dropped or
        # thinned frame) would read as a lower rate, a bigger share per frame, and the
        # next frame would be as big as the gap (and be dropped in turn). It sees one
        # frame per period of its rung's rate instead (TICKS); the packets keep the
        # frame's time.
        scaled.pts, scaled.time_base = self._ticks, self.codec.time_base
        self._ticks += TICKS // rung.fps
        keyframe = False
        requested = self._keyframe_pending
        if requested and now - self._last_keyframe >= keyframe_spacing:
            keyframe = True
        scaled.pict_type = PictureType.I if keyframe else PictureType.NONE
        packets = list(self.codec.encode(scaled))
        for packet in packets:
            keyframe = keyframe or packet.is_keyframe
            if pts is not None and time_base is not None:
                packet.pts, packet.time_base = pts, time_base
        self.encodes += 1
        size = sum(packet.size for packet in packets)
        self._output.append((now, size))
        self.dropper.sent(size * 8, budget, now)
        if packets:
            self.quality.encoded(quantiser(packets[-1]), now)
        else:  # libvpx dropped it (its buffer ran dry)
            self.dropped += 1
            self._rate_dropped_at = now
            self.quality.dropped(now)
        if keyframe and packets:
            self._keyframe_pending = False
            self._last_keyframe = now
            self.keyframes += 1
            self.requested_keyframes += requested
        return packets

    def _pick_rung(self, budget: int, now: float, app_limited: bool) -> Rung | None:
        """The worse of the budget's rung (the ladder) and the output quality's cap."""
        self.ladder.update(budget, now, app_limited)
        index = self.ladder.index
        if self.ladder.holding and index is not None and self.quality.cap <= index:
            # the rung sent is the ladder's, kept under its floor (for a moment, or a
            # frame-rate step's keep): its quantiser is the budget's, not the content's.
            # A rung sent at the quality cap (below it) is judged as ever.
            self.quality.reset(now)
        if index is not None:
            index = max(index, self.quality.update(max(index, self.quality.cap), now))
        rung = None if index is None else self.ladder.rungs[index]
        if rung != self._rung:
            logger.info("video %s -> %s (budget %d bit/s, quality cap %s)",
                        self._rung or "paused", rung or "paused", budget,
                        self.ladder.rungs[self.quality.cap])
            self._rung = rung
            self._next_due = None
            self.quality.reset(now)
            if self.on_rung is not None:
                self.on_rung(rung)
        return rung

    def output_rate(self, now: float) -> float:
        """What the encoder produced over the last :data:`RATE_WINDOW`, bit/s."""
        while self._output and now - self._output[0][0] > RATE_WINDOW:
            self._output.popleft()
        return sum(size for _, size in self._output) * 8 / RATE_WINDOW

    def _due(self, frame: av.VideoFrame, rung: Rung) -> bool:
        """Thin the capture's frame rate to the rung's."""
        if frame.pts is None or frame.time_base is None:
            return True
        t = float(frame.pts * frame.time_base)
        period = 1.0 / rung.fps
        if self._next_due is not None and t < self._next_due - period / 4:
            return False
        self._next_due = t + period if self._next_due is None or \
            t - self._next_due > period else self._next_due + period
        return True

    def _smooth(self, budget: int, now: float) -> int:
        if self._smoothed is None:
            self._smoothed = float(budget)
        else:
            weight = 1 - math.exp(-max(0.0, now - self._smoothed_at) / BUDGET_SMOOTHING)
            self._smoothed += weight * (budget - self._smoothed)
        self._smoothed_at = now
        return int(self._smoothed)

    def _configure(self, frame: av.VideoFrame, rung: Rung, budget: int, now: float) -> None:
        smoothed = self._smooth(budget, now)
        codec = self.codec
        if codec is not None and (codec.width, codec.height) == (frame.width, frame.height):
            ratio = smoothed / (codec.bit_rate or 1)
            # the ramp is followed without the spacing: a first REMB must see its rate
            if RECONFIGURE_DOWN <= ratio <= RECONFIGURE_UP or (
                    now - self._configured_at < RECONFIGURE_SPACING and not self._starting):
                return
            if ratio < 1:  # down: to where the budget is now, not half-way (one rebuild)
                smoothed = min(smoothed, budget)
        rate = max(rung.floor // 2, smoothed)
        self.codec = vp8_context(frame.width, frame.height, rate, rung.fps)
        self._configured_at = now
        self._last_keyframe = -1e9  # a fresh encoder starts with a keyframe anyway


def parley_encoder(codec: RTCRtpCodecParameters) -> Encoder:
    """aiortc's encoder factory with Parley's VP8 and Opus encoders (:mod:`.rtx`'s
    :func:`~parley.media.rtx.install` puts it in place)."""
    mime = codec.mimeType.lower()
    if mime == "video/vp8":
        return ParleyVp8Encoder()
    if mime == "audio/opus":
        return ParleyOpusEncoder()
    return upstream_get_encoder(codec)
