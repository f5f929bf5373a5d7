"""The route of the call's media (media/route.py) without other participants: a move
keeps the same sources, starts the new path (the SFU path publishes), ignores an older
generation, and the old path no longer takes signals."""

from __future__ import annotations

import asyncio

from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.mesh import MediaMesh
from parley.media.route import MediaRoute
from parley.media.sfu import SfuMedia
from parley.protocol.base import Message
from parley.protocol.sfu import SfuLeave, SfuPublish


async def test_a_move_with_nobody_else_ends_at_once_on_the_same_sources() -> None:
    sent: list[Message] = []
    published = asyncio.Event()

    def send_sfu(message: Message) -> None:
        sent.append(message)
        if isinstance(message, SfuPublish):
            published.set()

    route = MediaRoute("a", MediaConfig(fake_media=True, video=False), "mesh",
                       lambda m: None, send_sfu, MeshEvents())
    await route.start()
    try:
        sources = route.sources
        microphone = sources.local.audio.source
        assert isinstance(route.path, MediaMesh) and route.mode == "mesh"
        assert route.move_to("sfu", generation=1)
        assert isinstance(route.path, SfuMedia) and route.next_path is None  # nobody to wait for
        assert route.path.sources is sources and sources.local.audio.source is microphone
        async with asyncio.timeout(5):
            await published.wait()  # the new path published on the same microphone
        assert not route.move_to("mesh", generation=0)  # older than the one seen
        assert not route.move_to("sfu", generation=1)  # already there
        assert not route.move_to("carrier-pigeon")
        assert route.move_to("mesh", generation=2) and isinstance(route.path, MediaMesh)
        assert not any(isinstance(m, SfuLeave) for m in sent)  # the SFU path still sends
    finally:
        await route.close()
    assert sources.local.audio.source is None  # the route owns the sources: closed
