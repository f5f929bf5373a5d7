"""The RTP path's leaner header extensions and clock (media/rtp_path.py): every packet a
participant receives or sends reads exactly as aiortc's own code reads it."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from aiortc import clock, rtcrtpsender, rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket

from parley.media import rtp_path
from parley.media.rtp_path import ExtensionsMap, ntp_from_ns

URIS = [uri for uri, _ in rtp_path._FIELDS]


def _maps(ids: list[int | None]) -> tuple[HeaderExtensionsMap, ExtensionsMap]:
    parameters = RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=x_id, uri=uri)
        for uri, x_id in zip(URIS, ids, strict=True) if x_id is not None])
    upstream, ours = HeaderExtensionsMap(), ExtensionsMap()
    upstream.configure(parameters)
    ours.configure(parameters)
    return upstream, ours


CONFIGS = [
    [1, 6, 7, 2, 4, 3, 5],  # all seven, as a browser could negotiate them
    [1, None, None, 2, None, None, None],  # what aiortc offers a video sender
    [1, None, None, 2, None, 3, None],  # and an audio sender
    [None, None, None, None, None, None, None],
    [3, None, None, 3, None, 9, 14],  # a duplicate id: the first field in order wins it
]


def _read(packet: RtpPacket) -> dict[str, Any]:
    return {k: v for k, v in vars(packet).items()}


def _one_byte_block(rng: random.Random) -> bytes:
    body = b""
    for _ in range(rng.randrange(0, 6)):
        if rng.random() < 0.2:
            body += b"\x00" * rng.randrange(1, 3)  # padding between elements
        x_id = rng.randrange(1, 15)
        length = rng.choice([1, 2, 3, 3, 1, rng.randrange(1, 17)])
        value = bytes(rng.choice([rng.randrange(48, 58), rng.randrange(256)])
                      for _ in range(length))
        body += bytes(((x_id << 4) | (length - 1),)) + value
    return body + b"\x00" * (-len(body) % 4)


def _packet_bytes(rng: random.Random, profile: int, block: bytes, padding: int) -> bytes:
    cc = rng.randrange(0, 3)
    header = bytes((0x80 | (0x20 if padding else 0) | (0x10 if block else 0) | cc,
                    rng.randrange(256))) + rng.randbytes(10) + rng.randbytes(4 * cc)
    if block:
        header += profile.to_bytes(2, "big") + (len(block) // 4).to_bytes(2, "big") + block
    payload = rng.randbytes(rng.randrange(0, 40))
    tail = rng.randbytes(padding - 1) + bytes((padding,)) if padding else b""
    return header + payload + tail


def _outcome(data: bytes, extensions_map: HeaderExtensionsMap) -> Any:
    try:
        return _read(RtpPacket.parse(data, extensions_map))
    except Exception as exc:  # the same error as upstream's, for the same bytes
        return type(exc)


@pytest.mark.parametrize("ids", CONFIGS)
def test_received_packets_read_as_aiortcs(ids: list[int | None]) -> None:
    upstream, ours = _maps(ids)
    rng = random.Random(13)
    for _ in range(3000):
        block = _one_byte_block(rng)
        profile = 0xBEDE if rng.random() < 0.9 else rng.choice([0x1000, 0x1234])
        if profile == 0x1000 and block:  # a two-byte header: upstream's own reader
            block = bytes((rng.randrange(1, 20), 2)) + rng.randbytes(2)
        data = _packet_bytes(rng, profile, block, rng.choice([0, 0, 0, 1, 4]))
        if rng.random() < 0.05:  # truncated somewhere
            data = data[: rng.randrange(len(data))]
        assert _outcome(data, ours) == _outcome(data, upstream), data.hex()


def test_truncated_one_byte_element_is_refused_as_upstream() -> None:
    upstream, ours = _maps(CONFIGS[0])
    with pytest.raises(ValueError, match="truncated"):
        ours.get(0xBEDE, b"\x13\x00")
    with pytest.raises(ValueError, match="truncated"):
        upstream.get(0xBEDE, b"\x13\x00")


def _extensions(rng: random.Random) -> HeaderExtensions:
    values = HeaderExtensions()
    if rng.random() < 0.8:
        values.mid = rng.choice(["0", "1", "audio", "video-camera"])
    if rng.random() < 0.8:
        values.abs_send_time = rng.randrange(1 << 24)
    if rng.random() < 0.4:
        values.audio_level = (rng.random() < 0.5, rng.randrange(128))
    if rng.random() < 0.2:
        values.transmission_offset = rng.randrange(-(1 << 15), 1 << 15)
    if rng.random() < 0.2:
        values.transport_sequence_number = rng.randrange(1 << 16)
    if rng.random() < 0.2:
        values.rtp_stream_id = rng.choice(["h", "l", "x" * 17])  # 17: a two-byte header
    if rng.random() < 0.2:
        values.repaired_rtp_stream_id = "r"
    return values


@pytest.mark.parametrize("ids", CONFIGS)
def test_sent_packets_are_aiortcs_bytes(ids: list[int | None]) -> None:
    upstream, ours = _maps(ids)
    rng = random.Random(17)
    for _ in range(2000):
        packet = RtpPacket(payload_type=rng.randrange(128), marker=rng.randrange(2),
                           sequence_number=rng.randrange(1 << 16),
                           timestamp=rng.randrange(1 << 32), ssrc=rng.randrange(1 << 32),
                           payload=rng.randbytes(rng.randrange(0, 30)))
        packet.csrc = [rng.randrange(1 << 32) for _ in range(rng.randrange(0, 2))]
        packet.extensions = _extensions(rng)
        sent = packet.serialize(ours)
        assert sent == packet.serialize(upstream)
        assert _outcome(sent, ours) == _outcome(sent, upstream)


def test_the_senders_ntp_time_is_aiortcs() -> None:
    rng = random.Random(19)
    unix = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    for _ in range(20000):
        us = rng.randrange(1_700_000_000_000_000, 2_100_000_000_000_000)
        if rng.random() < 0.1:
            us = us // 1_000_000 * 1_000_000 + rng.choice([0, 1, 999_999])
        ns = us * 1000 + rng.randrange(1000)
        moment = unix + datetime.timedelta(microseconds=us)
        assert ntp_from_ns(ns) == clock.datetime_to_ntp(moment), us
    before = clock.current_ntp_time()
    now = rtp_path.current_ntp_time()
    assert 0 <= now - before < 1 << 32  # within a second of upstream's own reading


def test_installed_for_transports_and_senders_built_then_and_restored() -> None:
    installed = rtp_path.installed()
    rtp_path.uninstall()
    try:
        assert rtp.HeaderExtensionsMap is HeaderExtensionsMap
        assert rtcrtpsender.clock is clock
        rtp_path.install()
        assert rtp.HeaderExtensionsMap is ExtensionsMap
        assert rtcrtpsender.clock.current_ntp_time is rtp_path.current_ntp_time
        assert rtcrtpsender.clock.current_datetime is clock.current_datetime
        rtp_path.uninstall()
        assert rtp.HeaderExtensionsMap is HeaderExtensionsMap and rtcrtpsender.clock is clock
    finally:
        if installed:
            rtp_path.install()
