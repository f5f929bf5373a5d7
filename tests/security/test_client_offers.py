"""The client against hostile signalling: offers from someone not in the room are never
answered, and a room member's offer flood costs at most one new connection a second
while the rest of the call goes on. Real SDK sessions with synthetic media, a real
server on loopback (or a fake one that lies about who sent what), a raw hostile client."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from parley.protocol.messages import (
    Answer,
    Join,
    Offer,
    ParticipantInfo,
    Ping,
    Pong,
    Welcome,
    decode,
    encode,
)
from parley.sdk import CallSession, ParticipantEventListener, SessionSettings
from parley.server import CallServer
from tests.security.conftest import Connect
from tests.security.hostile import ROLES, Hostile, candidate, offer_sdp, with_candidates

pytestmark = pytest.mark.slow

FLOOD_SECONDS = 4.0
LOOPBACK_TARGET = candidate("127.77.0.1", 61001, 0)
"""Where the hostile offers point ICE: a loopback address nothing listens on (dropped
by the client anyway: no TURN server of its own is on loopback)."""
GENEROUS = {"rate_per_second": 500.0, "rate_burst": 1000, "flood_drops": 1_000_000,
            "relay_bytes_per_second": 8 << 20, "relay_burst_bytes": 8 << 20,
            "seat_relay_bytes_per_second": 8 << 20, "seat_relay_burst_bytes": 8 << 20}
"""Server budgets that let the whole flood through: the client's own defence is tested."""


@dataclass
class Frames:
    """Video frames a session receives from one participant, with when they came."""

    pid: str = ""
    times: list[float] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def sink(self, pid: str, frame: Any) -> None:
        if pid == self.pid:
            self.times.append(time.monotonic())
            self.arrived.set()

    async def wait(self, count: int, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while len(self.times) < count:
                self.arrived.clear()
                await self.arrived.wait()


def events_about(session: CallSession, pid: str) -> list[str]:
    seen: list[str] = []

    def note(name: str) -> Callable[[Any], None]:
        return lambda p: seen.append(name) if p is not None and p.id == pid else None
    session.add_participant_event_listener(ParticipantEventListener(
        on_media_stalled=note("on_media_stalled"),
        on_participant_reconnecting=note("on_participant_reconnecting"),
        on_participant_left=note("on_participant_left")))
    return seen


@pytest.fixture
async def sessions() -> AsyncIterator[Callable[[], CallSession]]:
    made: list[CallSession] = []

    def make() -> CallSession:
        made.append(CallSession())
        return made[-1]
    yield make
    for session in made:
        await session.leave_session()


async def test_an_offer_flood_from_a_member_rebuilds_one_connection_a_second_and_the_call_goes_on(
        servers: Callable[..., Awaitable[CallServer]], connect: Connect,
        sessions: Callable[[], CallSession]) -> None:
    """What the user sees: Lee's video keeps playing, and nobody is shown reconnecting,
    while Mal floods the victim with 40 offers a second."""
    server = await servers(**GENEROUS)
    victim, legit = sessions(), sessions()
    await victim.join_session("room", SessionSettings("Vic", fake_media=True), server=server.url)
    await legit.join_session("room", SessionSettings("Lee", fake_media=True), server=server.url)
    assert victim.local_participant is not None and legit.local_participant is not None
    frames = Frames(legit.local_participant.id)
    victim.add_video_sink(frames.sink)
    await frames.wait(10)  # the legitimate call is up
    about_lee = events_about(victim, legit.local_participant.id)

    mal = await connect(server)
    await mal.join("room", "Mal")
    hostile = Hostile(mal)
    hostile.start()
    sdp = with_candidates(await offer_sdp(), [LOOPBACK_TARGET])
    before = len(frames.times)
    started = time.monotonic()
    sent = await hostile.flood_offers(victim.local_participant.id, sdp, 40, FLOOD_SECONDS)
    elapsed = time.monotonic() - started
    last = sent  # generations 1..sent: the latest offer must be the one answered last
    async with asyncio.timeout(15):
        while not hostile.answers or hostile.answers[-1].generation != last:
            await asyncio.sleep(0.05)
    await hostile.close()

    assert sent >= 0.8 * 40 * FLOOD_SECONDS  # the flood really was 40 a second
    answered = len(hostile.answers)
    assert 2 <= answered <= elapsed + 3, (answered, sent, elapsed)  # ~1 a second, not 160
    during = [t for t in frames.times[before:] if t <= started + elapsed]
    assert len(during) >= elapsed, f"{len(during)} frames from Lee in {elapsed:.1f} s"
    assert about_lee == []  # Lee was never shown stalled or reconnecting


class LyingServer:
    """A call server that welcomes the client into a room with Lee, then relays whatever
    the test gives it, ``from`` whoever the test says (a compromised or buggy server)."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[Any] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None
        self.joined = asyncio.Event()
        self.server: TestServer | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.url = f"ws://127.0.0.1:{self.server.port}/ws"

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = self.ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for raw in ws:
            if raw.type is not aiohttp.WSMsgType.TEXT:
                continue
            msg = decode(raw.data)
            if isinstance(msg, Join):
                await ws.send_str(encode(Welcome(
                    session_id=msg.session_id, participant_id="p-zz-vic",
                    participants=(ParticipantInfo("p-zz-vic", "Vic"),
                                  ParticipantInfo("p-aa-lee", "Lee")),
                    resume_token="r" * 32, heartbeat_interval=1.0, heartbeat_timeout=30.0,
                    departure_timeout=5.0)))
                self.joined.set()
            elif isinstance(msg, Ping):
                await ws.send_str(encode(Pong(t=msg.t)))
            else:
                await self.received.put(msg)
        return ws

    async def relay(self, msg: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(encode(msg))

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()


async def test_an_offer_from_someone_not_in_the_room_is_never_answered(
        sessions: Callable[[], CallSession], caplog: pytest.LogCaptureFixture) -> None:
    """What the user sees: nothing of the stranger (no tile, no connection); the log
    names whose offer was dropped. Lee, who is in the room, is answered as always."""
    fake = LyingServer()
    await fake.start()
    victim = sessions()
    try:
        await victim.join_session("room", SessionSettings("Vic", fake_media=True),
                                  server=fake.url)
        sdp = with_candidates(await offer_sdp(), [LOOPBACK_TARGET])
        with caplog.at_level(logging.WARNING, "parley.media.gate"):
            await fake.relay(Offer(sdp=sdp, tracks=ROLES, sender="p-mm-mallory"))
            await fake.relay(Offer(sdp=sdp, tracks=ROLES, sender="p-aa-lee"))
            async with asyncio.timeout(20):
                while True:
                    msg = await fake.received.get()
                    if isinstance(msg, Answer):
                        break
        assert msg.to == "p-aa-lee"  # the stranger's offer came first, and was not answered
        assert "p-mm-mallory" not in victim.stats()  # no connection was ever made for it
        assert "p-aa-lee" in victim.stats()
        assert "reason=not_in_roster from=p-mm-mallory type=offer" in caplog.text
    finally:
        await victim.leave_session()  # before the server stops: it waits for its sockets
        await fake.stop()
