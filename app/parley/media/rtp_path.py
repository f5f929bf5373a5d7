"""The RTP path's per-packet Python, leaner: header extensions and the sender's clock.

Every RTP packet a participant sends or receives goes through aiortc's
``HeaderExtensionsMap``: ``RtpPacket.parse`` calls its ``get`` (the packet's header
extensions to a ``HeaderExtensions``) and ``RtpPacket.serialize`` its ``set`` (the other
way). Upstream's ``get`` first builds a list of ``(id, value)`` pairs
(``unpack_header_extensions``) and then compares each id with the seven configured ones
in turn; ``set`` builds a list and joins it with ``bytes +=``. Every sent packet also
asks ``aiortc.clock.current_ntp_time()`` twice (its abs-send-time and the sender
report's reference), each an aware ``datetime.now()``, a ``timedelta`` and its float
seconds. In a four-party mesh that is about 440 packets a second per participant, 50
of every 70 of them audio (docs/performance.md, "Round nine: the loop, again").

- :class:`ExtensionsMap` is upstream's map with the same ``configure`` (it calls it) and
  a ``get`` that reads a one-byte header (RFC 8285, what aiortc and browsers send)
  in one pass with a lookup table of the configured ids, and a ``set`` that joins the
  bytes once. Both give exactly upstream's result for the same input, including the
  padding bytes, truncation errors, unknown ids, and the order (and so the bytes) of
  what is serialised; a two-byte header goes to upstream's ``get``.
- :func:`current_ntp_time` is upstream's value from ``time.time_ns()`` in integer
  arithmetic (the same real-time clock ``datetime.now`` reads, the same microsecond
  resolution and rounding).

Why replacing names, and where (aiortc 1.x): ``RTCDtlsTransport`` (which parses every
packet it receives) and ``RTCRtpSender`` (which serialises every packet it sends) each
build their map in their constructor with ``rtp.HeaderExtensionsMap()``, the name
looked up in ``aiortc.rtp`` at that moment, and configure it with the negotiated
parameters; the sender reads the time through the module-level name ``clock`` of
``aiortc.rtcrtpsender``. :func:`install` replaces ``aiortc.rtp.HeaderExtensionsMap``
with :class:`ExtensionsMap` (a subclass: the type checks and anything else aiortc does
with the map hold) and ``aiortc.rtcrtpsender.clock`` with a copy of ``aiortc.clock``
whose ``current_ntp_time`` is :func:`current_ntp_time`, as :mod:`.arrival` replaces
``clock`` in ``aiortc.rtcdtlstransport``. Transports and senders built from then on use
them; :func:`uninstall` restores both. No private attribute of aiortc is read or
written: :class:`ExtensionsMap` reads the ids from the parameters ``configure`` gets.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from struct import pack, unpack
from typing import Any

from aiortc import clock, rtcrtpsender, rtp
from aiortc.rtcrtpparameters import RTCRtpParameters
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, pack_header_extensions

from parley.media.names import Replaced

_ONE_BYTE = 0xBEDE
_NTP_OFFSET_US = 2_208_988_800 * 1_000_000
"""1900-01-01 (NTP's epoch) to 1970-01-01 (the Unix epoch) in microseconds."""

# upstream's configure, URI -> field; ``get``'s comparisons go in this order, so the
# first field configured with an id wins it, as there
_FIELDS = (
    ("urn:ietf:params:rtp-hdrext:sdes:mid", "mid"),
    ("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", "repaired_rtp_stream_id"),
    ("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", "rtp_stream_id"),
    ("http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "abs_send_time"),
    ("urn:ietf:params:rtp-hdrext:toffset", "transmission_offset"),
    ("urn:ietf:params:rtp-hdrext:ssrc-audio-level", "audio_level"),
    ("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
     "transport_sequence_number"),
)


def _audio_level(value: bytes) -> tuple[bool, int]:
    vad_level: int = unpack("!B", value)[0]
    return vad_level & 0x80 == 0x80, vad_level & 0x7F


# each field's value from its bytes: upstream's expressions (and so its errors)
_DECODE: dict[str, Callable[[bytes], Any]] = {
    "mid": lambda v: v.decode("utf8"),
    "repaired_rtp_stream_id": lambda v: v.decode("ascii"),
    "rtp_stream_id": lambda v: v.decode("ascii"),
    "abs_send_time": lambda v: unpack("!L", b"\00" + v)[0],
    "transmission_offset": lambda v: unpack("!l", v + b"\00")[0] >> 8,
    "audio_level": _audio_level,
    "transport_sequence_number": lambda v: unpack("!H", v)[0],
}


class ExtensionsMap(HeaderExtensionsMap):
    """aiortc's header extension map, its ``get`` and ``set`` in one pass each."""

    def __init__(self) -> None:
        super().__init__()
        self._ids: dict[str, int | None] = {field: None for _, field in _FIELDS}
        self._by_id: dict[int, tuple[str, Callable[[bytes], Any]]] = {}

    def configure(self, parameters: RTCRtpParameters) -> None:
        super().configure(parameters)
        fields = dict(_FIELDS)
        for ext in parameters.headerExtensions:  # the last wins, as in upstream's loop
            if ext.uri in fields:
                self._ids[fields[ext.uri]] = ext.id
        self._by_id = {}
        for _, field in reversed(_FIELDS):  # the first in upstream's order wins an id
            x_id = self._ids[field]
            if x_id is not None:
                self._by_id[x_id] = (field, _DECODE[field])

    def get(self, extension_profile: int, extension_value: bytes) -> HeaderExtensions:
        if extension_profile != _ONE_BYTE:
            return super().get(extension_profile, extension_value)
        values = HeaderExtensions()
        by_id = self._by_id
        end = len(extension_value)
        pos = 0
        while pos < end:
            head = extension_value[pos]
            pos += 1
            if head == 0:  # padding
                continue
            stop = pos + (head & 0x0F) + 1
            if end < stop:
                raise ValueError("RTP one-byte header extension value is truncated")
            known = by_id.get(head >> 4)
            if known is not None:
                setattr(values, known[0], known[1](extension_value[pos:stop]))
            pos = stop
        return values

    def set(self, values: HeaderExtensions) -> tuple[int, bytes]:
        ids = self._ids
        extensions: list[tuple[int, bytes]] = []
        x_id = ids["mid"]
        if values.mid is not None and x_id:
            extensions.append((x_id, values.mid.encode("utf8")))
        x_id = ids["repaired_rtp_stream_id"]
        if values.repaired_rtp_stream_id is not None and x_id:
            extensions.append((x_id, values.repaired_rtp_stream_id.encode("ascii")))
        x_id = ids["rtp_stream_id"]
        if values.rtp_stream_id is not None and x_id:
            extensions.append((x_id, values.rtp_stream_id.encode("ascii")))
        x_id = ids["abs_send_time"]
        if values.abs_send_time is not None and x_id:
            extensions.append((x_id, pack("!L", values.abs_send_time)[1:]))
        x_id = ids["transmission_offset"]
        if values.transmission_offset is not None and x_id:
            extensions.append((x_id, pack("!l", values.transmission_offset << 8)[0:2]))
        x_id = ids["audio_level"]
        if values.audio_level is not None and x_id:
            level = values.audio_level
            extensions.append((x_id, pack("!B", (0x80 if level[0] else 0) | (level[1] & 0x7F))))
        x_id = ids["transport_sequence_number"]
        if values.transport_sequence_number is not None and x_id:
            extensions.append((x_id, pack("!H", values.transport_sequence_number)))
        return _pack(extensions)


def _pack(extensions: list[tuple[int, bytes]]) -> tuple[int, bytes]:
    """Upstream's ``pack_header_extensions``: a one-byte header built in one buffer, a
    two-byte one (an id over 14, a value empty or over 16 bytes) by upstream's own."""
    if not extensions:
        return 0, b""
    value = bytearray()
    for x_id, x_value in extensions:
        length = len(x_value)
        if x_id > 14 or length == 0 or length > 16 or x_id < 1:
            return pack_header_extensions(extensions)
        value.append((x_id << 4) | (length - 1))
        value += x_value
    value += bytes(-len(value) % 4)
    return _ONE_BYTE, bytes(value)


def ntp_from_ns(ns: int) -> int:
    """The NTP time (32.32 fixed point) of a Unix time in nanoseconds, to upstream's
    microsecond resolution (``aiortc.clock.datetime_to_ntp`` of that microsecond)."""
    us = ns // 1000 + _NTP_OFFSET_US
    seconds, micros = divmod(us, 1_000_000)
    return (seconds << 32) | ((micros << 32) // 1_000_000)


def current_ntp_time() -> int:
    """aiortc's ``clock.current_ntp_time()``, without the ``datetime`` objects."""
    return ntp_from_ns(time.time_ns())


def _clock_shim() -> types.ModuleType:
    """aiortc's ``clock`` module as ``rtcrtpsender`` sees it, with :func:`current_ntp_time`."""
    shim = types.ModuleType("parley_rtp_path_clock")
    shim.__dict__.update({k: v for k, v in vars(clock).items() if not k.startswith("__")})
    shim.current_ntp_time = current_ntp_time  # type: ignore[attr-defined]
    return shim


_replaced = Replaced((rtp, "HeaderExtensionsMap", ExtensionsMap),
                     (rtcrtpsender, "clock", _clock_shim()))


def install() -> None:
    """Give transports and senders built from now on the leaner map and clock
    (idempotent)."""
    _replaced.install()


def uninstall() -> None:
    """Give aiortc back its own map and clock (transports and senders built from now on)."""
    _replaced.uninstall()


def installed() -> bool:
    """Whether the leaner header extension map and sender clock are in."""
    return _replaced.installed
