"""Encode the microphone once for the mesh: real aiortc meshes on loopback whose audio
senders packetise one shared Opus encoder's packets, and the worst-peer rules of that
encoder on a real source."""

from __future__ import annotations

import asyncio
import math
import statistics

import av

from parley.media import MediaMesh, rtx
from parley.media.opus import LOW_VOICE_BITRATE, VOICE_BITRATE
from parley.media.shared_audio import OpusPacketEncoder, SharedAudioEncoder
from parley.media.switch import SwitchableTrack
from parley.media.synthetic import TONE_AMPLITUDE, ToneTrack
from parley.protocol.messages import Answer
from tests.media.conftest import Router, flowing, three_connected

SENT_RMS = TONE_AMPLITUDE / math.sqrt(2)


def shared(mesh: MediaMesh) -> SharedAudioEncoder:
    encoder = mesh.shared_audio()
    assert encoder is not None, "encode_once is on by default"
    return encoder


def audio_encoders(mesh: MediaMesh) -> list[object]:
    """The encoder each live audio sender of the mesh built (Parley's view of it)."""
    encoders = []
    for pid in mesh.peer_ids:
        pc = mesh.connection(pid)
        for sender in pc.getSenders() if pc is not None else []:
            if sender.track is not None and sender.track.kind == "audio":
                encoders.append(rtx.tuning(sender).encoder)
    return encoders


async def test_three_party_mesh_encodes_the_microphone_once_and_everyone_hears_it(
        router: Router) -> None:
    await three_connected(router)
    meshes = router.meshes
    before = {pid: (shared(m).encodes, shared(m).frames) for pid, m in meshes.items()}
    starts = {(pid, o): len(r.levels.get(o, [])) for pid, r in router.recorders.items()
              for o in meshes if o != pid}
    for (pid, other), start in starts.items():
        recorder = router.recorders[pid]
        await recorder.until(lambda r=recorder, o=other, s=start: len(r.levels[o]) >= s + 10,
                             what=f"1 s of {other}'s audio at {pid}")
    for pid, mesh in meshes.items():
        encodes = shared(mesh).encodes - before[pid][0]
        frames = shared(mesh).frames - before[pid][1]
        print(f"{pid}: {encodes} Opus encodes for {frames} microphone frames, 2 peers")
        assert frames >= 25 and encodes == frames  # once per frame, not once per peer
        senders = audio_encoders(mesh)
        assert len(senders) == 2 and all(isinstance(e, OpusPacketEncoder) for e in senders)
    for (pid, other), start in starts.items():
        received = statistics.median(router.recorders[pid].levels[other][start:])
        gain_db = 20 * math.log10(received / SENT_RMS)
        print(f"{pid} hears {other} at {gain_db:+.2f} dB")
        assert abs(gain_db) <= 1.0, f"{pid} hears {other} at {gain_db:+.2f} dB"


async def test_encode_once_off_gives_each_audio_sender_its_own_encoder(router: Router) -> None:
    for pid in ("a", "b", "c"):
        await router.add(pid, encode_once=False)
    router.connect_all()
    for pid, recorder in router.recorders.items():
        for other in router.meshes:
            if other != pid:
                await recorder.until(lambda r=recorder, o=other: flowing(r, o),
                                     what=f"{pid} <- {other}")
    for mesh in router.meshes.values():
        assert mesh.shared_audio() is None
        senders = audio_encoders(mesh)
        assert len(senders) == 2 and not any(isinstance(e, OpusPacketEncoder) for e in senders)


async def test_a_peer_that_negotiates_pcmu_gets_an_encoder_of_its_own(router: Router) -> None:
    parley, rec = await router.add("p_b")
    await router.add("p_c")  # an Opus peer of the same shared microphone
    foreign = router.add_foreign("p_a", layout=("audio",), audio_codec="audio/PCMU")
    parley.add_peer("p_a")
    parley.add_peer("p_c")
    router.meshes["p_c"].add_peer("p_b")
    await foreign.offer("p_b")
    await rec.until(lambda: bool(answers(router)), what="p_b's answer")
    assert "PCMU" in answers(router)[0] and "opus" not in answers(router)[0]
    await foreign.until(lambda: len(foreign.received.audio_peaks) >= 25 and
                        statistics.median(foreign.received.audio_peaks[-25:]) > 0.05,
                        timeout=20, what="p_b's tone over PCMU")
    rc = router.recorders["p_c"]
    await rc.until(lambda: any(v > 0.05 for v in rc.levels.get("p_b", [])[-5:]),
                   timeout=20, what="p_b's tone over Opus")
    assert shared(parley).encodes > 0


def answers(router: Router) -> list[str]:
    return [s.sdp for s in router.signals if isinstance(s, Answer) and s.sender == "p_b"
            and s.to == "p_a"]


async def test_fec_and_rate_follow_the_worst_reading_peer() -> None:
    source = SwitchableTrack("audio", "parley-audio")
    source.set_source(ToneTrack(440.0))
    encoder = SharedAudioEncoder(source)
    good, weak, unread = encoder.subscribe(), encoder.subscribe(), encoder.subscribe()
    # good: an aiortc peer, whose estimates never name the audio stream
    weak.estimate, unread.estimate = 2_000_000, 50_000

    async def both(n: int) -> tuple[list[bytes], list[bytes]]:
        pairs = [await asyncio.wait_for(asyncio.gather(good.recv(), weak.recv()), 5)
                 for _ in range(n)]
        a, b = [x for x, _ in pairs], [y for _, y in pairs]
        assert all(isinstance(p, av.Packet) for p in a + b)
        return [bytes(p) for p in a], [bytes(p) for p in b]  # type: ignore[arg-type]

    async def both_good(n: int) -> None:
        for _ in range(n):
            assert isinstance(await asyncio.wait_for(good.recv(), 5), av.Packet)

    try:
        a, b = await both(10)
        assert a == b  # one encode, the same packets for every peer
        assert encoder.encoder.target_bitrate == VOICE_BITRATE  # the unread one has no say
        assert not encoder.encoder.fec
        weak.estimate = 100_000
        weak.report_loss(0.05)
        await both(5)
        assert encoder.encoder.target_bitrate == LOW_VOICE_BITRATE
        assert encoder.encoder.fec  # for everyone: the good peer's packets carry it too
        weak.stop()  # the weak peer leaves: no estimate left, the voice rate again
        await both_good(3)
        assert encoder.encoder.target_bitrate == VOICE_BITRATE
        assert encoder.encodes == encoder.frames
    finally:
        await encoder.close()
        await source.stop()


async def test_a_slow_camera_link_puts_the_voice_in_fewer_packets() -> None:
    """aiortc's receivers estimate the video stream alone: the audio hears a peer's
    slow link through that peer's camera estimate, and sends 24 kbit/s in 60 ms packets
    (a third of the headers); no estimate left, 20 ms packets again."""
    source = SwitchableTrack("audio", "parley-audio")
    source.set_source(ToneTrack(440.0))
    video = [300_000]
    encoder = SharedAudioEncoder(source, video_estimates=lambda: video)
    reader = encoder.subscribe()

    async def stamps(n: int) -> list[int]:
        out = []
        for _ in range(n):
            packet = await asyncio.wait_for(reader.recv(), 5)
            assert isinstance(packet, av.Packet) and packet.pts is not None
            out.append(packet.pts)
        return out

    try:
        fast = await stamps(5)
        assert fast[-1] - fast[-2] == 960 and encoder.encoder.target_bitrate == VOICE_BITRATE
        video[0] = 70_000  # a 150 kbit/s uplink's camera estimate
        await stamps(3)  # what was queued at 20 ms
        slow = await stamps(3)
        assert slow[-1] - slow[-2] == 2880
        assert encoder.encoder.target_bitrate == LOW_VOICE_BITRATE
        video.clear()  # the camera's peer left
        await stamps(2)
        again = await stamps(3)
        assert again[-1] - again[-2] == 960
    finally:
        await encoder.close()
        await source.stop()
