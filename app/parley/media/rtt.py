"""The round trip of each DTLS transport, measured from RTCP reports by :mod:`.rtx` and
read by every sender and receiver on that transport."""

from __future__ import annotations

import weakref
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender

from parley.media.retransmission import DEFAULT_RTT

_rtts: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def note_rtt(transport: Any, rtt: float) -> None:
    """A round-trip measurement (seconds) for everything on a DTLS transport."""
    if transport is not None:
        previous = _rtts.get(transport)
        _rtts[transport] = rtt if previous is None else 0.875 * previous + 0.125 * rtt


def rtt_of(part: RTCRtpSender | RTCRtpReceiver) -> float:
    """The smoothed round trip of a sender's or receiver's transport (seconds)."""
    transport = part.transport
    return _rtts.get(transport, DEFAULT_RTT) if transport is not None else DEFAULT_RTT
