"""The microphone: a sounddevice InputStream, 48 kHz mono, 20 ms blocks and frames.

The PortAudio callback runs on PortAudio's thread and does nothing but copy the
block, run it through the call's audio processing (echo cancellation, noise
suppression, gain control: :mod:`parley.media.processing`, when given one) and
``loop.call_soon_threadsafe`` it into a bounded queue; when the consumer falls
behind, blocks are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media.devices import DeviceError, opening, sounddevice_module
from parley.media.processing import AudioProcessor
from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES, audio_frame

logger = logging.getLogger(__name__)

QUEUE_BLOCKS = 10  # 200 ms
DEVICE_BLOCK = AUDIO_SAMPLES
"""Samples (20 ms) per device callback: the frame Opus sends. 10 ms blocks would take
20 ms off the device's latency (PortAudio's ALSA back end keeps two blocks: 20 ms in
where these give 40), but a microphone opened mid-call through ALSA's pulse plugin with
10 ms blocks was then heard by the far end only after 2.1 s, in 2 switches of 5
(tests/media/test_hotplug.py); with 20 ms blocks, 0.06-0.09 s every time. The speaker
keeps 10 ms blocks (media/playback.py). The callback joins blocks into whole 20 ms
frames, whatever the block."""
FRAME_BYTES = 2 * AUDIO_SAMPLES  # s16 mono


class MicrophoneTrack(MediaStreamTrack):
    """Audio frames (s16 mono 48 kHz, 960 samples) from a microphone.

    Args:
        device: A sounddevice name or index; None = the default input.
        processor: The call's audio processing; None passes the blocks through.
    """

    kind = "audio"
    stall_timeout = 2.0
    """Seconds without a block after which the microphone counts as failed (unplugged)."""

    def __init__(self, device: str | None = None,
                 processor: AudioProcessor | None = None) -> None:
        super().__init__()
        self._processor = processor
        self._loop: asyncio.AbstractEventLoop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_BLOCKS)
        self._pts = 0
        self._pending = bytearray()  # device blocks not yet a whole frame (its thread)
        self.dropped = 0
        self.error: str | None = None
        sd = sounddevice_module()
        try:
            with opening(device, "microphone") as target:
                self._stream: Any = sd.RawInputStream(
                    samplerate=AUDIO_RATE, channels=1, dtype="int16",
                    blocksize=DEVICE_BLOCK, latency="low", device=target,
                    callback=self._callback)
                self._stream.start()
        except Exception as exc:  # sd.PortAudioError, ValueError for a bad name
            raise DeviceError("microphone", f"cannot open microphone {device!r}: {exc}") from exc
        if processor is not None:
            processor.input_latency = float(self._stream.latency)

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's thread: copy the block, process it, hand it over, nothing else
        block = bytes(indata)
        if self._processor is not None:
            self._processor.input_latency_seen(
                time_info.currentTime - time_info.inputBufferAdcTime)
            block = self._processor.captured(block)
        self._pending += block
        if len(self._pending) < FRAME_BYTES:
            return
        frame = bytes(self._pending[:FRAME_BYTES])
        del self._pending[:FRAME_BYTES]
        try:
            self._loop.call_soon_threadsafe(self._put, frame)
        except RuntimeError:
            pass  # the loop is closed; stop() follows

    def _put(self, block: bytes) -> None:
        if self._queue.full():
            self.dropped += 1
            return
        self._queue.put_nowait(block)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        try:
            # not asyncio.wait_for: on Python 3.11 it swallows a cancellation that meets
            # a block arriving (it returns the block instead), and the device delivers
            # every 20 ms, so a cancelled pump read on and leave_session() never returned
            async with asyncio.timeout(self.stall_timeout):
                block = await self._queue.get()
        except TimeoutError:
            self.error = f"microphone delivered nothing for {self.stall_timeout:g} s"
            self.stop()
            raise MediaStreamError from None
        frame = audio_frame(np.frombuffer(block, dtype=np.int16), self._pts)
        self._pts += frame.samples
        return frame

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as exc:
                logger.warning("closing the microphone: %s", exc)
