"""New call: the built-in server becomes a LAN server, and a call on it gets an invite.

Qt-free (the app, ``parley --new-call`` and headless hosts in tests all use it):

* :func:`readable_room_id` picks a call name people can read out (``quiet-river-42``);
* :func:`host_secret` is the per-user secret the LAN server signs grants with, made
  at first use and kept in the user's config directory (mode 0600);
* :class:`LanHost` runs the LAN server (every interface, that secret, Ask to join on)
  and, per call, mints the host's own identity (a host grant) and one invite link valid
  24 h that names the server through every address other machines may reach, the
  primary LAN address first, never 127.0.0.1 (the invitee tries them in order).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parley.desktop.lan import lan_addresses
from parley.protocol.defaults import DEFAULT_PORT, WS_PATH
from parley.protocol.grants import DEFAULT_INVITE_TTL, mint_identity, mint_invite
from parley.protocol.invites import MAX_SERVERS, format_invite
from parley.server import CallServer, ServerConfig

log = logging.getLogger(__name__)

SECRET_FILE = "host-secret"
HOSTING_PORT = DEFAULT_PORT + 1
"""The LAN server's preferred port (the loopback built-in server keeps 8787 for test
calls); any free port when it is taken."""
LISTEN_ALL = "0.0.0.0"

_ADJECTIVES = ("quiet", "bright", "calm", "brave", "clever", "gentle", "happy", "lucky",
               "mellow", "proud", "rapid", "silver", "sunny", "swift", "tidy", "warm",
               "wise", "bold", "cosy", "eager", "fresh", "golden", "jolly", "kind")
_NOUNS = ("river", "forest", "meadow", "harbor", "garden", "island", "valley", "canyon",
          "lake", "mountain", "orchard", "prairie", "reef", "summit", "willow", "falcon",
          "otter", "heron", "maple", "comet", "breeze", "pebble", "lantern", "harvest")


def readable_room_id(choice: Callable[[int], int] = secrets.randbelow) -> str:
    """A call name to read out: adjective-noun-number, e.g. ``quiet-river-42``."""
    return (f"{_ADJECTIVES[choice(len(_ADJECTIVES))]}-{_NOUNS[choice(len(_NOUNS))]}"
            f"-{choice(90) + 10}")


def config_dir() -> Path:
    """Parley's per-user config directory (``$XDG_CONFIG_HOME/parley``, ``~/.config/parley``;
    ``%APPDATA%\\Parley`` on Windows, ``~/Library/Application Support/Parley`` on macOS)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "Parley"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Parley"
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "parley"


def host_secret(directory: Path | None = None) -> bytes:
    """The secret this user's LAN server signs grants with: read from ``host-secret`` in
    ``directory`` (the config directory), or made there at first use (mode 0600). One
    that others could read is replaced: its invites may have leaked with it."""
    folder = directory if directory is not None else config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / SECRET_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s was readable by others; making a new host secret", path)
        path.unlink()
        mode = None
    if mode is not None:
        secret = path.read_bytes().strip()
        if len(secret) >= 32:
            return secret
        path.unlink()
    secret = secrets.token_urlsafe(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(secret + b"\n")
    return secret


@dataclass(frozen=True)
class HostedCall:
    """A call this machine hosts."""

    session_id: str
    """The call's name (room id)."""
    server: str
    """The URL this machine's own client dials (loopback)."""
    token: str
    """The host's identity grant (``host: true``): it may end the call and admit people."""
    invite: str
    """The link to share: ``parley://join/<room>?server=ws://<LAN address>:<port>/ws&token=…``,
    with one ``server`` per LAN address, best first."""
    port: int
    """The LAN server's port (for discovery)."""
    addresses: tuple[str, ...]
    """The LAN addresses the invite names, best first."""

    @property
    def invite_line(self) -> str:
        """The one line printed on stdout while hosting (for scripts and support)."""
        return f"invite: {self.invite}"


class LanHost:
    """The built-in server as a LAN server, and the calls it hosts.

    Args:
        secret_dir: Where the host secret lives (None: the user's config directory).
        bind: The interface to listen on (every one by default; tests give loopback).
        port: The preferred port; any free one when it is taken.
        addresses: Gives the LAN addresses, best first (a seam for tests).
        state_dir: The server's state directory (None: its default).
    """

    def __init__(self, secret_dir: Path | None = None, bind: str = LISTEN_ALL,
                 port: int = HOSTING_PORT,
                 addresses: Callable[[], list[str]] = lan_addresses,
                 state_dir: Path | None = None) -> None:
        self._secret_dir = secret_dir
        self._bind = bind
        self._port = port
        self._addresses = addresses
        self._state_dir = state_dir
        self._secret: bytes | None = None
        self.server: CallServer | None = None

    async def start(self) -> CallServer:
        """Start the LAN server (once; later calls return it)."""
        if self.server is not None:
            return self.server
        self._secret = host_secret(self._secret_dir)
        for port in dict.fromkeys((self._port, 0)):
            server = CallServer(ServerConfig(host=self._bind, port=port, secret=self._secret,
                                             lobby=True, state_dir=self._state_dir))
            try:
                await server.start()
            except OSError as exc:
                log.info("port %s is taken (%s); trying another", port, exc)
                continue
            self.server = server
            return server
        raise OSError("could not start the LAN call server on any port")

    async def new_call(self, display_name: str, session_id: str | None = None,
                       ttl: float = DEFAULT_INVITE_TTL) -> HostedCall:
        """Host a new call: its name, the host's grant and an invite valid ``ttl`` s.

        Raises:
            OSError: the LAN server cannot listen, or this machine has no LAN address
                another machine could reach.
        """
        server = await self.start()
        assert self._secret is not None
        addresses = tuple(a for a in self._addresses() if a != "127.0.0.1")[:MAX_SERVERS]
        if not addresses:
            raise OSError("this computer has no network address others could reach")
        room = session_id or readable_room_id()
        invite = mint_invite(self._secret, room, ttl)
        urls = [f"ws://{_host(a)}:{server.port}{WS_PATH}" for a in addresses]
        link = format_invite(room, urls[0], invite, alternates=urls[1:])
        token = mint_identity(self._secret, room, "host-" + secrets.token_hex(6),
                              display_name, ttl, host=True)
        here = "127.0.0.1" if self._bind == LISTEN_ALL else self._bind
        local = f"ws://{_host(here)}:{server.port}{WS_PATH}"
        return HostedCall(room, local, token, link, server.port, addresses)

    async def stop(self) -> None:
        """Stop the LAN server (calls on it end for whoever is left)."""
        server, self.server = self.server, None
        if server is not None:
            await server.stop()


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
