"""Relaying a peer's offer, answer or candidate to another seat of the room, within the
sender's relay budget (docs/security.md): :func:`relay`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.messages import Answer, Candidate, Offer
from parley.server.budgets import RelayBudget, relay_size
from parley.server.config import ServerConfig
from parley.server.link import Link
from parley.server.rooms import Room, SeatKey


def relay(room: Room, key: SeatKey, message: Offer | Answer | Candidate,
          links: Mapping[SeatKey, Link], config: ServerConfig) -> None:
    """Hand ``message`` from the seat ``key`` to its target's live link (dropped while the
    target reconnects: it renegotiates after it resumes).

    Raises:
        ProtocolError: no target, an unknown one, or over the sender's relay budget.
    """
    if message.to is None:
        raise ProtocolError(ErrorCode.INVALID_FIELD, "to: missing (whom to relay to)")
    target = room.seats.get(message.to)
    if target is None or target.id == key[1]:
        raise ProtocolError(ErrorCode.UNKNOWN_PARTICIPANT,
                            f"no participant {message.to!r} in this room")
    link = links.get((key[0], target.id))
    if target.reconnecting or link is None:
        return  # the target renegotiates after it resumes; stale signalling is useless
    sender = room.seats[key[1]]
    now = asyncio.get_running_loop().time()
    if sender.relay is None:
        sender.relay = RelayBudget.for_config(config, now)
    refused = sender.relay.allow(target.id, relay_size(message), now)
    if refused is not None:
        raise ProtocolError(ErrorCode.RATE_LIMITED, f"{refused}; this one was dropped")
    link.send(replace(message, sender=key[1]))
