"""Which STUN and TURN servers a connection uses, and which path it found.

aiortc (1.16) takes the first STUN URL and the first TURN URL of a configuration and
ignores the rest, so Parley chooses: :class:`TurnLadder` hands each new connection of a
pair one TURN URL, tried in the order UDP, TCP, TLS (``turns:``, usually on 443). A
connection that found no path (answered, never alive) moves the pair one rung on; one
that came up keeps its rung. Each side of a pair climbs its own ladder: its relay
candidates are its own, so nothing is negotiated (docs/protocol.md, *TURN*).

:func:`selected_path` says which candidate pair carries the media. aiortc implements
no ``RTCIceTransport.getSelectedCandidatePair()`` and its ``getStats()`` holds no
candidate-pair entries, so this one function reads aioice's nominated pair through
the transport's private ``_connection``: the only place Parley does. It returns None
when that shape changes, and tests go through it, never through the attributes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from parley.protocol.messages import IceServer

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

logger = logging.getLogger(__name__)

GATHER_ALLOWANCE = 6.0
"""How long gathering may hold an offer or an answer back: aioice gives a STUN or TURN
server that never answers 5 s before it gives up on it."""
TRANSPORT_ORDER = ("udp", "tcp", "tls")


def turn_transport(url: str) -> str | None:
    """``udp``, ``tcp`` or ``tls`` for a TURN URL (``turns:`` is TLS over TCP), None for
    anything else (STUN, or a transport aiortc cannot use)."""
    scheme, _, rest = url.partition(":")
    query = parse_qs(rest.partition("?")[2])
    transport = (query.get("transport") or [""])[0].lower()
    if scheme == "turn":
        transport = transport or "udp"
        return transport if transport in ("udp", "tcp") else None
    if scheme == "turns":
        return "tls" if transport in ("", "tcp") else None
    return None


@dataclass(frozen=True)
class TurnStep:
    """One rung of the ladder: a TURN URL and its credentials."""

    url: str
    transport: str
    """udp, tcp or tls."""
    username: str | None
    credential: str | None


class TurnLadder:
    """The TURN transport each new connection of one pair tries.

    Args:
        servers: The ICE servers as configured (STUN and TURN entries, in any order;
            an entry may carry several URLs).
    """

    def __init__(self, servers: tuple[IceServer, ...]) -> None:
        self._stun: tuple[IceServer, ...] = ()
        steps: list[TurnStep] = []
        for server in servers:
            stun = tuple(u for u in server.urls if u.startswith(("stun:", "stuns:")))
            if stun:
                self._stun += (IceServer(urls=stun),)
            for url in server.urls:
                transport = turn_transport(url)
                if transport is not None:
                    steps.append(TurnStep(url, transport, server.username, server.credential))
                elif not url.startswith(("stun:", "stuns:")):
                    logger.warning("ICE server URL %r is not usable here; ignored", url)
        # stable: the configured order within one transport
        self.steps = tuple(sorted(steps, key=lambda s: TRANSPORT_ORDER.index(s.transport)))
        self._rung = 0

    @property
    def current(self) -> TurnStep | None:
        """The TURN server the next connection uses (None: no TURN configured)."""
        return self.steps[self._rung] if self.steps else None

    def servers(self) -> tuple[IceServer, ...]:
        """What the next connection's RTCConfiguration gets: the STUN servers and one
        TURN URL, the current rung's."""
        step = self.current
        if step is None:
            return self._stun
        return (*self._stun, IceServer(urls=(step.url,), username=step.username,
                                       credential=step.credential))

    def found_no_path(self) -> None:
        """A connection on the current rung gave up without ever connecting: the next
        one tries the next transport (after TLS, UDP again: the outage may be over)."""
        if len(self.steps) > 1:
            old = self.steps[self._rung]
            self._rung = (self._rung + 1) % len(self.steps)
            logger.info("TURN: no path over %s; next connection tries %s", old.transport,
                        self.steps[self._rung].transport)


@dataclass(frozen=True)
class IcePath:
    """The candidate pair that carries a connection's media."""

    local: str
    """The local candidate's type: host, srflx, prflx or relay."""
    remote: str
    """The remote candidate's type."""
    protocol: str
    """How packets leave this machine: udp, or for a local relay candidate the
    transport to the TURN server (udp, tcp or tls)."""

    @property
    def kind(self) -> str:
        """relay when either end is relayed, else srflx when either end is reflexive,
        else host (a direct path on one network)."""
        types = {self.local, self.remote}
        if "relay" in types:
            return "relay"
        return "srflx" if types & {"srflx", "prflx"} else "host"

    def describe(self) -> str:
        """The tooltip line: "Path: relay over TCP (local relay, remote host)"."""
        return (f"Path: {self.kind} over {self.protocol.upper()} "
                f"(local {self.local}, remote {self.remote})")


def selected_path(pc: RTCPeerConnection, relay_transport: str | None) -> IcePath | None:
    """The candidate pair ``pc``'s media uses now, or None (not connected yet, closed, or
    an aiortc/aioice whose internals moved). ``relay_transport`` is the TURN transport
    this connection was given (what a local relay candidate runs over)."""
    try:
        sctp = pc.sctp
        ice = sctp.transport.transport if sctp is not None else next(
            t.sender.transport.transport for t in pc.getTransceivers()
            if t.sender.transport is not None)
        # the seam: see the module docstring for why this reads aioice's state
        pair = ice._connection._nominated.get(1)
        if pair is None:
            return None
        local, remote = pair.local_candidate, pair.remote_candidate
        protocol = str(local.transport).lower()
        if local.type == "relay" and relay_transport is not None:
            protocol = relay_transport
        return IcePath(str(local.type), str(remote.type), protocol)
    except (AttributeError, StopIteration, TypeError) as exc:
        logger.debug("no selected candidate pair: %r", exc)
        return None
