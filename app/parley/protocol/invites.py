"""Invite links: what "Copy invite link" produces and what the join screen accepts.

Parley's invite link (the one format the app writes)::

    parley://join/<session-id>?server=<call server URL, percent-encoded>[&token=<join token>]

e.g. ``parley://join/standup?server=ws%3A%2F%2F192.168.1.20%3A8787%2Fws``.
``server`` is omitted when the inviter used a server the invitee cannot know
better than "the built-in one" (never for a real address). The server is
written and read through :func:`~parley.protocol.urls.normalize_server_url`, so
an invite names exactly the URL the SDK dials. The join screen also accepts,
pasted into the session field:

* a web-style link ``https://host[:port]/join/<session-id>[?token=...]``, which
  means the call server at ``wss://host[:port]/ws`` (``http://`` gives ``ws://``);
* a bare session id (:mod:`parley.protocol.ids`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from parley.protocol.defaults import WS_PATH
from parley.protocol.ids import MAX_SESSION_ID_LENGTH, is_valid_session_id
from parley.protocol.urls import WS_SCHEMES, normalize_server_url

SCHEME = "parley"


@dataclass(frozen=True)
class Invite:
    """A parsed invite."""

    session_id: str
    """The call's session id."""
    server: str | None = None
    """The call server's WebSocket URL (normalised), or None for "the one you already use"."""
    token: str | None = None
    """A room-scoped join token, when the server requires one."""


def format_invite(session_id: str, server: str | None = None, token: str | None = None) -> str:
    """The ``parley://join/...`` link for a session.

    Raises:
        ValueError: ``session_id`` is not a valid session id, or ``server`` not a
            call server address.
    """
    if not is_valid_session_id(session_id):
        raise ValueError(f"not a valid session id: {session_id!r}")
    server = normalize_server_url(server) if server else None
    query = {k: v for k, v in (("server", server), ("token", token)) if v}
    suffix = "?" + urlencode(query, quote_via=quote) if query else ""
    return f"{SCHEME}://join/{session_id}{suffix}"


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
        server = _one(query, "server")
    elif parts.scheme in ("http", "https"):
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[-2] != "join":
            raise ValueError("That link is not a Parley invite (expected .../join/<session>).")
        session_id = segments[-1]
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        server = f"{ws_scheme}://{parts.netloc}{WS_PATH}"
    else:
        raise ValueError(f"Links starting with {parts.scheme}:// are not Parley invites.")
    if not is_valid_session_id(session_id):
        raise ValueError(f"The invite names an invalid session id: {session_id!r}.")
    if server is not None:
        if server.partition("://")[0].lower() not in WS_SCHEMES:
            raise ValueError("The invite's server must be a ws:// or wss:// address.")
        server = normalize_server_url(server)
    return Invite(session_id, server, token)
