"""Invite links: what "Copy invite link" produces and what the join screen accepts.

Parley's invite link (the one format the app writes)::

    parley://join/<session-id>?server=<call server URL, percent-encoded>[&token=<join token>]

e.g. ``parley://join/standup?server=ws%3A%2F%2F192.168.1.20%3A8787%2Fws``.
``server`` is omitted when the inviter used a server the invitee cannot know
better than "the built-in one" (never for a real address). The join screen also
accepts, pasted into the session field:

* a web-style link ``https://host[:port]/join/<session-id>[?token=...]``, which
  means the call server at ``wss://host[:port]/ws`` (``http://`` gives ``ws://``);
* a bare session id: 1-64 characters of ``A-Z a-z 0-9 _ . -``.

Pure functions, no Qt: the desktop entry point and the tests use them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
SCHEME = "parley"


@dataclass(frozen=True)
class Invite:
    """A parsed invite."""

    session_id: str
    """The call's session id."""
    server: str | None = None
    """The call server's WebSocket URL, or None for "the one you already use"."""
    token: str | None = None
    """A room-scoped join token, when the server requires one."""


def is_valid_session_id(text: str) -> bool:
    """True if ``text`` is a well-formed session id."""
    return SESSION_ID_PATTERN.fullmatch(text) is not None


def format_invite(session_id: str, server: str | None = None, token: str | None = None) -> str:
    """The ``parley://join/...`` link for a session."""
    if not is_valid_session_id(session_id):
        raise ValueError(f"not a valid session id: {session_id!r}")
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
            raise ValueError(
                "A session id is 1-64 letters, digits, '.', '_' or '-' (no spaces)."
            )
        return Invite(text)
    parts = urlsplit(text)
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
        server = f"{ws_scheme}://{parts.netloc}/ws"
    else:
        raise ValueError(f"Links starting with {parts.scheme}:// are not Parley invites.")
    if not is_valid_session_id(session_id):
        raise ValueError(f"The invite names an invalid session id: {session_id!r}.")
    if server is not None and urlsplit(server).scheme not in ("ws", "wss"):
        raise ValueError("The invite's server must be a ws:// or wss:// address.")
    return Invite(session_id, server, token)


def normalize_server(text: str) -> str:
    """A call server address as typed -> a WebSocket URL ("" stays "": built-in server).

    ``host:port`` becomes ``ws://host:port/ws``; ``http(s)://`` becomes ``ws(s)://``;
    a URL without a path gets ``/ws``.

    Raises:
        ValueError: With a message fit to show the user.
    """
    text = text.strip()
    if not text:
        return ""
    if "://" not in text:
        text = "ws://" + text
    parts = urlsplit(text)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError("The server must look like ws://host:port/ws (or host:port).")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ValueError("The server's port must be a number from 1 to 65535.") from None
    path = parts.path if parts.path not in ("", "/") else "/ws"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{parts.netloc}{path}{query}"
