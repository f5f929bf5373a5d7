"""A receiver's decoder thread (parley.media.decoding): what its track plays is every
frame decoded, in order, then the end; a frame that cannot be decoded is flagged (the
receiver asks for a keyframe) and the frames after it still play."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

import numpy as np
from aiortc import rtcrtpreceiver
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from parley.media import decoding
from parley.media.synthetic import PatternTrack, audio_frame, sender_frame

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2,
                             payloadType=111)
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


def _opus_frames(count: int) -> list[JitterFrame]:
    encoder = OpusEncoder()
    tone = (np.sin(np.arange(960) / 5) * 8000).astype(np.int16)
    frames = []
    for i in range(count):
        payloads, timestamp = encoder.encode(sender_frame(audio_frame(tone, i * 960)))
        frames += [JitterFrame(data=p, timestamp=timestamp) for p in payloads]
    return frames


async def _run(tasks: list[Any], output: asyncio.Queue[Any] | None = None
               ) -> tuple[list[Any], bool]:
    """Feed ``tasks`` and the end to the worker thread; what the loop got, and whether a
    decoding error was flagged."""
    loop = asyncio.get_running_loop()
    inputs: queue.Queue[Any] = queue.Queue()
    output = asyncio.Queue() if output is None else output
    error = threading.Event()
    thread = threading.Thread(target=decoding.decoder_worker,
                              args=(loop, inputs, output, error))
    thread.start()
    for task in [*tasks, None]:
        inputs.put(task)
    got = []
    while (item := await asyncio.wait_for(output.get(), 10)) is not None:
        got.append(item)
    await asyncio.to_thread(thread.join, 10)
    return got, error.is_set()


async def test_every_decoded_audio_frame_reaches_the_track_in_order_then_the_end() -> None:
    frames = _opus_frames(20)
    got, error = await _run([(OPUS, f) for f in frames])
    assert not error
    assert len(got) == len(frames)
    assert [f.pts for f in got] == sorted(f.pts for f in got)
    assert all(f.samples == 960 for f in got)


async def test_a_broken_video_frame_is_flagged_and_the_next_ones_still_play() -> None:
    track, encoder = PatternTrack((160, 120), fps=30), Vp8Encoder()
    encoded = []
    for i in range(3):
        picture = await track.recv()
        payloads, timestamp = encoder.encode(picture, force_keyframe=i == 0)
        encoded.append(JitterFrame(b"".join(_vp8_frames(payloads)), timestamp))
    track.stop()
    tasks = [(VP8, encoded[0]), (VP8, JitterFrame(b"\x00\x01garbage", 1)),
             (VP8, encoded[1]), (VP8, encoded[2])]
    got, error = await _run(tasks)
    assert error
    assert [(f.width, f.height) for f in got] == [(160, 120)] * 3


async def test_a_bounded_queue_keeps_upstreams_hand_off() -> None:
    """A put that may wait (another aiortc's bounded queue) goes through upstream's
    coroutine hand-off, and still delivers everything."""
    frames = _opus_frames(5)
    got, error = await _run([(OPUS, f) for f in frames], asyncio.Queue(maxsize=100))
    assert not error and len(got) == len(frames)


def test_install_gives_receivers_the_worker_and_uninstall_gives_upstream_back() -> None:
    was = decoding.installed()
    decoding.install()
    try:
        assert rtcrtpreceiver.decoder_worker is decoding.decoder_worker
        decoding.uninstall()
        assert rtcrtpreceiver.decoder_worker is not decoding.decoder_worker
    finally:
        if was:
            decoding.install()


def _vp8_frames(payloads: list[bytes]) -> list[bytes]:
    """The VP8 frame inside aiortc's payloads: each payload less its descriptor."""
    from aiortc.codecs.vpx import VpxPayloadDescriptor

    out = []
    for payload in payloads:
        _, data = VpxPayloadDescriptor.parse(payload)
        out.append(data)
    return out
