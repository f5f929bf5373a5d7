"""How the app shows each remote participant, which the call's media reads to choose
what it receives (through the SFU: the layer of each participant's camera; docs/sfu.md,
*Layers*). In the spirit of LiveKit's adaptive stream: the UI says the size of each
tile, the SDK picks the quality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from parley.media.layer_choice import Views


class LayerSource(Protocol):
    """What the call's media says of the layers it receives (``CallMedia``)."""

    def received_layer(self, pid: str) -> str | None: ...


class ParticipantViews:
    """The part of :class:`~parley.sdk.session.CallSession` that hears how the UI shows
    each remote participant. What it is told outlives a join: a tile's size said before
    the media starts (or across a move between mesh and SFU) counts."""

    def __init__(self, media: Callable[[], LayerSource | None]) -> None:
        self._views = Views()
        self._layers_of = media

    def set_participant_view(self, participant_id: str, width: int, height: int) -> None:
        """``participant_id``'s video is shown ``width`` x ``height`` pixels large now
        (0 x 0: not shown). Through the SFU a tile larger than the low layer (either
        side 1.25 x 320x240 or more) gets the full layer, a small one the low layer;
        the dominant speaker gets the full one; the link's estimate may lower any."""
        self._views.set(participant_id, width, height)

    def clear_participant_view(self, participant_id: str) -> None:
        """Forget how ``participant_id`` is shown: the SDK chooses the full layer for it
        again (as for a participant nobody said anything of), link permitting."""
        self._views.clear(participant_id)

    def participant_view(self, participant_id: str) -> tuple[int, int] | None:
        """The size ``participant_id`` is shown at, as last said (None: nothing said)."""
        view = self._views.sizes.get(participant_id)
        return None if view is None else (view.width, view.height)

    def received_layer(self, participant_id: str) -> str | None:
        """The layer of ``participant_id``'s camera this call receives now through the
        SFU (``full`` or ``low``); None in a mesh, or before it is received."""
        media = self._layers_of()
        return None if media is None else media.received_layer(participant_id)
