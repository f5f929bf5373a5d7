"""parley.server: the call server — rooms, presence, relay, heartbeats and resume.

Embed it::

    from parley.server import CallServer, ServerConfig

    async with CallServer(ServerConfig(port=0)) as server:
        ...  # clients connect to server.url

or run ``parley-server --help``.
"""

from parley.server.app import CallServer
from parley.server.config import ServerConfig

__all__ = ["CallServer", "ServerConfig"]
