"""The call server's settings: one frozen, self-validating dataclass."""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from pathlib import Path

from parley.protocol.defaults import DEFAULT_PORT
from parley.protocol.grants import MAX_GRANT_LIFETIME, weak_secret_problem
from parley.protocol.messages import IceServer

SFU_MODES = ("always", "never", "auto")
"""When calls go through the SFU (``--sfu``)."""
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback_host(host: str) -> bool:
    """True when ``host`` can only be reached from this machine."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/parley``, else ``~/.local/state/parley``."""
    base = os.environ.get("XDG_STATE_HOME")
    root = Path(base) if base else Path.home() / ".local" / "state"
    return root / "parley"


@dataclass(frozen=True)
class ServerConfig:
    """Everything a :class:`~parley.server.CallServer` needs; validated on construction.

    Raises:
        ValueError: a value is out of range, or the server would be open to the
            network without a secret and without ``allow_open_rooms``.
    """

    host: str = "127.0.0.1"
    """Interface to listen on. Loopback by default."""
    port: int = DEFAULT_PORT
    """TCP port; 0 picks a free one (read it back from ``CallServer.port``)."""
    secret: bytes | None = None
    """The secret join grants (invites, identities) are signed with. None = open rooms
    (anyone may join). At least 32 bytes unless ``allow_weak_secret``."""
    allow_weak_secret: bool = False
    """Accept a ``secret`` or ``turn_secret`` shorter than 32 bytes."""
    allow_long_tokens: bool = False
    """Accept grants that live longer than 30 days."""
    departure_timeout: float = 20.0
    """Seconds a participant whose link dropped keeps its seat (and id) for a resume."""
    heartbeat_interval: float = 0.5
    """Seconds between the client's pings (told to clients in ``welcome``)."""
    heartbeat_timeout: float = 3.0
    """Seconds of silence after which the server counts a link as dead."""
    max_participants: int = 16
    """Seats per room, reconnecting participants included."""
    max_rooms: int = 1000
    """Rooms this server hosts at once."""
    max_frame_bytes: int = 64 * 1024
    """Largest accepted frame in bytes; bigger ones get FRAME_TOO_LARGE and close 1009."""
    rate_per_second: float = 50.0
    """Sustained messages per second per connection (token bucket refill rate)."""
    rate_burst: int = 100
    """Messages a connection may send at once before the rate applies (bucket size)."""
    flood_drops: int = 200
    """Dropped (rate-limited) messages within ``flood_window`` that get a connection closed."""
    flood_window: float = 5.0
    """Window in seconds over which ``flood_drops`` is counted."""
    ice_servers: tuple[IceServer, ...] = ()
    """Static STUN servers handed to clients in ``welcome`` (``--stun-url``)."""
    turn_urls: tuple[str, ...] = ()
    """TURN URLs (``turn:host:3478?transport=udp``, ``...?transport=tcp``,
    ``turns:host:443?transport=tcp``), handed out with ephemeral credentials."""
    turn_secret: bytes | None = None
    """coturn's ``static-auth-secret`` (use-auth-secret): signs those credentials."""
    turn_ttl: float = 24 * 3600.0
    """Seconds a participant's TURN credentials stay valid (a resume mints new ones)."""
    tls_cert: Path | None = None
    """A PEM certificate chain: serve ``wss://`` and ``https://`` itself (``--cert``;
    aiohttp's own TLS, so per-address limits see the clients' real addresses)."""
    tls_key: Path | None = None
    """The certificate's PEM private key (``--key``); both or neither."""
    state_dir: Path | None = None
    """Where ``resume.key`` lives when there is no secret; None = :func:`default_state_dir`."""
    allow_open_rooms: bool = False
    """Allow a server without a secret to listen on a non-loopback interface."""
    lobby: bool = False
    """Ask to join: a fresh join without a valid grant waits in the room's lobby for a
    host to admit or deny it, instead of being refused (needs a secret)."""
    lobby_timeout: float = 120.0
    """Seconds a joiner waits in the lobby before it is turned away."""
    lobby_max_waiting: int = 256
    """Joiners waiting in all lobbies at once (each room's lobby holds at most
    ``max_participants``)."""
    shutdown_retry_after: float = 1.0
    """``retry_after`` (seconds) announced in ``going_away`` on a graceful shutdown."""
    outbound_queue: int = 512
    """Messages queued for one slow client before its link is counted as dead."""
    # -- against hostile clients (docs/security.md lists every limit) --
    join_deadline: float = 5.0
    """Seconds a connection has to join; then it is closed, whatever it sends."""
    prejoin_max_bytes: int = 8 * 1024
    """Largest frame before the join (a join with its token fits); then ``max_frame_bytes``."""
    header_timeout: float = 10.0
    """Seconds from accept() to a complete HTTP request (request line and headers)."""
    body_timeout: float = 2.0
    """Seconds an unread request body is drained after the response, then the link drops."""
    max_connections_per_ip: int = 64
    """Open TCP connections one address may hold at once."""
    joins_per_second_per_ip: float = 10.0
    """Joins (resumes included) one address may make per second, on average."""
    join_burst_per_ip: int = 40
    """Joins one address may make at once before ``joins_per_second_per_ip`` applies."""
    max_rooms_per_ip: int = 20
    """Rooms in which one address holds a seat; past it, it can open no new room."""
    max_ghosts_per_ip: int = 4
    """Seats one address may leave dropped without ``leave`` (waiting for a resume);
    past it, its oldest dropped seat is freed at once."""
    exempt_loopback: bool = False
    """Exempt 127.0.0.0/8 and ::1 from the per-address limits (a test rig, a proxy)."""
    relay_bytes_per_second: int = 64 * 1024
    """Signalling bytes one seat may relay to one other participant per second."""
    relay_burst_bytes: int = 256 * 1024
    """... and at once, before that rate applies."""
    seat_relay_bytes_per_second: int = 256 * 1024
    """Signalling bytes one seat may relay to everybody together per second."""
    seat_relay_burst_bytes: int = 1024 * 1024
    """... and at once, before that rate applies."""
    ws_compression: bool = False
    """Offer permessage-deflate (off: a small frame can inflate to a large one)."""
    admin_token: str | None = None
    """Bearer token that makes ``/health`` report counts and the version (None: "ok" only)."""
    access_key: str | None = None
    """The built-in server's per-launch secret: ``/ws`` requires ``?key=<access_key>``."""
    allowed_origins: tuple[str, ...] = ()
    """Web origins (``https://example.org``) allowed besides the server's own; ``*`` = any.
    A request without ``Origin`` (the app, not a browser) is always allowed."""
    janus_urls: tuple[str, ...] = ()
    """Janus nodes (HTTP API, ``http://10.0.0.5:8088/janus``, on a private address) the
    SFU media goes through (``--janus``, repeatable: each room is placed on the least
    loaded, and moved when its node dies)."""
    janus_api_secret: str | None = None
    """Janus's ``api_secret`` (``--janus-api-secret``)."""
    janus_admin_key: str | None = None
    """VideoRoom's ``admin_key`` (``--janus-admin-key``): sent when creating a room, which
    Janus then refuses to anyone without it."""
    sfu: str = "auto"
    """``always`` (every call through Janus), ``never`` (mesh only) or ``auto`` (a mesh up
    to ``mesh_max``, moved live to the SFU above it and back at ``mesh_max - 1``)."""
    mesh_max: int = 4
    """With ``sfu="auto"``: the largest call kept as a mesh."""

    def __post_init__(self) -> None:
        if self.state_dir is not None and not isinstance(self.state_dir, Path):
            object.__setattr__(self, "state_dir", Path(self.state_dir))  # accept a str too
        if isinstance(self.secret, str):
            raise ValueError("secret must be bytes (encode it), not str")
        if not self.host:
            raise ValueError("host must not be empty")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("a TLS certificate and its key go together (--cert and --key)")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0-65535, got {self.port}")
        if self.secret is not None and len(self.secret) == 0:
            raise ValueError("secret must not be empty (use None for open rooms)")
        self._check_secrets()
        self._check_sfu()
        for name in ("departure_timeout", "heartbeat_interval", "heartbeat_timeout",
                     "rate_per_second", "flood_window", "lobby_timeout", "join_deadline",
                     "header_timeout", "body_timeout", "joins_per_second_per_ip"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.shutdown_retry_after < 0:
            raise ValueError("shutdown_retry_after must be >= 0")
        for name in ("max_participants", "max_rooms", "rate_burst", "flood_drops",
                     "outbound_queue", "lobby_max_waiting", "max_connections_per_ip",
                     "join_burst_per_ip", "max_rooms_per_ip", "max_ghosts_per_ip",
                     "relay_bytes_per_second", "relay_burst_bytes", "seat_relay_bytes_per_second",
                     "seat_relay_burst_bytes", "prejoin_max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.max_frame_bytes < 1024:
            raise ValueError("max_frame_bytes must be at least 1024")
        if self.relay_burst_bytes < self.max_frame_bytes \
                or self.seat_relay_burst_bytes < self.relay_burst_bytes:
            raise ValueError("relay bursts must hold a whole frame (max_frame_bytes), and "
                             "seat_relay_burst_bytes at least relay_burst_bytes")
        for name in ("admin_token", "access_key"):
            token = getattr(self, name)
            if token is not None and len(token) < 16:
                raise ValueError(f"{name} must be at least 16 characters")
        if self.heartbeat_timeout <= self.heartbeat_interval:
            raise ValueError("heartbeat_timeout must be longer than heartbeat_interval")
        if self.lobby and self.secret is None:
            raise ValueError("the lobby needs a secret (--secret): open rooms let everybody in")
        if self.secret is None and not self.allow_open_rooms and not is_loopback_host(self.host):
            raise ValueError(
                f"refusing to serve open rooms on non-loopback host {self.host!r}: "
                "set a secret (--secret / PARLEY_SECRET) or pass --allow-open-rooms"
            )

    def _check_secrets(self) -> None:
        if isinstance(self.turn_secret, str):
            raise ValueError("turn_secret must be bytes (encode it), not str")
        for flag, secret in (("--secret", self.secret), ("--turn-secret", self.turn_secret)):
            problem = weak_secret_problem(secret) if secret is not None else None
            if problem and not self.allow_weak_secret:
                raise ValueError(f"{flag}: {problem}, or pass --allow-weak-secret")
        if bool(self.turn_urls) != (self.turn_secret is not None):
            raise ValueError("TURN needs both --turn-url and --turn-secret")
        for url in self.turn_urls:
            if not url.startswith(("turn:", "turns:")) or any(c.isspace() for c in url):
                raise ValueError(f"not a TURN URL (turn: or turns:): {url!r}")
        if not (math.isfinite(self.turn_ttl) and self.turn_ttl > 0):
            raise ValueError("turn_ttl must be a positive number of seconds")

    def _check_sfu(self) -> None:
        if self.sfu not in SFU_MODES:
            raise ValueError(f"sfu must be one of {', '.join(SFU_MODES)}, got {self.sfu!r}")
        if self.sfu == "always" and not self.janus_urls:
            raise ValueError("--sfu always needs a Janus (--janus URL)")
        for url in self.janus_urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"--janus: not an HTTP URL (http:// or https://): {url!r}")
        if self.mesh_max < 1:
            raise ValueError(f"mesh_max must be >= 1, got {self.mesh_max!r}")

    @property
    def max_grant_lifetime(self) -> float | None:
        """The longest-lived grant accepted (None: no limit, ``allow_long_tokens``)."""
        return None if self.allow_long_tokens else MAX_GRANT_LIFETIME

    @property
    def client_heartbeat_timeout(self) -> float:
        """What clients are told to use: three missed heartbeats."""
        return 3 * self.heartbeat_interval

    @property
    def resume_token_lifetime(self) -> float:
        """A resume token outlives the grace period by one server heartbeat timeout."""
        return self.departure_timeout + self.heartbeat_timeout
