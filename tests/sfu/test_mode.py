"""The rule of a room's media mode (server/sfu/mode.py): mesh up to mesh_max, SFU above,
back to the mesh at mesh_max - 1 (one participant of hysteresis)."""

from __future__ import annotations

from parley.protocol.sfu import MediaMode
from parley.server.config import ServerConfig
from parley.server.sfu.mode import MediaModes, next_mode


def test_auto_moves_up_above_mesh_max_and_back_one_below_it() -> None:
    modes = MediaModes(ServerConfig(sfu="auto", mesh_max=4, janus_urls=("http://j/janus",)))
    assert modes.of("r") == "mesh"
    moves = [modes.update("r", n) for n in (1, 2, 3, 4, 5, 6, 5, 4, 3, 4, 5)]
    assert moves == [None, None, None, None, MediaMode("sfu", 1), None, None, None,
                     MediaMode("mesh", 2), None, MediaMode("sfu", 3)]
    assert modes.of("r") == "sfu" and modes.generation("r") == 3
    assert modes.update("r", 0) is None and modes.rooms() == []  # an empty room is forgotten


def test_always_never_and_no_janus() -> None:
    assert next_mode(None, 1, "always", 4, has_janus=True) == "sfu"
    assert next_mode("sfu", 9, "never", 4, has_janus=True) == "mesh"
    assert next_mode(None, 9, "auto", 4, has_janus=False) == "mesh"
    assert next_mode("sfu", 2, "auto", 2, has_janus=True) == "sfu"  # mesh_max 2: back at 1
    assert next_mode("sfu", 1, "auto", 2, has_janus=True) == "mesh"
    assert not MediaModes(ServerConfig(sfu="auto")).possible
