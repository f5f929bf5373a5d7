"""A receiver's decoders (parley.media.decoding): what its track plays is every frame
decoded, in order, then the end, whether audio is decoded on the loop or in the thread;
a frame that cannot be decoded is flagged (the receiver asks for a keyframe) and the
frames after it still play."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

import numpy as np
from aiortc import rtcrtpreceiver
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from parley.media import decoding
from parley.media.decoding import DecoderQueue
from parley.media.synthetic import PatternTrack, audio_frame, sender_frame

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2,
                             payloadType=111)
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
GARBAGE = b"\xff\xff\xff\xff\x00garbage"


def _opus_frames(count: int) -> list[JitterFrame]:
    encoder = OpusEncoder()
    tone = (np.sin(np.arange(960) / 5) * 8000).astype(np.int16)
    frames = []
    for i in range(count):
        payloads, timestamp = encoder.encode(sender_frame(audio_frame(tone, i * 960)))
        frames += [JitterFrame(data=p, timestamp=timestamp) for p in payloads]
    return frames


async def _vp8_frames(count: int) -> list[JitterFrame]:
    track, encoder = PatternTrack((160, 120), fps=30), Vp8Encoder()
    encoded = []
    for i in range(count):
        payloads, timestamp = encoder.encode(await track.recv(), force_keyframe=i == 0)
        data = b"".join(VpxPayloadDescriptor.parse(p)[1] for p in payloads)
        encoded.append(JitterFrame(data, timestamp))
    track.stop()
    return encoded


class Receiver:
    """The worker thread, its queues and error flag, as a receiver wires them."""

    def __init__(self, inputs: queue.Queue[Any], output: asyncio.Queue[Any] | None = None
                 ) -> None:
        self.inputs = inputs
        self.output: asyncio.Queue[Any] = asyncio.Queue() if output is None else output
        self.error = threading.Event()
        self.thread = threading.Thread(target=decoding.decoder_worker, args=(
            asyncio.get_running_loop(), inputs, self.output, self.error))

    async def bound(self) -> Receiver:
        """Start the worker and wait until it bound its queue (audio on the loop)."""
        self.thread.start()
        assert isinstance(self.inputs, DecoderQueue)
        assert await asyncio.to_thread(self.inputs.bound.wait, 10)
        return self

    async def played(self) -> list[Any]:
        """Everything the track got until its end (the worker's thread then ends)."""
        self.inputs.put(None)
        got = []
        while (item := await asyncio.wait_for(self.output.get(), 10)) is not None:
            got.append(item)
        await asyncio.to_thread(self.thread.join, 10)
        assert not self.thread.is_alive()
        return got


async def test_audio_is_decoded_on_the_loop_every_frame_in_order_then_the_end() -> None:
    frames = _opus_frames(20)
    inputs = DecoderQueue()
    receiver = await Receiver(inputs).bound()
    for frame in frames:
        inputs.put((OPUS, frame))
    got = await receiver.played()
    assert not receiver.error.is_set()
    assert [f.pts for f in got] == [f.timestamp for f in frames]
    assert all(f.samples == 960 for f in got)
    assert inputs.inline == len(frames)


async def test_audio_put_before_the_thread_runs_still_plays_first() -> None:
    """Frames the loop put before the worker started go through the thread; those after
    are decoded on the loop, yet the track gets them all in their order."""
    frames = _opus_frames(30)
    inputs = DecoderQueue()
    receiver = Receiver(inputs)
    for frame in frames[:10]:
        inputs.put((OPUS, frame))
    receiver.thread.start()
    for frame in frames[10:]:
        inputs.put((OPUS, frame))
        await asyncio.sleep(0)
    got = await receiver.played()
    assert [f.pts for f in got] == [f.timestamp for f in frames]
    assert inputs.inline <= 20


async def test_a_broken_audio_frame_is_flagged_and_the_next_ones_still_play() -> None:
    frames = _opus_frames(4)
    inputs = DecoderQueue()
    receiver = await Receiver(inputs).bound()
    for item in [frames[0], JitterFrame(GARBAGE, 1), *frames[1:]]:
        inputs.put((OPUS, item))
    got = await receiver.played()
    assert receiver.error.is_set()
    assert [f.pts for f in got] == [f.timestamp for f in frames]
    assert inputs.inline == len(frames) + 1


async def test_video_is_decoded_in_the_thread_and_a_broken_frame_is_flagged() -> None:
    encoded = await _vp8_frames(3)
    inputs = DecoderQueue()
    receiver = await Receiver(inputs).bound()
    for item in [encoded[0], JitterFrame(GARBAGE, 1), encoded[1], encoded[2]]:
        inputs.put((VP8, item))
    got = await receiver.played()
    assert receiver.error.is_set()
    assert [(f.width, f.height) for f in got] == [(160, 120)] * 3
    assert inputs.inline == 0


async def test_a_bounded_queue_keeps_upstreams_hand_off() -> None:
    """A track queue whose put may wait (another aiortc's) gets upstream's worker, which
    still delivers everything, all of it decoded in the thread."""
    frames = _opus_frames(5)
    inputs = DecoderQueue()
    receiver = Receiver(inputs, asyncio.Queue(maxsize=100))
    receiver.thread.start()
    for frame in frames:
        inputs.put((OPUS, frame))
    got = await receiver.played()
    assert len(got) == len(frames) and inputs.inline == 0


def test_install_gives_receivers_the_queue_and_worker_and_uninstall_takes_them_back() -> None:
    was = decoding.installed()
    decoding.install()
    try:
        assert rtcrtpreceiver.decoder_worker is decoding.decoder_worker
        assert rtcrtpreceiver.queue.Queue is DecoderQueue  # type: ignore[attr-defined]
        assert rtcrtpreceiver.queue.Empty is queue.Empty  # type: ignore[attr-defined]
        decoding.uninstall()
        assert rtcrtpreceiver.decoder_worker is not decoding.decoder_worker
        assert rtcrtpreceiver.queue is queue
    finally:
        if was:
            decoding.install()
