"""The round trip of each DTLS transport, measured from RTCP reports by :mod:`.rtx` and
read by every sender and receiver on that transport."""

from __future__ import annotations

import weakref
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender

from parley.media.retransmission import DEFAULT_RTT

_rtts: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
_latest: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
"""Each transport's last unsmoothed measurement (read by :func:`lend_rtt` only)."""


def note_rtt(transport: Any, rtt: float) -> None:
    """A round-trip measurement (seconds) for everything on a DTLS transport."""
    if transport is not None:
        previous = _rtts.get(transport)
        _latest[transport] = rtt
        _rtts[transport] = rtt if previous is None else 0.875 * previous + 0.125 * rtt


def rtt_of(part: RTCRtpSender | RTCRtpReceiver) -> float:
    """The smoothed round trip of a sender's or receiver's transport (seconds)."""
    transport = part.transport
    return _rtts.get(transport, DEFAULT_RTT) if transport is not None else DEFAULT_RTT


def lend_rtt(source: RTCRtpSender | RTCRtpReceiver, target: Any) -> float | None:
    """Give the DTLS transport ``target`` the round trip of ``source``'s: the larger of
    its smoothed value and its last measurement, since the smoothed one lags a queue
    that fills (seen through the SFU: 42-111 ms lent while retransmissions took 335-379
    ms), and a NACK spaced too short is asked again, and given up on, before its
    retransmission can arrive. A receive-only connection measures none of its own (the
    round trip comes from the reports on what a connection sends), so its NACKs would
    be spaced by :data:`DEFAULT_RTT`; ``media/sfu.py`` lends its subscriber the
    publisher's, measured to the same SFU node. The round trip lent; None while
    ``source`` has none measured."""
    transport = source.transport
    smoothed = _rtts.get(transport) if transport is not None else None
    if smoothed is None or target is None:
        return smoothed
    rtt = _rtts[target] = max(smoothed, _latest.get(transport, smoothed))
    return rtt
