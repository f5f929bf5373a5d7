"""Each room's media mode, mesh or SFU, and when it moves: :class:`MediaModes`.

``--sfu always`` puts every call through the SFU, ``never`` none. ``auto`` starts a call
as a mesh and moves it to the SFU when participant ``mesh_max + 1`` joins; it moves back
when the call is down to ``mesh_max - 1`` (at least 1): one participant of hysteresis,
so that someone joining and leaving at the boundary does not move the whole call each
time (docs/sfu.md). Participants who are reconnecting count: they hold their seats.
"""

from __future__ import annotations

import logging

from parley.protocol.sfu import MediaMode
from parley.server.config import ServerConfig

log = logging.getLogger("parley.server.sfu")


def next_mode(current: str | None, participants: int, sfu: str, mesh_max: int,
              has_janus: bool) -> str:
    """The mode a room of ``participants`` takes, coming from ``current`` (None: new)."""
    if not has_janus or sfu == "never":
        return "mesh"
    if sfu == "always":
        return "sfu"
    if participants > mesh_max:
        return "sfu"
    if current == "sfu" and participants > max(mesh_max - 1, 1):
        return "sfu"
    return "mesh"


class MediaModes:
    """The media mode of every room with someone in it.

    Args:
        config: ``sfu``, ``mesh_max``, ``janus_urls``.
    """

    def __init__(self, config: ServerConfig) -> None:
        self._sfu = config.sfu
        self._mesh_max = config.mesh_max
        self._janus = bool(config.janus_urls)
        self._rooms: dict[str, MediaMode] = {}

    @property
    def possible(self) -> bool:
        """Whether any room can ever be on the SFU."""
        return self._janus and self._sfu != "never"

    def of(self, session_id: str) -> str:
        """The room's mode now (what a welcome says)."""
        mode = self._rooms.get(session_id)
        return mode.mode if mode is not None else next_mode(
            None, 1, self._sfu, self._mesh_max, self._janus)

    def prepares(self, session_id: str, participants: int) -> bool:
        """Whether a mesh room's Janus side is made ahead of its move (``auto``): it is
        one participant from the SFU (``mesh_max``), so the room and every seat's
        publisher are ready when the move comes, off the move's critical path."""
        return (self._janus and self._sfu == "auto" and self.of(session_id) == "mesh"
                and participants >= self._mesh_max)

    def rooms(self) -> list[str]:
        """The rooms with a mode (someone in them)."""
        return list(self._rooms)

    def generation(self, session_id: str) -> int:
        mode = self._rooms.get(session_id)
        return mode.generation if mode is not None else 0

    def small(self, participants: int) -> bool:
        """Whether a call of ``participants`` fits the mesh (``auto``: at most
        ``mesh_max``): a room whose Janus node died then goes back to the mesh."""
        return self._sfu == "auto" and participants <= self._mesh_max

    def force_mesh(self, session_id: str) -> MediaMode | None:
        """Put an SFU room back on the mesh whatever its size (its Janus node died, and
        it is small enough or no node is left): the move to announce, if it moves."""
        current = self._rooms.get(session_id)
        if current is None or current.mode == "mesh":
            return None
        moved = self._rooms[session_id] = MediaMode("mesh", current.generation + 1)
        log.info("event=media_mode room=%s mode=mesh generation=%d reason=node_lost",
                 session_id, moved.generation)
        return moved

    def update(self, session_id: str, participants: int,
               sfu_up: bool = True) -> MediaMode | None:
        """The room now has ``participants``: the move to announce, if it moves.
        ``sfu_up``: some Janus node may take a room (False: none is, a room stays on
        the mesh)."""
        current = self._rooms.get(session_id)
        if participants <= 0:
            self._rooms.pop(session_id, None)
            return None
        mode = next_mode(current.mode if current else None, participants, self._sfu,
                         self._mesh_max, self._janus and sfu_up)
        if current is None:
            self._rooms[session_id] = MediaMode(mode, 0)
            return None
        if mode == current.mode:
            return None
        moved = self._rooms[session_id] = MediaMode(mode, current.generation + 1)
        log.info("event=media_mode room=%s mode=%s generation=%d participants=%d",
                 session_id, mode, moved.generation, participants)
        return moved
