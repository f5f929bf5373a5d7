"""The attack rig: the call-server fixtures (a real server on loopback, real WebSockets)."""

from __future__ import annotations

from tests.server.conftest import Client, Connect, config_for, connect, http, server, servers

__all__ = ["Client", "Connect", "config_for", "connect", "http", "server", "servers"]
