"""Which ICE candidates Parley gives aiortc, and which of its own it sends out.

Pure (no aiortc, no I/O): it reads and rewrites candidate lines and SDP text, so that
the rules hold for candidates in an offer or answer and for trickled ones alike.

- **Remote candidates** (:class:`RemoteCandidates`): a peer names addresses that ICE
  will send STUN checks to, so a hostile peer could aim this machine at anything it
  reaches. A remote candidate is dropped when its address is loopback, link-local
  (169.254/16, fe80::/10), multicast, unspecified or broadcast (an IPv4 address
  mapped into IPv6 counts as that address), when it is not UDP (Parley speaks no
  ICE-TCP), when it is not an IP address or an mDNS ``.local`` name, and beyond
  :data:`REMOTE_CANDIDATE_LIMIT` different addresses per connection. Loopback
  candidates are allowed only where they can be legitimate: when the call server
  *and* one of our own STUN/TURN servers are on loopback (a TURN server on this
  machine relays from 127.0.0.1; aioice and browsers never gather a loopback host
  candidate), and even then never to a privileged port (< 1024): coturn relays
  from 49152, and 127.0.0.1:22 is a service. A loopback call server alone is not
  enough: the host of a LAN call dials its own server on loopback.
- **Own candidates** (:func:`without_host_candidates`): with host addresses kept
  private only relay and server-reflexive candidates leave, their related address
  is blanked, and the ``c=``/``m=`` lines name the first one kept (or the discard
  address 0.0.0.0:9 when none is), in the spirit of RFC 8828's mode 3. No
  end-of-candidates is sent: the peer then keeps waiting for candidates, and learns
  the address our checks come from as a peer-reflexive one (ICE would otherwise give
  up at once when nothing is left, as aioice does with an empty check list).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

REMOTE_CANDIDATE_LIMIT = 20
"""Different remote addresses one connection gives ICE (a dual-stack peer with STUN and
TURN over three transports offers about ten)."""
_PRIVILEGED_PORTS = 1024
_DISCARD = ("0.0.0.0", 9)


@dataclass(frozen=True)
class CandidateLine:
    """The fields of one ``candidate:`` line that say where checks would go."""

    foundation: str
    component: str
    protocol: str
    priority: str
    host: str
    port: int
    type: str
    rest: tuple[str, ...]
    """Everything after ``typ <type>`` (raddr, rport, tcptype, generation...)."""

    @classmethod
    def parse(cls, text: str) -> CandidateLine | None:
        """A candidate line with or without ``a=`` and ``candidate:``; None if malformed."""
        body = text.strip().removeprefix("a=").removeprefix("candidate:")
        bits = body.split()
        if len(bits) < 8 or bits[6] != "typ":
            return None
        try:
            port = int(bits[5])
        except ValueError:
            return None
        return cls(bits[0], bits[1], bits[2].lower(), bits[3], bits[4], port, bits[7],
                   tuple(bits[8:]))

    @property
    def address(self) -> tuple[str, int, str]:
        """Where checks go: (host, port, protocol); the host canonical when it is an IP."""
        try:
            host = str(ipaddress.ip_address(self.host))
        except ValueError:
            host = self.host.lower()
        return host, self.port, self.protocol

    def text(self, blank_related: bool = False) -> str:
        """The line again (``candidate:...``), its related address blanked if asked."""
        rest = list(self.rest)
        if blank_related:
            for key, value in (("raddr", "0.0.0.0"), ("rport", "0")):
                if key in rest[:-1]:
                    rest[rest.index(key) + 1] = value
        return " ".join(["candidate:" + self.foundation, self.component, self.protocol,
                         self.priority, self.host, str(self.port), "typ", self.type, *rest])


def unsafe_reason(host: str, port: int, allow_loopback: bool) -> str | None:
    """Why checks must never go to ``host``:``port`` (None: they may)."""
    if not 0 < port < 65536:
        return f"port {port}"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host.lower().endswith(".local") and "." in host.rstrip("."):
            return None  # mDNS: the browser's way of hiding its own address (aioice resolves)
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        if allow_loopback and port >= _PRIVILEGED_PORTS:
            return None
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    return None


class RemoteCandidates:
    """The remote candidates of one connection: which may reach ICE.

    Args:
        allow_loopback: Loopback candidates are allowed (not to privileged ports): the
            call and its TURN server are on this machine.
        limit: Different addresses admitted; a candidate repeated (another m-line of the
            bundle, a renegotiation) is admitted again without counting.
    """

    def __init__(self, allow_loopback: bool, limit: int = REMOTE_CANDIDATE_LIMIT) -> None:
        self.allow_loopback = allow_loopback
        self.limit = limit
        self.admitted: set[tuple[str, int, str]] = set()
        self.dropped = 0

    def judge(self, candidate: CandidateLine) -> str | None:
        """Admit ``candidate`` (None) or say why not; admitted ones count to the limit."""
        if candidate.protocol != "udp":
            return f"{candidate.protocol} (no ICE-TCP here)"
        address = candidate.address
        if address in self.admitted:
            return None
        reason = unsafe_reason(address[0], address[1], self.allow_loopback)
        if reason is None and len(self.admitted) >= self.limit:
            reason = f"beyond {self.limit} candidates for this connection"
        if reason is not None:
            self.dropped += 1
            return reason
        self.admitted.add(address)
        return None

    def admit_line(self, line: str) -> str | None:
        """Judge one candidate line (malformed ones are dropped)."""
        candidate = CandidateLine.parse(line)
        return "malformed" if candidate is None else self.judge(candidate)

    def filter_sdp(self, sdp: str) -> tuple[str, list[str]]:
        """The SDP without the candidates this connection must not check; and why each
        dropped one was dropped (``"<host> <port>: <reason>"``)."""
        dropped: list[str] = []

        def keep(line: str) -> str | None:
            reason = self.admit_line(line)
            if reason is None:
                return line
            candidate = CandidateLine.parse(line)
            where = f"{candidate.host} {candidate.port}" if candidate else line[:60]
            dropped.append(f"{where}: {reason}")
            return None

        return _rewrite_candidates(sdp, keep), dropped


def _rewrite_candidates(sdp: str, keep: Callable[[str], str | None]) -> str:
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            kept = keep(line)
            if kept is None:
                continue
            line = kept
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def is_host_candidate(line: str) -> bool:
    """A candidate of one of this machine's own addresses (``typ host``, or unreadable)."""
    candidate = CandidateLine.parse(line)
    return candidate is None or candidate.type not in ("srflx", "relay")


def without_host_candidates(sdp: str) -> tuple[str, int]:
    """Our own SDP with host addresses kept private: relay and srflx candidates only,
    their related address blanked, ``c=`` and the m-line ports pointing at the first one
    kept per m-line (else at 0.0.0.0:9), no end-of-candidates. Returns the SDP and how
    many candidates are left in it."""
    out: list[str] = []
    section: list[str] = []
    kept = 0

    def flush() -> None:
        nonlocal kept
        candidates = [CandidateLine.parse(line) for line in section
                      if line.startswith("a=candidate:") and not is_host_candidate(line)]
        shown = [c for c in candidates if c is not None]
        kept += len(shown)
        default = (shown[0].host, shown[0].port) if shown else _DISCARD
        for line in section:
            if line.startswith("a=candidate:"):
                if not is_host_candidate(line):
                    parsed = CandidateLine.parse(line)
                    assert parsed is not None
                    out.append("a=" + parsed.text(blank_related=True))
            elif line.startswith("m="):
                m = line.split(" ", 2)
                out.append(" ".join([m[0], str(default[1]), *m[2:]]) if len(m) == 3
                           and m[1] != "0" else line)
            elif line.startswith("c=IN "):
                out.append(f"c=IN {_family(default[0])} {default[0]}")
            elif line == "a=end-of-candidates":
                continue  # the peer must keep listening: our checks come as prflx
            else:
                out.append(line)
        section.clear()

    for line in sdp.splitlines():
        if line.startswith("m="):
            flush()
        section.append(line)
    flush()
    return "\r\n".join(out) + "\r\n", kept


def _family(host: str) -> str:
    try:
        return "IP6" if ipaddress.ip_address(host).version == 6 else "IP4"
    except ValueError:
        return "IP4"


def is_loopback_ice_url(url: str) -> bool:
    """Whether a STUN/TURN URL (``turn:127.0.0.1:3478?transport=tcp``) names a loopback
    host."""
    rest = url.split(":", 1)[1] if ":" in url else ""
    return is_loopback_url("//" + rest.split("?", 1)[0].lstrip("/"))


def is_loopback_url(url: str | None) -> bool:
    """Whether a call server URL names this machine by a loopback address or
    ``localhost`` (the call itself is then on loopback)."""
    if not url:
        return False
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
