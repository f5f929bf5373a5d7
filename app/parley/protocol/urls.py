"""The server-address rule: what a person types as a call server -> the URL that is dialled.

One rule serves the join screen, ``parley --server``, invites and the SDK, so the
URL the app shows and writes into an invite is the URL the SDK dials:

* surrounding blanks are ignored; empty text stays ``""`` (no address given:
  the caller picks its default);
* no scheme means ``ws://`` (``host:port`` -> ``ws://host:port/ws``);
  ``http://`` becomes ``ws://`` and ``https://`` becomes ``wss://``; any other
  scheme is refused;
* a host is required; a port, if given, is 1-65535;
* no path (or just ``/``) means the server's own path, ``/ws``; any other path is
  kept as written, since a reverse proxy may serve the call server under its own;
* the query is kept; a fragment is dropped (it never reaches the server);
* blanks or invisible (control) characters inside the address are refused.

Normalising a normalised URL gives it back unchanged.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from parley.protocol.defaults import ACCESS_KEY_PARAM, WS_PATH

WS_SCHEMES = ("ws", "wss")
_WS_SCHEME_OF = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_SHAPE = "The server must look like ws://host:port/ws (or host:port)."


def normalize_server_url(text: str) -> str:
    """The WebSocket URL of the call server at ``text`` ("" stays "": none given).

    Raises:
        ValueError: With a message fit to show the user.
    """
    text = text.strip()
    if not text:
        return ""
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError("The server address must not contain spaces or invisible characters.")
    if "://" not in text:
        text = "ws://" + text
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValueError(_SHAPE) from None
    scheme = _WS_SCHEME_OF.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ValueError(_SHAPE)
    try:
        port = parts.port
    except ValueError:  # not a number, or over 65535
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("The server's port must be a number from 1 to 65535.")
    path = parts.path if parts.path not in ("", "/") else WS_PATH
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{parts.netloc}{path}{query}"


def without_access_key(url: str) -> str:
    """``url`` without its access key (``?key=``): what may be shown or shared."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k != ACCESS_KEY_PARAM]
    return urlunsplit(parts._replace(query=urlencode(kept)))
