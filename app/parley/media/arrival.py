"""Arrival times for the receiver's bandwidth estimate, from the kernel, not the loop.

aiortc's receive-side estimator (``aiortc.rate.RemoteBitrateEstimator``, REMB) reads the
growth of (arrival - send time) between packet groups as a queue on the link. aiortc
takes the arrival time in ``RTCDtlsTransport`` with ``clock.current_ms()`` when its
event loop gets to the packet: after the datagram waited in the socket, for the loop to
read it, and in aioice's queue. On a loaded machine that wait is 10-80 ms often and
up to 0.9 s (measured in ``make bench ARGS=links`` against a packet capture in the
receiver's namespace, docs/performance.md "The estimate's arrival times"), and the
estimator, whose threshold adapts down to a modified trend of 6 (0.1 ms a group) on a
calm link, takes a few such groups for overuse. It then sets 0.85 x the incoming rate,
which is a fraction of the estimate when the sender is application-limited, and the
sender follows it down: the REMB collapse with no queue on the link. Fed the same
packets with the kernel's receive times, the estimator saw no overuse at all on the
unshaped links.

So Parley hands the estimator the kernel's receive time of each datagram
(``SIOCGSTAMP``: the time the kernel stamped the last datagram read from the socket).
Three hooks, installed once by :func:`install` (:func:`uninstall` gives aiortc back):

- aioice's ``StunProtocol.datagram_received`` is wrapped class-wide (a public
  protocol method): right after asyncio read the datagram, before anything else runs,
  the socket's last receive stamp is noted for that datagram;
- aioice's ``Connection.recv`` (public) is wrapped: the datagram it hands on is the
  *current* datagram, with its stamp;
- the name ``clock`` in ``aiortc.rtcdtlstransport`` is replaced by a module whose
  ``current_ms()`` returns the current datagram's stamp. ``RTCDtlsTransport`` calls it
  once per SRTP datagram, right after ``await transport._recv()`` returned it (aiortc's
  ICE transport's ``_recv`` is aioice's ``Connection.recv``), with no suspension point
  between, so the current datagram is the one being stamped; ``recv`` overwrites it for
  every datagram, so a DTLS record, which is not stamped, leaves nothing stale.

A datagram without a kernel stamp (TURN's relayed data, whose transport is not a
socket of ours; the first datagram on a socket, which switches stamping on) gets the
time it reached Parley's hook, still before aioice's queue. Everything else in aiortc's
``clock`` is upstream's.

The same hook sorts what is STUN from what is not, as RFC 7983 does. aioice parses every
datagram as STUN and takes only a ``ValueError`` as "not STUN, hand it to DTLS/SRTP". An
SRTP packet whose sequence number (its bytes 2-3) equals its length minus 20 passes
aioice's length check, and its ciphertext, read as attributes, can name one of fixed size
with another length: ``struct.error`` from ``stun.parse_message``, raised into the event
loop ("Exception in callback"), and the media packet lost (seen in
``tests/browser/test_guest_sfu.py``). A STUN message's first byte is 0-3 (RFC 7983 §7):
any other datagram goes to aioice's receiver unparsed, as upstream does with what fails
to parse. A datagram in STUN's range that is malformed that way is dropped, as aioice
drops the others it can't parse.

And the hook reads what else waits in the socket, up to :data:`DRAIN_MOST` datagrams a
wake-up, as libuv does. asyncio's selector datagram transport reads one datagram per
turn of the loop; a turn of a busy call's loop takes several ms, and an SFU
subscriber's socket, which brings everyone's media, fell behind: on an idle 2-core
machine it held 0.5-4 s of media, overflowed (170-220 packets lost in a 20 s test call,
none recovered by NACK: they came seconds late) and its consent checks were answered so
late that aioice gave the connection up after 30 s (``tests/browser/test_guest_sfu.py``'s
false ``on_connection_lost``). Each datagram drained goes to the transport's protocol
(``get_protocol()``, public), as asyncio would hand it, so a wrapper between the two
(tests/udp.py's fault filter) still sees every one. The demultiplexing and the drain
are installed on every platform.
"""

from __future__ import annotations

import logging
import socket
import struct
import sys
import threading
import types
from typing import Any

from aioice import ice, stun, turn
from aiortc import clock, rtcdtlstransport

from parley.media.names import Replaced

try:
    import fcntl
except ImportError:  # Windows: no ioctl, and no SIOCGSTAMP
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SUPPORTED = sys.platform.startswith("linux") and fcntl is not None
"""SIOCGSTAMP is Linux's; elsewhere :func:`install` leaves aiortc's loop-time stamps."""
DRAIN_MOST = 32
"""Datagrams read from a socket per wake-up of the loop, as libuv bounds it."""
DATAGRAM_MOST = 65536
"""The largest datagram read (UDP's own bound)."""
STUN_FIRST_BYTE_MOST = 3
"""RFC 7983's demultiplexing: a datagram whose first byte is 0-3 is STUN."""
SIOCGSTAMP = 0x8906
"""Linux: the receive time (struct timeval) of the last datagram read from a socket."""
NTP_EPOCH_MS = 2_208_988_800_000
"""1900-01-01 to 1970-01-01 in ms: aiortc's ``clock.current_ms`` counts from 1900."""
KEEP = 256
"""Datagrams whose stamps are kept until aioice hands them on (aioice's queue is short;
a stamp of a datagram never handed on is forgotten after this many others)."""

_stamps: dict[int, tuple[bytes, int]] = {}
"""id(datagram) -> (the datagram, kept alive so its id stays its own; its stamp, ms)."""


class _Current(threading.local):
    """Per thread (each event loop's own): the stamp of the datagram aioice handed on
    last (ms since 1900), or None; whether a socket is being drained now."""

    stamp: int | None = None
    draining = False


_current = _Current()


def kernel_stamp_ms(sock: socket.socket | Any) -> int | None:
    """The kernel's receive time of the last datagram read from ``sock`` (ms since
    1900, aiortc's clock), or None when the socket has none."""
    try:
        raw = fcntl.ioctl(sock.fileno(), SIOCGSTAMP, bytes(16))
    except (OSError, ValueError, AttributeError):
        return None
    seconds, micros = struct.unpack("qq", raw)
    return int(NTP_EPOCH_MS + seconds * 1000 + micros // 1000)


def note(data: bytes, stamp_ms: int) -> None:
    """Remember ``data``'s receive time until :func:`handed_on` sees it."""
    _stamps[id(data)] = (data, stamp_ms)
    if len(_stamps) > KEEP:  # the oldest (a dict keeps insertion order): O(1) a datagram
        del _stamps[next(iter(_stamps))]


def handed_on(data: bytes) -> None:
    """``data`` is the datagram being processed now: its stamp becomes the current."""
    kept = _stamps.pop(id(data), None)
    _current.stamp = kept[1] if kept is not None and kept[0] is data else None


def current_ms() -> int:
    """aiortc's ``clock.current_ms``, but the current datagram's receive time if known."""
    stamp, _current.stamp = _current.stamp, None
    return stamp if stamp is not None else clock.current_ms()


def _udp_socket(self: ice.StunProtocol) -> Any:
    """asyncio's socket under this protocol, or None (TURN's relayed data has none)."""
    transport = getattr(self, "transport", None)
    if transport is None or isinstance(transport, turn.TurnTransport):
        return None
    sock = transport.get_extra_info("socket")  # asyncio's: the socket just read
    return sock if getattr(sock, "type", None) == socket.SOCK_DGRAM else None


def _datagram_received(self: ice.StunProtocol, data: bytes | str, addr: tuple[Any, ...]) -> None:
    if not isinstance(data, bytes):
        _demux.upstream("datagram_received")(self, data, addr)
        return
    sock = _udp_socket(self)
    _take(self, data, addr, sock)
    if sock is not None and not _current.draining:
        _current.draining = True
        try:
            _drain(self.transport, sock)
        finally:
            _current.draining = False


def _take(self: ice.StunProtocol, data: bytes, addr: tuple[Any, ...], sock: Any) -> None:
    if _stamping.installed:
        stamp = kernel_stamp_ms(sock) if sock is not None else None
        note(data, stamp if stamp is not None else clock.current_ms())
    if data and data[0] > STUN_FIRST_BYTE_MOST:  # DTLS, SRTP or SRTCP: not STUN's
        self.receiver.data_received(data, self.local_candidate.component)
        return
    try:
        stun.parse_message(data)
    except ValueError:
        pass  # upstream hands it on as not STUN
    except struct.error:
        log.debug("dropped a malformed STUN message from %s (%d bytes)", addr, len(data))
        return
    _demux.upstream("datagram_received")(self, data, addr)


def _drain(transport: Any, sock: Any) -> None:
    """Read what else waits in ``sock``, up to :data:`DRAIN_MOST` datagrams in all, and
    hand each to the transport's protocol as asyncio's transport would."""
    protocol = transport.get_protocol()
    reader = socket.socket(sock.family, sock.type, sock.proto, fileno=sock.fileno())
    try:  # a second handle on asyncio's descriptor, given back (detached), never closed
        for _ in range(DRAIN_MOST - 1):
            if transport.is_closing():
                return
            try:
                data, addr = reader.recvfrom(DATAGRAM_MOST)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                protocol.error_received(exc)
                return
            protocol.datagram_received(data, addr)
    finally:
        reader.detach()


async def _recv(self: ice.Connection) -> bytes:
    data: bytes = await _stamping.upstream("recv")(self)
    handed_on(data)
    return data


def _clock_shim() -> types.ModuleType:
    """aiortc's ``clock`` module as ``rtcdtlstransport`` sees it, with :func:`current_ms`."""
    shim = types.ModuleType("parley_arrival_clock")
    shim.__dict__.update({k: v for k, v in vars(clock).items() if not k.startswith("__")})
    shim.current_ms = current_ms  # type: ignore[attr-defined]
    return shim


_demux = Replaced((ice.StunProtocol, "datagram_received", _datagram_received))
_stamping = Replaced((ice.Connection, "recv", _recv), (rtcdtlstransport, "clock", _clock_shim()))


def install() -> None:
    """Sort STUN from media in aioice's datagram path, and stamp every datagram from now
    on with its kernel receive time (idempotent; the stamps on Linux only, see
    :data:`SUPPORTED`)."""
    _demux.install()
    if SUPPORTED:
        _stamping.install()


def installed() -> bool:
    """Whether datagrams get their kernel receive times."""
    return _stamping.installed


def uninstall() -> None:
    """aioice's datagram path and aiortc's own arrival times again (the bare-aiortc
    baselines)."""
    _demux.uninstall()
    if not _stamping.installed:
        return
    _stamping.uninstall()
    _stamps.clear()
    _current.stamp = None
