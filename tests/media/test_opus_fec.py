"""A lost Opus packet is recovered from the next one's FEC data (media/opus_fec.py): the
listener hears that 20 ms of voice (a close copy) instead of a hole; what FEC cannot give
back is concealed (the voice carried on and faded), and not counted as received."""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt
import pytest
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from parley.media import framebuffer, opus_fec
from parley.media.opus import ParleyOpusEncoder
from parley.media.opus_fec import FecOpusDecoder, concealed, libopus, opus_decoder

RATE, SAMPLES = 48_000, 960


def _voice(k: int, rng: np.random.Generator) -> npt.NDArray[np.int16]:
    """20 ms of a voiced sound: a gliding 140 Hz pitch with harmonics, syllable-like
    loudness, a little noise."""
    t = (np.arange(SAMPLES) + k * SAMPLES) / RATE
    pitch = 140 + 20 * np.sin(2 * np.pi * 0.7 * t)
    signal = sum(np.sin(2 * np.pi * pitch * h * t) / h for h in range(1, 12))
    loudness = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (signal * loudness * 6000 + rng.normal(0, 200, SAMPLES)).astype(np.int16)


def _packets(count: int, fec: bool) -> list[tuple[bytes, int]]:
    """Parley's own sender's Opus packets (and RTP timestamps) of ``count`` frames, with
    FEC on as after a receiver reported loss, or off."""
    now = [0.0]
    encoder = ParleyOpusEncoder(clock=lambda: now[0])
    if fec:
        encoder.report_loss(0.1)
    rng = np.random.default_rng(7)
    packets = []
    for k in range(count):
        mono = _voice(k, rng)
        frame = av.AudioFrame.from_ndarray(np.column_stack([mono, mono]).reshape(1, -1),
                                           format="s16", layout="stereo")
        frame.sample_rate, frame.pts = RATE, k * SAMPLES
        now[0] += 0.02
        payloads, timestamp = encoder.encode(frame)
        packets += [(payload, timestamp) for payload in payloads]
    return packets


def _decoder() -> FecOpusDecoder:
    lib = libopus()
    assert lib is not None, "PyAV's libopus (>= 1.5) is in the process: FEC can be decoded"
    return FecOpusDecoder(lib)


def _pcm(frames: list[av.AudioFrame]) -> dict[int, npt.NDArray[np.int16]]:
    """What was decoded, by time: concealed frames left out."""
    return {int(f.pts): f.to_ndarray().reshape(-1)[::2].copy() for f in frames
            if not concealed(f)}


def _made_up(frames: list[av.AudioFrame]) -> list[int]:
    return [int(f.pts) for f in frames if concealed(f)]


def test_a_lost_packet_is_heard_from_the_next_ones_fec_data() -> None:
    packets = _packets(100, fec=True)
    lost = set(range(13, 100, 5))  # one packet in five lost, each alone
    clean, lossy = _decoder(), _decoder()
    reference = _pcm([f for p, ts in packets for f in clean.decode(JitterFrame(p, ts))])
    out = [f for i, (p, ts) in enumerate(packets) if i not in lost
           for f in lossy.decode(JitterFrame(p, ts))]
    heard = _pcm(out)

    # libopus adds FEC data for active speech only: the quietest frames of each
    # "syllable" carry none, and a loss just before one is concealed instead
    lib = libopus()
    assert lib is not None
    carried = {i for i in lost if lib.opus_packet_has_lbrr(packets[i + 1][0],
                                                           len(packets[i + 1][0])) == 1}
    assert len(carried) >= 0.75 * len(lost)
    assert lossy.recovered == len(carried) and lossy.failed == 0
    assert sorted(_made_up(out)) == sorted(packets[i][1] for i in lost - carried)
    # every 20 ms of the stream is there, in order, decoded or (those few) concealed
    assert [int(f.pts) for f in out] == [k * SAMPLES for k in range(100)]
    assert sorted(heard) == [k * SAMPLES for k in range(100) if k not in lost - carried]
    assert len(reference) == 100
    for i in carried:
        ts = packets[i][1]
        got, want = heard[ts].astype(float), reference[ts].astype(float)
        # FEC's copy is coarser than the packet itself, but it is that 20 ms of voice
        assert np.corrcoef(got, want)[0, 1] > 0.7, i
        assert 0.3 < np.sqrt(np.mean(got ** 2) / np.mean(want ** 2)) < 3, i


def test_without_fec_data_a_lost_packet_is_concealed_and_not_counted_as_received() -> None:
    packets = _packets(40, fec=False)
    decoder = _decoder()
    out = [f for i, (p, ts) in enumerate(packets) if i != 20
           for f in decoder.decode(JitterFrame(p, ts))]
    assert decoder.recovered == 0 and decoder.concealed == 1
    assert _made_up(out) == [packets[20][1]] and len(_pcm(out)) == 39
    # the stream goes on without a jump: 40 frames of 20 ms, in order
    assert [int(f.pts) for f in out] == [k * SAMPLES for k in range(40)]
    made_up = next(f for f in out if concealed(f))
    assert made_up.samples == SAMPLES and np.abs(made_up.to_ndarray()).max() > 0


def test_only_the_last_of_several_lost_packets_comes_back_and_a_pause_is_no_loss() -> None:
    packets = _packets(60, fec=True)
    decoder = _decoder()
    kept = [i for i in range(60) if i not in (20, 21, 22) and not 30 <= i < 45]
    out = [f for i in kept for f in decoder.decode(JitterFrame(*packets[i]))]
    heard = _pcm(out)
    # 20-22 lost together: 22 is recovered from 23's FEC data, 20 and 21 are concealed
    assert packets[22][1] in heard and decoder.recovered == 1
    assert _made_up(out) == [packets[20][1], packets[21][1]]
    # 30-44 is 300 ms: a pause, not a loss: nothing recovered, nothing made up
    assert not any(packets[i][1] in heard for i in range(30, 45))
    assert decoder.concealed == 2


def test_a_corrupt_packet_costs_only_itself() -> None:
    packets = _packets(10, fec=True)
    decoder = _decoder()
    frames = [f for p, ts in packets[:5] for f in decoder.decode(JitterFrame(p, ts))]
    with pytest.raises(av.FFmpegError):  # as upstream's: the receiver logs it, goes on
        decoder.decode(JitterFrame(b"\xff\xff\xff\xff", packets[5][1]))
    frames += [f for p, ts in packets[6:] for f in decoder.decode(JitterFrame(p, ts))]
    # libopus refuses it; the next packet's FEC data gives that 20 ms back
    assert decoder.failed == 1 and decoder.recovered == 1 and len(frames) == 10
    assert all(f.samples == SAMPLES and f.sample_rate == RATE for f in frames)


@pytest.mark.parametrize("installed", [True, False])
def test_receivers_get_the_fec_decoder_while_parleys_decoders_are_installed(
        installed: bool) -> None:
    from aiortc import rtcrtpreceiver

    opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2)
    was = framebuffer.installed()
    (framebuffer.install if installed else framebuffer.uninstall)()
    try:
        decoder = rtcrtpreceiver.get_decoder(opus)
        assert isinstance(decoder, FecOpusDecoder) is installed
        assert isinstance(opus_decoder(), FecOpusDecoder)
    finally:
        (framebuffer.install if was else framebuffer.uninstall)()


async def test_parleys_sdp_asks_for_opus_fec_only_while_installed() -> None:
    """A browser's sender adds FEC only when the receiver's SDP asks (useinbandfec=1)."""
    from aiortc import RTCPeerConnection

    async def offer() -> str:
        pc = RTCPeerConnection()
        try:
            pc.addTransceiver("audio")
            await pc.setLocalDescription(await pc.createOffer())
            return str(pc.localDescription.sdp)
        finally:
            await pc.close()

    was = opus_fec.installed()
    try:
        opus_fec.install()
        asked = await offer()
        opus_fec.uninstall()
        plain = await offer()
    finally:
        (opus_fec.install if was else opus_fec.uninstall)()
    opus_line = next(line for line in asked.splitlines() if "opus/48000" in line)
    payload_type = opus_line.split(":")[1].split()[0]
    assert f"a=fmtp:{payload_type} useinbandfec=1" in asked.splitlines()
    assert "useinbandfec" not in plain
