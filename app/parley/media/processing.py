"""Audio processing: libwebrtc's APM (echo cancellation, noise suppression, high-pass
filter, automatic gain control) through the ``livekit`` wheel's
``livekit.rtc.AudioProcessingModule``. It needs no LiveKit server.

One :class:`AudioProcessor` serves one call and is shared by its two ends of the
audio path, both on PortAudio's threads (the native calls release the GIL and take
about 0.1 ms per 10 ms frame, so nothing here ever runs on the event loop):

- the speaker's output callback hands it what is actually played, the mix, at the
  point the samples go to the device (:meth:`AudioProcessor.played`): the far-end
  reference, split into exact 10 ms frames for ``process_reverse_stream`` (Parley's
  20 ms blocks would be taken without an error, and processed wrongly);
- the microphone's input callback hands it each captured block before the block is
  queued (:meth:`AudioProcessor.captured`), processed in place as 10 ms frames.

The stream delay given to the echo canceller is PortAudio's reported input latency
plus its output latency, reported by each stream when it opens (so a device switch
updates it) and then followed, smoothed, from each callback's time stamps (the ADC time
of the captured block, the DAC time of the played one), so a device whose latency moves
moves the delay too. The playout queue (:mod:`parley.media.playout`) comes before the
point the reference is taken, so its changes need no delay update: the reference is
what goes to the device, when it goes. libwebrtc's AEC3 estimates the rest of the echo
path's delay itself.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from parley.media.synthetic import AUDIO_RATE

logger = logging.getLogger(__name__)

FRAME = AUDIO_RATE // 100
"""Samples in the 10 ms frame the APM takes (and only takes)."""
MAX_LATENCY = 0.5
"""A device latency above this (seconds) is a clock glitch, not a latency."""
LATENCY_SMOOTHING = 0.05
"""How much of each callback's latency reading moves the stream delay (about 20
callbacks, 0.4 s, to follow a step)."""


@dataclass(frozen=True)
class ProcessingOptions:
    """Which parts of the audio processing run (SessionSettings' switches)."""

    echo_cancellation: bool = True
    """Remove what the speaker plays from the microphone (AEC3)."""
    noise_suppression: bool = True
    """Reduce steady background noise."""
    auto_gain_control: bool = True
    """Keep the microphone's level even."""

    @property
    def any(self) -> bool:
        """Whether anything runs at all (all off: the microphone is passed through)."""
        return self.echo_cancellation or self.noise_suppression or self.auto_gain_control


def load_apm_class() -> Any:
    """``livekit.rtc.AudioProcessingModule``; raises ImportError (with why) when the wheel
    or its native library cannot be loaded."""
    from livekit import rtc  # imported late: its native library starts threads

    return rtc.AudioProcessingModule


def _frame_class() -> Any:
    from livekit import rtc

    return rtc.AudioFrame


def apm_self_test() -> str:
    """Load the native library, build an APM with every part on and run a frame each way
    through it; returns a short description. Raises when any step fails (the frozen
    app's self-test calls this to prove the bundle carries the library)."""
    processor = AudioProcessor(ProcessingOptions())
    if processor.error is not None:
        raise RuntimeError(processor.error)
    tone = (np.sin(np.arange(2 * FRAME) * 0.05) * 8000).astype(np.int16)
    processor.played(tone.astype(np.float32) / 32768.0)
    processed = processor.captured(tone.tobytes())
    if len(processed) != len(tone.tobytes()):
        raise RuntimeError("the audio processing changed the block's length")
    from livekit import rtc

    return f"libwebrtc audio processing (livekit {rtc.__version__}) loaded"


class AudioProcessor:
    """The APM of one call (see the module's docstring).

    Args:
        options: What runs. With everything off no APM is made and the microphone's
            blocks pass through untouched.

    A native library that cannot be loaded is logged and kept in :attr:`error`; the
    call then goes on unprocessed.
    """

    def __init__(self, options: ProcessingOptions) -> None:
        self.options = options
        self.error: str | None = None
        """Why the APM could not be made (None: it runs, or nothing was asked of it)."""
        self.input_latency = 0.0
        """PortAudio's reported input latency of the microphone, seconds."""
        self.output_latency = 0.0
        """PortAudio's reported output latency of the speaker, seconds."""
        self.frames_played = 0
        """10 ms far-end frames given to the echo canceller."""
        self.frames_captured = 0
        """10 ms microphone frames processed."""
        self._apm: Any = None
        self._frame: Any = None
        self._reverse = np.zeros(0, dtype=np.int16)
        self._reverse_lock = threading.Lock()
        if not options.any:
            return
        try:
            apm_class = load_apm_class()
            self._frame = _frame_class()
            self._apm = apm_class(
                echo_cancellation=options.echo_cancellation,
                noise_suppression=options.noise_suppression,
                # libwebrtc's capture pipeline runs its high-pass filter whenever it
                # processes at all: DC and rumble would otherwise steer AEC and AGC
                high_pass_filter=True,
                auto_gain_control=options.auto_gain_control)
        except Exception as exc:  # ImportError, or the native library failing to start
            self.error = f"audio processing unavailable: {exc}"
            logger.warning("%s", self.error)
            self._apm = None

    @property
    def active(self) -> bool:
        """Whether the APM is running (asked for, and loaded)."""
        return self._apm is not None

    @property
    def delay_ms(self) -> int:
        """The stream delay the echo canceller is given: input + output latency."""
        return round((self.input_latency + self.output_latency) * 1000)

    def input_latency_seen(self, seconds: float) -> None:
        """The microphone's latency as its callback sees it now (capture time to the
        callback); a value PortAudio could not measure (0, or absurd) is ignored."""
        if 0.0 < seconds < MAX_LATENCY:
            self.input_latency += LATENCY_SMOOTHING * (seconds - self.input_latency)

    def output_latency_seen(self, seconds: float) -> None:
        """The speaker's latency as its callback sees it now (callback to the DAC)."""
        if 0.0 < seconds < MAX_LATENCY:
            self.output_latency += LATENCY_SMOOTHING * (seconds - self.output_latency)

    def played(self, samples: npt.NDArray[np.float32]) -> None:
        """What the speaker is being handed now, mono float in [-1, 1] (output thread).

        Taken in exact 10 ms frames; a remainder waits for the next call."""
        if self._apm is None or not self.options.echo_cancellation:
            return
        block = np.clip(samples * 32767.0, -32768, 32767).astype(np.int16)
        with self._reverse_lock:
            pending = np.concatenate((self._reverse, block)) if len(self._reverse) else block
            whole = len(pending) - len(pending) % FRAME
            self._reverse = pending[whole:].copy()
        for start in range(0, whole, FRAME):
            data = bytearray(pending[start : start + FRAME].tobytes())
            try:
                self._apm.process_reverse_stream(self._frame(data, AUDIO_RATE, 1, FRAME))
            except RuntimeError as exc:
                logger.debug("process_reverse_stream: %s", exc)
                return
            self.frames_played += 1

    def captured(self, block: bytes) -> bytes:
        """A microphone block (s16 mono, a whole number of 10 ms frames), processed
        (input thread). A block of another length is passed through unprocessed."""
        if self._apm is None:
            return block
        if len(block) % (2 * FRAME):
            logger.debug("a %d-byte block is not whole 10 ms frames: unprocessed", len(block))
            return block
        out = bytearray(block)
        for start in range(0, len(out), 2 * FRAME):
            # process_stream works in place on the frame's buffer
            frame = self._frame(bytearray(out[start : start + 2 * FRAME]), AUDIO_RATE, 1, FRAME)
            try:
                if self.options.echo_cancellation:
                    self._apm.set_stream_delay_ms(self.delay_ms)
                self._apm.process_stream(frame)
            except RuntimeError as exc:
                logger.debug("process_stream: %s", exc)
                return block
            out[start : start + 2 * FRAME] = bytes(frame.data)
            self.frames_captured += 1
        return bytes(out)
