"""The welcome a seat gets when it joins or resumes: who is there, its resume token, the
heartbeat and departure timings, and the ICE servers (TURN credentials minted for it)."""

from __future__ import annotations

from parley.protocol.messages import Welcome
from parley.server.config import ServerConfig
from parley.server.rooms import Room, SeatKey
from parley.server.turn import ice_servers_for


def welcome_message(config: ServerConfig, room: Room, key: SeatKey, resume_token: str,
                    now: float, resumed: bool, recreated: bool = False,
                    media: str = "mesh") -> Welcome:
    """The ``welcome`` for the seat ``key`` of ``room`` (``now`` in the hub's clock;
    ``media``: the room's media mode now)."""
    return Welcome(
        session_id=key[0],
        participant_id=key[1],
        participants=room.participants(),
        resume_token=resume_token,
        heartbeat_interval=config.heartbeat_interval,
        heartbeat_timeout=config.client_heartbeat_timeout,
        departure_timeout=config.departure_timeout,
        ice_servers=ice_servers_for(config, key[1], now),
        resumed=resumed,
        room_recreated=recreated,
        media=media,
    )
