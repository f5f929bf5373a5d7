"""A PortAudio stand-in on a clock: :class:`ClockedAudio`, for
:func:`parley.media.devices.use_audio_backend`.

Each stream's callback runs on a thread of its own at the pace of real time (one block
every ``blocksize / samplerate`` seconds of ``time.monotonic``), as a sound card's
would; the thread's sleeps are the device's clock, not synchronisation. The first
input stream opened plays ``source``; later ones are silent. Every output block is
recorded with the time its callback ran, so that what was said and what was played can
be put on one time line at the block level:

- an input sample ``i`` of the block whose callback ran at ``t`` was spoken at
  ``t - (blocksize - i) / rate`` (a device hands a block over once it is complete);
- an output sample ``i`` of the block whose callback ran at ``t`` is heard at
  ``t + i / rate`` (a device with no latency of its own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt

_NO_TIMES = SimpleNamespace(inputBufferAdcTime=0.0, currentTime=0.0, outputBufferDacTime=0.0)


class ClockedStream:
    """One input or output stream (sounddevice's RawInputStream / OutputStream calls)."""

    latency = 0.0

    def __init__(self, kind: str, source: npt.NDArray[np.int16] | None,
                 callback: Callable[..., None], samplerate: float, blocksize: int,
                 channels: int = 1, **_: Any) -> None:
        self.kind = kind
        self._source = source
        self._callback = callback
        self.rate = int(samplerate)
        self.block = int(blocksize)
        self.channels = channels
        self.times: list[float] = []
        """When each block's callback ran (time.monotonic)."""
        self.blocks: list[npt.NDArray[np.float32]] = []
        """Output streams: each block played, mono."""
        self.active = False
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, name=f"clocked-{self.kind}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = self.block / self.rate
        began = time.monotonic()
        index = 0
        while not self._quit.is_set():
            due = began + (index + 1) * period
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            now = time.monotonic()
            if self.kind == "input":
                self._capture(index, now)
            else:
                self._play(now)
            index += 1

    def _capture(self, index: int, now: float) -> None:
        block = np.zeros(self.block, dtype=np.int16)
        if self._source is not None:
            part = self._source[index * self.block : (index + 1) * self.block]
            block[: len(part)] = part
        self.times.append(now)
        self._callback(block.tobytes(), self.block, _NO_TIMES, None)

    def _play(self, now: float) -> None:
        out = np.zeros((self.block, self.channels), dtype=np.float32)
        self._callback(out, self.block, _NO_TIMES, None)
        self.times.append(now)
        self.blocks.append(out[:, 0].copy())

    def stop(self) -> None:
        self._quit.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.active = False

    def close(self) -> None:
        self.stop()

    def played(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
        """Output streams: every sample played so far, and the time each was heard."""
        if not self.blocks:
            return np.zeros(0, np.float32), np.zeros(0)
        offsets = np.arange(self.block) / self.rate
        times = (np.asarray(self.times)[:, None] + offsets[None, :]).reshape(-1)
        return np.concatenate(self.blocks), times

    def spoken_at(self, sample: int) -> float | None:
        """Input streams: when the source's sample ``sample`` was spoken (None: not yet)."""
        index, within = divmod(sample, self.block)
        if index >= len(self.times):
            return None
        return self.times[index] - (self.block - within) / self.rate


class ClockedAudio:
    """The backend: ``RawInputStream`` and ``OutputStream`` make clocked streams.

    Args:
        source: What the first microphone opened says (s16 mono at the stream's rate).
    """

    def __init__(self, source: npt.NDArray[np.int16]) -> None:
        self.source = source
        self.inputs: list[ClockedStream] = []
        self.outputs: list[ClockedStream] = []

    def RawInputStream(self, **options: Any) -> ClockedStream:  # noqa: N802 (sounddevice's name)
        source = self.source if not self.inputs else None
        stream = ClockedStream("input", source, **options)
        self.inputs.append(stream)
        return stream

    def OutputStream(self, **options: Any) -> ClockedStream:  # noqa: N802
        stream = ClockedStream("output", None, **options)
        self.outputs.append(stream)
        return stream
