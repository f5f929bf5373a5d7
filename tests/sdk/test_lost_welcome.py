"""A resume whose welcome is lost on the way: the SDK resumes again and keeps its seat.

Bob's link to the real call server goes through a TCP relay on loopback (a real
network hop the test controls). The relay cuts his link, and on his first resume
it passes the WebSocket upgrade but loses everything the server says after it - the
welcome with his next resume token. Bob still holds only the token he spent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from parley.sdk import CallSession, SessionSettings, SessionState
from parley.server import CallServer
from tests.sdk.recorder import Recorder

_HEADERS_END = b"\r\n\r\n"


class Relay:
    """A TCP relay in front of the call server that can cut links and lose replies."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.url = ""
        """The server's WebSocket URL through the relay (after start)."""
        self.lose_replies = 0
        """How many of the next connections lose everything after the HTTP upgrade."""
        self.lost = 0
        """Bytes of replies lost so far."""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/ws"

    def cut(self) -> None:
        """Close every connection now (both ends see the link die)."""
        for writer in list(self._writers):
            writer.close()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, down_r: asyncio.StreamReader, down_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self._target)
        lose = self.lose_replies > 0
        self.lose_replies -= lose
        self._writers |= {down_w, up_w}
        try:
            await asyncio.gather(self._pipe(down_r, up_w, lose=False),
                                 self._pipe(up_r, down_w, lose=lose))
        finally:
            for writer in (down_w, up_w):
                self._writers.discard(writer)
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    lose: bool) -> None:
        state = "headers" if lose else "passing"
        head = b""
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if state == "losing":
                    self.lost += len(data)
                    continue
                if state == "headers":
                    head += data
                    end = head.find(_HEADERS_END)
                    if end >= 0:  # the upgrade is through: what follows is lost
                        after = len(head) - (end + len(_HEADERS_END))
                        self.lost += after
                        data = data[:len(data) - after]
                        state = "losing"
                writer.write(data)
                await writer.drain()
        writer.close()


@pytest.fixture
async def relay(server: CallServer) -> AsyncIterator[Relay]:
    r = Relay(server.port)
    await r.start()
    yield r
    await r.stop()


async def _joined(url: str, name: str) -> tuple[CallSession, Recorder]:
    session, rec = CallSession(), Recorder()
    session.add_session_status_listener(rec.status_listener())
    session.add_participant_event_listener(rec.participant_listener())
    await session.join_session("standup", SessionSettings(name, media=False), server=url)
    return session, rec


async def test_a_resume_whose_welcome_is_lost_resumes_again_and_keeps_the_seat(
        server: CallServer, relay: Relay) -> None:
    ada, ada_rec = await _joined(server.url, "Ada")
    bob, bob_rec = await _joined(relay.url, "Bob")
    await ada_rec.wait("on_participant_joined")
    assert bob.local_participant is not None
    bob_id = bob.local_participant.id
    relay.lose_replies = 1
    relay.cut()
    # Bob sees "Reconnecting…", then the call again: not "you left", not an error.
    await bob_rec.wait("on_connection_lost")
    await bob_rec.wait("on_connection_restored", timeout=10)
    assert relay.lost > 0, "the first resume's welcome was not lost: the test proved nothing"
    assert bob_rec.status_names() == [
        "on_session_joined", "on_connection_lost", "on_connection_restored"]
    assert bob.state is SessionState.JOINED
    assert bob.local_participant is not None and bob.local_participant.id == bob_id
    # He is really back: Ada sees his hand go up, and everything she saw before it.
    bob.raise_hand()
    await ada_rec.wait("on_hand_raised")
    seen = [n for n in ada_rec.names if n.startswith("on_participant")]
    # Ada saw Bob reconnecting (once or twice: each dead link) and back, never leaving.
    assert seen[0] == "on_participant_joined" and "on_participant_left" not in seen, seen
    flips = seen[1:]
    assert flips and flips[-1] == "on_participant_restored", seen
    assert flips.count("on_participant_reconnecting") <= flips.count("on_participant_restored")
    assert [p.name for p in ada.participants] == ["Ada", "Bob"]
    await bob.leave_session()
    await ada.leave_session()
