"""Mouth-to-ear latency on loopback: microphone block in, speaker block out, Parley
against the bare aiortc path in the same run (docs/performance.md quotes these).

    python -m bench mouth_to_ear        # writes bench/results/mouth_to_ear.json

Every variant runs a one-way call between two ends in this process, over loopback, with
the microphone and the speaker replaced by clocked streams (tests/media/clocked_audio.py:
callbacks at the pace of real time, as a sound card's, with no latency of their own).
The talker says a 40 ms tone burst every second over a quiet noise floor; the latency of
each burst is the time from when its first sample was spoken (the microphone block's
callback time, less the samples after it) to when its first sample is heard (the
speaker block's callback time, plus the samples before it), found by a threshold at
sample resolution; a burst played with a hole in it (the speaker ran dry: a click, a
lost syllable) is counted (``bursts_with_a_hole``, ``burst_heard_share``), since a
speaker that never holds anything back is fast and broken. ``settled_*`` leaves out
each run's first WARM_UP seconds (the call's start: what the sender queued before its
connection was up arrives at once).

- ``bare_aiortc``: aiortc's own encoder, jitter buffer (prefetch 4) and RTCP handling,
  a microphone track fed by the input callback, and the most favourable speaker there
  is: a FIFO the output callback drains with no start-up buffer and no standing queue
  (it drops what is more than a block behind), so the figure is aiortc's path alone.
- ``parley``: two MediaMeshes (the product's audio path: MicrophoneTrack, the
  SwitchableTrack, ParleyOpusEncoder, AudioJitterBuffer, Playback with its adaptive
  playout queue) through ``parley.media.devices.use_audio_backend``; processing off.
- ``parley_processing``: the same with echo cancellation, noise suppression and gain
  control on (the default), i.e. plus libwebrtc's filter delay.
- ``parley_upstream_jitter``: Parley with aiortc's own audio jitter buffer, to show what
  that part costs.

The variants alternate, ROUNDS times, so that the machine's load hits them alike.
What PortAudio adds on a real device (its reported input and output latency, with
Parley's 10 ms device blocks and with the 20 ms ones it had) is measured separately on
the PulseAudio null sinks of the test rig (``pulse_device_latency_ms``) and added to the
processed call's settled median for ``parley_settled_p50_with_pulse_devices_ms``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack
from tests.media.clocked_audio import ClockedAudio, ClockedStream
from tests.media.conftest import Router

from bench._latency import WARM_UP, burst_latencies, pulse_device_latencies, talker
from parley.media import arrival, decoding, estimate, framebuffer, jitter, rtx
from parley.media.devices import use_audio_backend
from parley.media.playback import to_mono
from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES, audio_frame

SECONDS = float(os.environ.get("PARLEY_BENCH_M2E_SECONDS", "15"))
ROUNDS = int(os.environ.get("PARLEY_BENCH_M2E_ROUNDS", "2"))


class _BareMicrophone(MediaStreamTrack):
    kind = "audio"

    def __init__(self, audio: ClockedAudio) -> None:
        super().__init__()
        loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(10)
        self._pts = 0

        def callback(indata: Any, frames: int, time_info: Any, status: Any) -> None:
            loop.call_soon_threadsafe(self._put, bytes(indata))

        self.stream = audio.RawInputStream(samplerate=AUDIO_RATE, channels=1, dtype="int16",
                                           blocksize=AUDIO_SAMPLES, callback=callback)
        self.stream.start()

    def _put(self, block: bytes) -> None:
        if not self._queue.full():  # a consumer behind loses blocks, as Parley's does
            self._queue.put_nowait(block)

    async def recv(self) -> Any:
        block = await self._queue.get()
        frame = audio_frame(np.frombuffer(block, dtype=np.int16), self._pts)
        self._pts += AUDIO_SAMPLES
        return frame

    def stop(self) -> None:
        super().stop()
        self.stream.stop()


class _FifoSpeaker:
    """Plays whatever has arrived, at once: no start-up buffer, zeros when empty, and
    never a standing queue (beyond one block, the oldest samples are dropped): the
    least delay a speaker can add, at the price of clicks whenever a packet is late."""

    def __init__(self, audio: ClockedAudio) -> None:
        self._pending = np.zeros(0, np.float32)
        self.stream = audio.OutputStream(samplerate=AUDIO_RATE, channels=1, dtype="float32",
                                         blocksize=AUDIO_SAMPLES, callback=self._callback)
        self.stream.start()

    def push(self, samples: npt.NDArray[np.float32]) -> None:
        self._pending = np.concatenate((self._pending, samples))  # GIL: one thing at a time

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        pending = self._pending[-2 * frames :]
        n = min(frames, len(pending))
        outdata[:n, 0] = pending[:n]
        self._pending = pending[n:]


async def _bare(audio: ClockedAudio, seconds: float) -> tuple[ClockedStream, ClockedStream]:
    rtx.uninstall()
    framebuffer.uninstall()
    jitter.uninstall()
    estimate.uninstall()
    arrival.uninstall()
    decoding.uninstall()  # and its decoder threads' task per frame
    sender, receiver = RTCPeerConnection(), RTCPeerConnection()
    microphone = _BareMicrophone(audio)
    speaker = _FifoSpeaker(audio)
    consumers: list[asyncio.Task[None]] = []

    async def consume(track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            speaker.push(to_mono(frame))

    receiver.on("track", lambda track: consumers.append(asyncio.ensure_future(consume(track))))
    sender.addTrack(microphone)
    try:
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
        await asyncio.sleep(seconds)  # the run's length, not a synchronisation
    finally:
        microphone.stop()
        speaker.stream.stop()
        await sender.close()
        await receiver.close()
        for task in consumers:
            task.cancel()
    return microphone.stream, speaker.stream


async def _parley(audio: ClockedAudio, seconds: float, processing: bool,
                  upstream_jitter: bool = False) -> tuple[ClockedStream, ClockedStream]:
    use_audio_backend(audio)
    router = Router()
    options = dict(fake_media=False, video=False, echo_cancellation=processing,
                   noise_suppression=processing, auto_gain_control=processing)
    try:
        await router.add("a", **options)  # opens the talker's microphone first
        await router.add("b", **options)
        if upstream_jitter:
            jitter.uninstall()  # receivers are built when the peers are added below
        router.connect_all()
        await asyncio.sleep(seconds)  # the run's length, not a synchronisation
    finally:
        await router.close()
        use_audio_backend(None)
        jitter.install()
    return audio.inputs[0], audio.outputs[1]  # a's microphone, b's speaker


Variant = Callable[[ClockedAudio, float], Awaitable[tuple[ClockedStream, ClockedStream]]]
VARIANTS: dict[str, Variant] = {
    "bare_aiortc": _bare,
    "parley": lambda audio, seconds: _parley(audio, seconds, processing=False),
    "parley_processing": lambda audio, seconds: _parley(audio, seconds, processing=True),
    "parley_upstream_jitter": lambda audio, seconds: _parley(
        audio, seconds, processing=False, upstream_jitter=True),
}


def _summary(latencies: list[tuple[float, float, float]]) -> dict[str, Any]:
    if not latencies:
        return {"bursts": 0}
    ms = sorted(1000 * value for _, value, _ in latencies)
    steady = sorted(1000 * value for at, value, _ in latencies if at >= WARM_UP)
    summary = {"bursts": len(ms), "p50_ms": round(statistics.median(ms), 1),
               "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
               "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1),
               "bursts_with_a_hole": sum(1 for *_, intact in latencies if intact < 0.99),
               "burst_heard_share": round(statistics.mean(i for *_, i in latencies), 3)}
    if steady:
        summary["settled_p50_ms"] = round(statistics.median(steady), 1)
        summary["settled_p95_ms"] = round(steady[min(len(steady) - 1,
                                                     int(0.95 * len(steady)))], 1)
    return summary


async def _run() -> dict[str, Any]:
    source, bursts = talker(SECONDS)
    measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name in VARIANTS}
    for _ in range(ROUNDS):
        for name, variant in VARIANTS.items():
            microphone, speaker = await variant(ClockedAudio(source), SECONDS)
            measured[name] += burst_latencies(microphone, speaker, bursts)
    result: dict[str, Any] = {name: _summary(values) for name, values in measured.items()}
    bare, parley = result["bare_aiortc"], result["parley"]
    if bare.get("p50_ms") and parley.get("p50_ms"):
        result["parley_vs_bare_p50"] = round(parley["p50_ms"] / bare["p50_ms"], 2)
    return result


def main() -> dict[str, Any]:
    result = asyncio.run(_run())
    devices = pulse_device_latencies()
    result["pulse_device_latency_ms"] = devices
    parley_devices = devices.get("parley")
    processed = result["parley_processing"].get("settled_p50_ms")
    if isinstance(parley_devices, dict) and processed is not None:
        result["parley_settled_p50_with_pulse_devices_ms"] = round(
            processed + parley_devices["input"] + parley_devices["output"], 1)
    result["load_average"] = round(os.getloadavg()[0], 2)
    result["seconds_per_variant"], result["rounds"] = SECONDS, ROUNDS
    return result


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
