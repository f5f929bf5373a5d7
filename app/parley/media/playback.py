"""Remote audio out: every participant mixed into ONE output stream.

Frames arrive on the loop thread (:meth:`Playback.push`) into a queue per
participant whose depth adapts to the measured jitter
(:class:`~parley.media.playout.PlayoutTarget`: one device block when the network is
calm); the PortAudio output callback takes 10 ms from each queue and sums them. That
mix, as it is handed to the device, is the far-end reference of the call's echo
canceller (:mod:`parley.media.processing`), so the reference follows every change of
the queues' depth; the test sound and the notices are pushed into the same mix
(:func:`call_output`).
Without an output device the null sink consumes the same frames and still
measures each participant's level, so headless tests can assert that
non-silent audio arrived from someone."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from parley.media.devices import DeviceError, opening, sounddevice_module
from parley.media.playout import PlayoutTarget
from parley.media.processing import AudioProcessor
from parley.media.synthetic import AUDIO_RATE

logger = logging.getLogger(__name__)

MAX_BUFFERED = AUDIO_RATE // 5  # 200 ms per participant; older audio is dropped
DEVICE_BLOCK = AUDIO_RATE // 100
"""Samples (10 ms) the device asks for per callback. PortAudio's ALSA back end keeps two
blocks in its buffer, so this sets the output latency: 20 ms, where 20 ms blocks gave
40 ms. The echo canceller's reference goes in 10 ms frames anyway."""
FADE = AUDIO_RATE // 500
"""Samples (2 ms) over which a cut in the queue is cross-faded."""
STALL_TIMEOUT = 2.0
"""Seconds without the device asking for a block after which the speaker counts as gone."""
RUNAWAY = 3.0
"""A speaker asking for more than this many seconds of audio a second counts as gone."""

Samples = npt.NDArray[np.float32]


def to_mono(frame: av.AudioFrame) -> Samples:
    """A frame's samples as mono float32 in [-1, 1] (assumes 48 kHz, as Opus decodes)."""
    if frame.format.name == "s16" and len(frame.layout.channels) == 2:
        # what aiortc's Opus decoder gives, 50 times a second per peer: the interleaved
        # plane read in place, the same float32 sums as below in a third of the time
        packed = np.frombuffer(memoryview(frame.planes[0]), dtype=np.int16,
                               count=2 * frame.samples)
        mono: Samples = np.add(packed[0::2], packed[1::2], dtype=np.float32)
        mono *= np.float32(0.5 / 32768.0)
        return mono
    array = frame.to_ndarray()
    channels = len(frame.layout.channels)
    full = float(2 ** (8 * array.dtype.itemsize - 1)) if array.dtype.kind == "i" else 1.0
    lanes = array.reshape(channels, -1) if frame.format.is_planar else \
        array.reshape(-1, channels).T
    if channels == 2:  # what Opus decodes, every 20 ms per peer: 4x cheaper than mean()
        mixed: Samples = np.add(lanes[0], lanes[1], dtype=np.float32)
        mixed *= np.float32(0.5 / full)
        return mixed
    return np.asarray(lanes.mean(axis=0) / full, dtype=np.float32)


class _Buffer:
    """Samples of one participant waiting for the output callback, with its adaptive
    target (:class:`~parley.media.playout.PlayoutTarget`)."""

    def __init__(self) -> None:
        self.chunks: deque[Samples] = deque()
        self.size = 0
        self.offset = 0
        self.primed = False
        self.waiting_since: float | None = None  # when what is queued, unplayed, came
        self.target = PlayoutTarget(DEVICE_BLOCK)
        self._media_time = 0.0  # where the next frame's media time is expected
        self._stamp: float | None = None  # the last frame's own timestamp

    @property
    def queued(self) -> int:
        return self.size - self.offset

    def add(self, samples: Samples, now: float, media_time: float | None) -> None:
        # a frame without a timestamp, or with the last one's again (a synthetic source
        # that stamps nothing), is taken to follow the previous one
        stamp, self._stamp = self._stamp, media_time
        if media_time is None or media_time == stamp:
            media_time = self._media_time
        self._media_time = media_time + len(samples) / AUDIO_RATE
        self.target.arrived(now, media_time)
        if not self.primed and self.waiting_since is None:
            self.waiting_since = now
        self.chunks.append(samples)
        self.size += len(samples)
        while self.queued > MAX_BUFFERED and len(self.chunks) > 1:
            dropped = self.chunks.popleft()
            self.size -= len(dropped)
            self.offset = 0

    def take_into(self, out: Samples, now: float) -> None:
        if not self.primed:
            # start (and restart after running dry) with one block plus the jitter margin
            # queued, or once the first of what is queued has waited out the margin (the
            # end of a talk spurt shorter than that is not held back for the next one)
            waited = self.waiting_since is not None and \
                now - self.waiting_since >= self.target.margin / AUDIO_RATE
            if self.queued < self.target.prime and not (self.queued and waited):
                self.target.taken(now, self.queued, playing=False)
                return
            self.primed, self.waiting_since = True, None
            backlog = self.target.starting(self.queued)
            if backlog:
                self._skip(backlog)
        excess = self.target.taken(now, self.queued, playing=True)
        if excess:
            self._skip(excess)
        filled = 0
        while filled < len(out) and self.chunks:
            chunk = self.chunks[0]
            n = min(len(out) - filled, len(chunk) - self.offset)
            out[filled : filled + n] += chunk[self.offset : self.offset + n]
            filled += n
            self.offset += n
            if self.offset == len(chunk):
                self.chunks.popleft()
                self.size -= len(chunk)
                self.offset = 0
        if not self.chunks:
            self.primed = False

    def _skip(self, count: int) -> None:
        """Drop ``count`` samples from the head, cross-faded over FADE samples so that
        the cut does not click (not NetEq's pitch-synchronous accelerate: the queue
        shrinks at most once a second, by what went unused)."""
        pending = np.concatenate([self.chunks[0][self.offset :], *list(self.chunks)[1:]])
        if len(pending) <= count + FADE:
            return
        ramp = np.linspace(0.0, 1.0, FADE, dtype=np.float32)
        head = pending[:FADE] * (1.0 - ramp) + pending[count : count + FADE] * ramp
        rest = np.concatenate((head.astype(np.float32), pending[count + FADE :]))
        self.chunks = deque([rest])
        self.size, self.offset = len(rest), 0


_call_output: weakref.ref[Playback] | None = None


def call_output() -> Playback | None:
    """The speaker mix of the call in progress, when it plays to a device (None: no
    call, or its audio goes to the null sink). Short local sounds (the test sound, the
    notices) are pushed into it rather than played on a stream of their own, so that
    the echo canceller's far-end reference holds them as it holds the call."""
    playback = _call_output() if _call_output is not None else None
    return playback if playback is not None and not playback.is_null else None


class Playback:
    """The mixer. ``device`` is a sounddevice name or index; ``null=True`` (or an
    output that cannot be opened: DeviceError) means the null sink. ``processor``, the
    call's audio processing, is handed every block the device plays. ``call=True``
    makes it the call's mix (:func:`call_output`) while it is open."""

    def __init__(self, device: str | None = None, null: bool = False,
                 processor: AudioProcessor | None = None, call: bool = False) -> None:
        self._processor = processor
        self._buffers: dict[str, _Buffer] = {}
        self._lock = threading.Lock()
        self._peaks: dict[str, float] = {}
        self.levels: dict[str, float] = {}
        """Last measured level (RMS 0..1 of a 20 ms frame) per participant."""
        self.frames: dict[str, int] = {}
        """Frames received per participant."""
        self._stream: Any = None
        self.device = device
        """The device asked for (None: the system default)."""
        self._last_callback = time.monotonic()
        self._asked = 0  # frames the device asked for since the last check (its thread)
        self._checked = (time.monotonic(), 0)
        if null:
            return
        sd = sounddevice_module("speaker")
        try:
            with opening(device, "speaker") as target:
                self._stream = sd.OutputStream(
                    samplerate=AUDIO_RATE, channels=1, dtype="float32",
                    blocksize=DEVICE_BLOCK, latency="low", device=target,
                    callback=self._callback)
                self._stream.start()
        except Exception as exc:
            self._stream = None
            raise DeviceError("speaker", f"cannot open speaker {device!r}: {exc}") from exc
        if processor is not None:
            processor.output_latency = float(self._stream.latency)
        if call:
            global _call_output
            _call_output = weakref.ref(self)

    @property
    def is_null(self) -> bool:
        return self._stream is None

    def push(self, participant_id: str, frame: av.AudioFrame) -> None:
        """Queue a decoded frame of a participant (loop thread)."""
        samples = to_mono(frame)
        level = float(np.sqrt(np.dot(samples, samples) / len(samples))) if len(samples) else 0.0
        self.levels[participant_id] = level
        self._peaks[participant_id] = max(level, self._peaks.get(participant_id, 0.0))
        self.frames[participant_id] = self.frames.get(participant_id, 0) + 1
        if self._stream is None:
            return  # the null sink: measured, consumed, not played
        with self._lock:
            self._buffers.setdefault(participant_id, _Buffer()).add(
                samples, time.monotonic(), frame.time)

    def take_levels(self) -> dict[str, float]:
        """Peak level per participant since the previous call."""
        peaks, self._peaks = self._peaks, {}
        return peaks

    def remove(self, participant_id: str) -> None:
        with self._lock:
            self._buffers.pop(participant_id, None)
        self._peaks.pop(participant_id, None)
        self.levels.pop(participant_id, None)
        self.frames.pop(participant_id, None)

    def stalled(self) -> bool:
        """The output stopped asking for audio (the device went away): the owner opens
        another one. The null sink never stalls."""
        stream = self._stream
        if stream is None:
            return False
        now, asked = time.monotonic(), self._asked
        since, asked_then = self._checked
        if now - since >= 1.0:
            self._checked = (now, asked)
            # a device that vanished under ALSA's pulse plugin can make PortAudio ask for
            # blocks as fast as it can (no clock behind it any more) for seconds
            if (asked - asked_then) / (now - since) > RUNAWAY * AUDIO_RATE:
                logger.warning("the speaker asks for audio faster than it can play it")
                return True
        return not stream.active or now - self._last_callback > STALL_TIMEOUT

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        now = self._last_callback = time.monotonic()
        self._asked += frames
        out = np.zeros(frames, dtype=np.float32)
        with self._lock:
            for buffer in self._buffers.values():
                buffer.take_into(out, now)
        np.clip(out, -1.0, 1.0, out=out)
        outdata[:, 0] = out
        if self._processor is not None:
            # how far ahead of the DAC this block is, as PortAudio sees it now: the echo
            # canceller's stream delay follows a device whose latency moves
            self._processor.output_latency_seen(
                time_info.outputBufferDacTime - time_info.currentTime)
            self._processor.played(out)

    def playout(self) -> dict[str, tuple[float, float]]:
        """Per participant: (queued, target) in seconds, the target being one device block
        plus the jitter margin (:class:`~parley.media.playout.PlayoutTarget`)."""
        with self._lock:
            return {pid: (buffer.queued / AUDIO_RATE, buffer.target.prime / AUDIO_RATE)
                    for pid, buffer in self._buffers.items()}

    def close(self) -> None:
        """Stop the output stream; idempotent."""
        global _call_output
        if _call_output is not None and _call_output() is self:
            _call_output = None
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:
                logger.warning("closing the speaker: %s", exc)
