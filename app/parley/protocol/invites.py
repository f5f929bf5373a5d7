"""Invite links: what "Copy invite link" produces and what the join screen accepts.

Parley's invite link (the one format the app writes)::

    parley://join/<session-id>?server=<call server URL, percent-encoded>
        [&server=<the same server through another address>...][&token=<join token>]

e.g. ``parley://join/standup?server=ws%3A%2F%2F192.168.1.20%3A8787%2Fws``. A host
with several networks names the same server through each address, best first, as
a repeated ``server`` (at most :data:`MAX_SERVERS`); the invitee dials them in
that order. ``server`` is omitted when the inviter used a server the invitee cannot know
better than "the built-in one" (never for a real address). The server is
written and read through :func:`~parley.protocol.urls.normalize_server_url`, so
an invite names exactly the URL the SDK dials. The join screen also accepts,
pasted into the session field:

* a web-style link ``https://host[:port]/join/<session-id>[?token=...]``, which
  means the call server at ``wss://host[:port]/ws`` (``http://`` gives ``ws://``);
* a bare session id (:mod:`parley.protocol.ids`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from parley.protocol.defaults import WS_PATH
from parley.protocol.ids import MAX_SESSION_ID_LENGTH, is_valid_session_id
from parley.protocol.urls import WS_SCHEMES, normalize_server_url

SCHEME = "parley"
MAX_SERVERS = 8
"""The most call-server addresses one invite may name."""


@dataclass(frozen=True)
class Invite:
    """A parsed invite."""

    session_id: str
    """The call's session id."""
    server: str | None = None
    """The call server's WebSocket URL (normalised), or None for "the one you already use"."""
    token: str | None = None
    """A room-scoped join token, when the server requires one."""
    servers: tuple[str, ...] = field(default=())
    """Every call-server URL the invite names, in order (``server`` is the first); the
    ones after it are alternates for a host on several networks."""

    def __post_init__(self) -> None:
        if not self.servers and self.server is not None:
            object.__setattr__(self, "servers", (self.server,))
        elif self.servers and self.server is None:
            object.__setattr__(self, "server", self.servers[0])
        if self.servers and self.servers[0] != self.server:
            raise ValueError("an invite's server is the first of its servers")

    @property
    def alternates(self) -> tuple[str, ...]:
        """The servers after the first (to try in order when the first is unreachable)."""
        return self.servers[1:]


def format_invite(session_id: str, server: str | None = None, token: str | None = None, *,
                  alternates: Sequence[str] = ()) -> str:
    """The ``parley://join/...`` link for a session.

    Args:
        session_id: The call's session id.
        server: The call server (None: "the one you already use").
        token: A join token.
        alternates: The same server through other addresses, best first; written after
            ``server`` as more ``server`` parameters (duplicates dropped).

    Raises:
        ValueError: ``session_id`` is not a valid session id, a server not a call
            server address, or more than :data:`MAX_SERVERS` of them.
    """
    if not is_valid_session_id(session_id):
        raise ValueError(f"not a valid session id: {session_id!r}")
    servers = _distinct(normalize_server_url(s) for s in (server, *alternates) if s)
    if len(servers) > MAX_SERVERS:
        raise ValueError(f"an invite names at most {MAX_SERVERS} servers")
    query = [("server", s) for s in servers] + ([("token", token)] if token else [])
    suffix = "?" + urlencode(query, quote_via=quote) if query else ""
    return f"{SCHEME}://join/{session_id}{suffix}"


def _distinct(servers: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(servers))


def _one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values and values[0] else None


def parse_invite(text: str) -> Invite:
    """Parse an invite link or a bare session id.

    Raises:
        ValueError: With a message fit to show the user.
    """
    text = text.strip()
    if not text:
        raise ValueError("Enter a session id or paste an invite link.")
    if "://" not in text:
        if not is_valid_session_id(text):
            raise ValueError(f"A session id is 1-{MAX_SESSION_ID_LENGTH} letters, digits, "
                             "'.', '_' or '-' (no spaces).")
        return Invite(text)
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValueError("That link is not a Parley invite.") from None
    query = parse_qs(parts.query)
    token = _one(query, "token")
    if parts.scheme == SCHEME:
        # parley://join/<id>: "join" is the netloc, the id the path.
        if parts.netloc != "join":
            raise ValueError("That parley:// link is not an invite (expected parley://join/...).")
        session_id = parts.path.strip("/")
        named = [s for s in query.get("server", []) if s]
    elif parts.scheme in ("http", "https"):
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[-2] != "join":
            raise ValueError("That link is not a Parley invite (expected .../join/<session>).")
        session_id = segments[-1]
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        named = [f"{ws_scheme}://{parts.netloc}{WS_PATH}"]
    else:
        raise ValueError(f"Links starting with {parts.scheme}:// are not Parley invites.")
    if not is_valid_session_id(session_id):
        raise ValueError(f"The invite names an invalid session id: {session_id!r}.")
    if len(named) > MAX_SERVERS:
        raise ValueError(f"The invite names more than {MAX_SERVERS} servers.")
    for server in named:
        if server.partition("://")[0].lower() not in WS_SCHEMES:
            raise ValueError("The invite's server must be a ws:// or wss:// address.")
    servers = _distinct(normalize_server_url(s) for s in named)
    return Invite(session_id, servers[0] if servers else None, token, servers)
