"""Encode the microphone once for the mesh: :class:`SharedAudioEncoder` and the
:class:`AudioPacketTrack` each audio sender reads.

Without it every peer connection's audio sender encodes its own copy of the
microphone: three Opus encodes (and three audio-level scans, and three executor
hops) every 20 ms in a four-person mesh. A shared encoder reads the local audio track
once and encodes each 20 ms frame once, with one
:class:`~parley.media.opus.ParleyOpusEncoder` (voice rate, FEC, DTX), on the loop:
an encode costs about 0.3 ms, less than handing it to an executor thread and waking
the loop again. Each peer's ``RTCRtpSender`` reads an :class:`AudioPacketTrack` whose
``recv()`` returns the Opus packets (``av.Packet``, stamped in 1/48000 s); aiortc's
sender packetises a packet it reads without encoding it (``_next_encoded_frame``:
anything not a ``Frame`` goes to its encoder's ``pack``), with its own sequence
numbers, timestamp origin and SSRC. The sender's encoder is an
:class:`OpusPacketEncoder` (upstream's Opus ``pack``).

One encode serves peers on different links, so its settings follow the worst peer:

- **FEC**: a loss report from any peer (:meth:`AudioPacketTrack.report_loss`, fed by
  :mod:`.rtx` from that peer's receiver reports) switches in-band FEC on for everyone,
  until no peer has reported loss for :data:`~parley.media.opus.FEC_OFF_AFTER`
  seconds. FEC costs a few kbit/s; a peer on a clean link loses nothing by it.
- **Rate and packet length**: voice runs at 24 kbit/s in 60 ms packets when any
  reading peer's link is slow (:data:`~parley.media.opus.LOW_ESTIMATE`, the opus
  module's text), else at 32 kbit/s in 20 ms packets: the weak peer could not take
  32 kbit/s and 50 packets' headers a second. A peer's estimate is its REMB naming the
  audio stream when it sends one; aiortc's receivers estimate the video stream alone,
  so for those the estimate of the same peer's camera stream stands in
  (``video_estimates``), plus audio's share
  (:data:`~parley.media.ladder.AUDIO_RESERVE`): without it the audio encoder never
  heard that a link was slow, and took 56 kbit/s of a 150 kbit/s uplink.
- **DTX** is decided once, on the microphone's own level, as before.

Packets that went out this way carry no RTP audio-level header extension (aiortc adds
it only for frames it encodes itself); Parley's receivers measure levels on the
decoded audio, and the browser guest does not read it. A sender that negotiated
another audio codec gets raw frames and an encoder of its own (:meth:`use_frames`).
"""

from __future__ import annotations

import fractions
import logging
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamError, convert_timebase
from av.frame import Frame

from parley.media.ladder import AUDIO_RESERVE
from parley.media.opus import ParleyOpusEncoder
from parley.media.packet_track import PacketTrack, SharedPump
from parley.media.switch import SwitchableTrack

logger = logging.getLogger(__name__)

OPUS_TIME_BASE = fractions.Fraction(1, 48000)
DEPTH = 8
"""Packets (160 ms) a slow sender may fall behind; older ones are dropped."""


class AudioPacketTrack(PacketTrack):
    """What one audio RTCRtpSender reads from a :class:`SharedAudioEncoder`: Opus
    packets (or, for a sender that negotiated another codec, raw frames after
    :meth:`use_frames`)."""

    kind = "audio"
    codec = "Opus"

    def __init__(self, shared: SharedAudioEncoder) -> None:
        super().__init__(shared, depth=DEPTH)
        self._shared: SharedAudioEncoder = shared
        self.estimate: int | None = None
        """The peer's last estimate naming this stream (REMB), bit/s; None: none yet."""

    def report_loss(self, fraction: float) -> None:
        """The peer's receiver reported this loss fraction (0-1)."""
        self._shared.encoder.report_loss(fraction)

    def push(self, packets: list[av.Packet[Any]]) -> None:
        self._packets.extend(packets)  # a slow reader loses the oldest
        self._ready.set()


class OpusPacketEncoder(Encoder):
    """The encoder of a sender that reads an :class:`AudioPacketTrack`: upstream's
    Opus ``pack``; the estimate aiortc hands it and the loss :mod:`.rtx` reports go
    to the track."""

    def __init__(self, track: AudioPacketTrack) -> None:
        self.track = track

    def report_loss(self, fraction: float) -> None:
        self.track.report_loss(fraction)

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise RuntimeError("a shared audio sender packetises; it never encodes")

    def pack(self, packet: av.Packet[Any]) -> tuple[list[bytes], int]:
        assert packet.pts is not None and packet.time_base is not None
        return [bytes(packet)], convert_timebase(packet.pts, packet.time_base,
                                                 OPUS_TIME_BASE)

    @property
    def target_bitrate(self) -> int:
        return self.track.estimate or 0

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        self.track.estimate = max(0, int(bitrate))


class SharedAudioEncoder(SharedPump[AudioPacketTrack]):
    """The local audio track encoded once for every peer.

    Args:
        source: The local audio track (its frames s16 stereo already, :mod:`.switch`).
        clock: Monotonic seconds.
        video_estimates: The estimates (bit/s, video alone) of the peers reading the
            local camera: the stand-in for peers whose estimates never name audio.
    """

    def __init__(self, source: SwitchableTrack,
                 clock: Callable[[], float] = time.monotonic,
                 video_estimates: Callable[[], list[int]] | None = None) -> None:
        super().__init__(source, clock)
        self._video_estimates = video_estimates
        self.encoder = ParleyOpusEncoder(clock)
        """The one Opus encoder (its ``fec``, ``target_bitrate``, ``skipped`` and
        ``encoded`` are diagnostics)."""
        self.frames = 0
        """Frames read from the source."""

    @property
    def encodes(self) -> int:
        """Frames encoded: one per frame read, but those DTX holds back (not encoded)."""
        return self.encoder.encoded

    def subscribe(self) -> AudioPacketTrack:
        """A new reader for one peer's audio sender; stop it to unsubscribe."""
        return self._add(AudioPacketTrack(self))

    def settle(self) -> None:
        """Set the encoder's rate for the weakest reading peer (see the module's text)."""
        estimates = [t.estimate for t in self.readers() if t.estimate]
        if self._video_estimates is not None:  # aiortc's receivers estimate video only
            estimates += [e + AUDIO_RESERVE for e in self._video_estimates() if e]
        if estimates:
            self.encoder.target_bitrate = min(estimates)
        else:
            self.encoder.normal()

    async def _pump(self) -> None:
        assert self._reader is not None
        while True:
            try:
                frame = await self._reader.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, av.AudioFrame)
            self.frames += 1
            if not self._tracks:
                continue
            self.settle()
            try:
                payloads, timestamp = self.encoder.encode(frame)
            except Exception:  # one bad frame must not stop the audio of every peer
                logger.exception("%s: encoding failed; frame skipped", self.name)
                continue
            if not payloads:  # DTX, or the resampler's first frame
                continue
            packets = []
            for payload in payloads:
                packet = av.Packet(payload)
                packet.pts, packet.time_base = timestamp, OPUS_TIME_BASE
                timestamp += self.encoder.frame_ms * 48
                packets.append(packet)
            for track in list(self._tracks):
                track.push(packets)
