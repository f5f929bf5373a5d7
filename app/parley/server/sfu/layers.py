"""The camera layers through Janus (issue 17; docs/sfu.md, *Layers*): what a seat's
subscriber receives of each publisher, and how its m-lines read.

A Parley publisher sends its camera as two video streams, its full and its low layer
(aiortc sends no simulcast), and says which m-line is which (``sfu_publish``'s
``tracks``); the server gives them to Janus as the streams' ``descriptions``. A
subscriber receives one layer of each publisher (the one it asked for with
``sfu_layer``, :data:`DEFAULT_LAYER` until it asks); a change of layer is VideoRoom's
``switch``: the subscriber m-line's source changes, with no renegotiation (the same
codec on both layers), and Janus asks the new source for a keyframe.
"""

from __future__ import annotations

import logging
from typing import Any

from parley.protocol.sfu import SFU_LAYERS, SfuLayer, SfuStream, SfuTrack
from parley.server.sfu.seats import JanusRoom, JanusSeat

log = logging.getLogger("parley.server.sfu")

DEFAULT_LAYER = "low"
"""The layer a subscriber receives of a publisher before it asks (the cheapest: a
browser guest's grid, or a client that has not said yet)."""


def description(track: SfuTrack) -> str:
    """The stream's description in Janus (``camera``, ``camera-low``, ``audio``)."""
    return track.role if track.layer == "full" or track.role != "camera" \
        else f"{track.role}-{track.layer}"


def descriptions(tracks: tuple[SfuTrack, ...]) -> list[dict[str, str]]:
    """VideoRoom's ``descriptions`` of a publish request."""
    return [{"mid": t.mid, "description": description(t)} for t in tracks]


def camera_mids(seat: JanusSeat) -> dict[str, str]:
    """The mid of each layer ``seat`` publishes of its camera."""
    return {t.layer: t.mid for t in seat.tracks if t.role == "camera" and t.layer in SFU_LAYERS}


def subscription(owner: JanusSeat, layer: str) -> list[dict[str, Any]]:
    """The streams of ``owner``'s feed a subscriber asks Janus for: its audio and one
    layer of its camera (``layer``, or the one it has); all its streams when it did
    not say what it sends (one camera, no layers)."""
    if not owner.tracks:
        return [{"feed": owner.feed}]
    streams: list[dict[str, Any]] = [{"feed": owner.feed, "mid": t.mid}
                                     for t in owner.tracks if t.role == "audio"]
    mids = camera_mids(owner)
    mid = mids.get(layer) or mids.get("full") or next(iter(mids.values()), None)
    if mid is not None:
        streams.append({"feed": owner.feed, "mid": mid})
    return streams


def layer_of(owner: JanusSeat, feed_mid: object) -> str:
    """The layer a publisher's stream of ``feed_mid`` carries."""
    return next((t.layer for t in owner.tracks if t.mid == str(feed_mid)), "full")


def subscriber_streams(room: JanusRoom, streams: list[dict[str, Any]]) -> dict[str, SfuStream]:
    """The subscriber m-lines Janus lists (its ``streams``), by mid: whose media, which
    role and layer (inactive ones and ones of a publisher gone are left out)."""
    out = {}
    for stream in streams:
        owner = room.owner(stream.get("feed_id", -1))
        kind = {"audio": "audio", "video": "camera"}.get(str(stream.get("type")))
        if owner is not None and kind is not None and stream.get("active", True):
            mid = str(stream["mid"])
            layer = layer_of(room.seats[owner], stream.get("feed_mid")) \
                if kind == "camera" else "full"
            out[mid] = SfuStream(mid=mid, participant_id=owner, role=kind, layer=layer)
    return out


def switch_request(seat: JanusSeat, owner: JanusSeat, pid: str, layer: str
                   ) -> dict[str, Any] | None:
    """VideoRoom's ``switch`` that moves ``seat``'s m-line of ``pid``'s camera
    (published by ``owner``) to ``layer``; None when there is nothing to switch (not
    received yet, on that layer already, or no such layer published)."""
    sub_mid = next((s.mid for s in seat.streams.values()
                    if s.participant_id == pid and s.role == "camera"), None)
    target = camera_mids(owner).get(layer)
    if sub_mid is None or target is None or seat.streams[sub_mid].layer == layer:
        return None
    return {"request": "switch",
            "streams": [{"feed": owner.feed, "mid": target, "sub_mid": sub_mid}]}


async def switch(seat: JanusSeat, pid: str) -> SfuLayer | None:
    """Move ``seat``'s m-line of ``pid``'s camera to the layer it asked for (Janus's
    ``switch``: no renegotiation); the ``sfu_layer`` to tell the client, or None when
    nothing changed. One not received yet starts on that layer (its subscription)."""
    async with seat.lock:  # not in the middle of a subscriber negotiation
        room = seat.room
        owner = room.seats.get(pid) if room is not None else None
        if room is None or owner is None or seat.subscriber is None or seat.gone:
            return None
        layer = seat.wanted.get(pid, DEFAULT_LAYER)
        request = switch_request(seat, owner, pid, layer)
        if request is None:
            return None
        answer = await room.janus.message(seat.subscriber, request)
        data = answer.get("plugindata", {}).get("data", {})
        if "streams" in data:
            seat.streams = subscriber_streams(room, data["streams"])
        log.info("event=sfu_layer room=%s participant=%s of=%s layer=%s changes=%s",
                 room.session_id, seat.key[1], pid, layer, data.get("changes"))
        return SfuLayer(pid, layer)
