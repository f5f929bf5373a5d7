"""Defaults every side of the wire agrees on: the call server's port and WebSocket path."""

from __future__ import annotations

DEFAULT_PORT = 8787
"""The call server's TCP port when nobody chose one (``parley-server``, the built-in server)."""

WS_PATH = "/ws"
"""The path the call server serves its WebSocket on; an address without a path gets it."""

DEFAULT_SERVER_URL = f"ws://127.0.0.1:{DEFAULT_PORT}{WS_PATH}"
"""What the SDK dials when ``join_session`` is given no server."""

ACCESS_KEY_PARAM = "key"
"""The query parameter that carries a server's access key (the built-in server's
per-launch secret). It is the dialler's own secret: never put it in an invite."""
