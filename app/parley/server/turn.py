"""Ephemeral TURN credentials, in coturn's REST-API scheme (use-auth-secret).

For each participant, at every join or resume::

    username   = "<expiry unix time>:<participant id>"
    credential = base64(HMAC-SHA1(turn secret, username))

coturn, configured with ``use-auth-secret`` and ``static-auth-secret=<turn
secret>``, recomputes the credential from the username and refuses it after
the expiry. Nothing is stored: the server and coturn only share the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from parley.protocol.messages import IceServer
from parley.server.config import ServerConfig


def turn_credentials(secret: bytes, participant_id: str, ttl: float,
                     now: float) -> tuple[str, str]:
    """(username, credential) valid for ``ttl`` seconds from ``now``."""
    username = f"{int(now + ttl)}:{participant_id}"
    mac = hmac.new(secret, username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(mac).decode("ascii")


def ice_servers_for(config: ServerConfig, participant_id: str,
                    now: float) -> tuple[IceServer, ...]:
    """What ``welcome.ice_servers`` tells ``participant_id``: the static STUN servers,
    then one entry (an RTCIceServer) holding every TURN URL, in the configured
    order - the order to try them in - with credentials minted for this participant."""
    if not config.turn_urls or config.turn_secret is None:
        return config.ice_servers
    username, credential = turn_credentials(config.turn_secret, participant_id,
                                            config.turn_ttl, now)
    return (*config.ice_servers,
            IceServer(urls=config.turn_urls, username=username, credential=credential))
