"""Three real CallSessions through parley-server --sfu always and a real Janus: each
sees and hears the other two, and a departure is seen as one (and the others' media goes
on). Outsiders knocking on Janus: tests/sfu/test_outsider.py."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from parley.sdk import CallSession, SessionSettings
from tests.sdk.recorder import Recorder
from tests.sdk.test_media_call import Viewer, wait_until
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus

pytestmark = pytest.mark.slow

ROOM = "sfu-call"


async def sfu_call(rig: SfuServer, names: list[str]) -> list[CallSession]:
    sessions = []
    for name in names:
        session = CallSession()
        # small video: three encoders and six decoders share 2 cores
        settings = SessionSettings(name, fake_media=True)
        await session.join_session(ROOM, settings, server=rig.server.url)
        sessions.append(session)
    return sessions


def others(session: CallSession) -> list[str]:
    return [p.id for p in session.participants if not p.is_local]


async def test_three_participants_see_and_hear_each_other_through_janus(
        sfu_server: SfuServer) -> None:
    sessions = await sfu_call(sfu_server, ["Ada", "Bob", "Cy"])
    viewers = [Viewer(s) for s in sessions]
    try:
        for session, viewer in zip(sessions, viewers, strict=True):
            assert len(others(session)) == 2
            await viewer.wait_advancing(others(session), timeout=15)
        await wait_until(lambda: all(s.audio_level(pid) > 0.02
                                     for s in sessions for pid in others(s)), timeout=10)
    finally:
        for session in sessions:
            await session.leave_session()


async def videoroom(janus: Janus, *requests: dict[str, object]) -> list[dict[str, object]]:
    """VideoRoom's answers to ``requests``, asked over Janus's HTTP API in a session of
    its own (an operator's view of the call)."""
    secret = {"apisecret": janus.api_secret}
    async with aiohttp.ClientSession() as http:
        created = await janus_http(http, janus.http_url, {"janus": "create", **secret})
        session_url = f"{janus.http_url}/{created['data']['id']}"  # type: ignore[index]
        attached = await janus_http(http, session_url, {
            "janus": "attach", "plugin": "janus.plugin.videoroom", **secret})
        handle_url = f"{session_url}/{attached['data']['id']}"  # type: ignore[index]
        answers = [await janus_event(http, session_url, handle_url, request, secret)
                   for request in requests]
        await janus_http(http, session_url, {"janus": "destroy", **secret})
        return answers


async def publishers(janus: Janus, room: int) -> set[int] | None:
    """The feed ids publishing in a Janus room (None: no such room)."""
    exists, listed = await videoroom(janus, {"request": "exists", "room": room},
                                     {"request": "listparticipants", "room": room})
    if not exists.get("exists"):
        return None
    return {int(p["id"]) for p in listed.get("participants", [])  # type: ignore[attr-defined]
            if p.get("publisher")}


async def janus_room_state(janus: Janus, room: int) -> tuple[bool, int]:
    """(the room exists, how many publishers it has), asked over Janus's HTTP API."""
    feeds = await publishers(janus, room)
    return feeds is not None, len(feeds or ())


async def test_a_participant_leaving_is_seen_as_left_and_the_rest_goes_on(
        sfu_server: SfuServer, janus: Janus) -> None:
    ada, bob, cy = await sfu_call(sfu_server, ["Ada", "Bob", "Cy"])
    recorder = Recorder()
    ada.add_participant_event_listener(recorder.participant_listener())
    ada_view = Viewer(ada)
    try:
        await ada_view.wait_advancing(others(ada), timeout=15)
        cy_id = cy.local_participant.id if cy.local_participant else ""
        bob_id = bob.local_participant.id if bob.local_participant else ""
        await cy.leave_session()
        await recorder.wait("on_participant_left", timeout=5)
        (left,) = [args[0] for name, args, _ in recorder.events if name == "on_participant_left"]
        assert left.id == cy_id
        assert others(ada) == [bob_id]
        # Janus renegotiates Ada's subscriber without Cy's streams: Bob's still play
        ada_view.counters.clear()
        await ada_view.wait_advancing([bob_id], timeout=10)
        assert recorder.names.count("on_participant_left") == 1
        room = sfu_server.hub.sfu.janus_room(ROOM)
        assert room is not None
        assert await janus_room_state(janus, room) == (True, 2)  # Cy's feed is gone
        await ada.leave_session()
        await bob.leave_session()
        async with asyncio.timeout(5):  # and the room with them (destroyed as they go)
            while await janus_room_state(janus, room) != (False, 0):
                await asyncio.sleep(0.1)
        assert sfu_server.hub.sfu.janus_room(ROOM) is None
    finally:
        for session in (ada, bob, cy):
            await session.leave_session()


async def janus_http(http: aiohttp.ClientSession, url: str, body: dict[str, object]
                     ) -> dict[str, object]:
    async with http.post(url, json={"transaction": "t", **body}) as response:
        answer: dict[str, object] = await response.json(content_type=None)
        return answer


async def janus_event(http: aiohttp.ClientSession, session_url: str, handle_url: str,
                      body: dict[str, object], secret: dict[str, str]) -> dict[str, object]:
    """A VideoRoom request over HTTP; its plugin answer (synchronous, or the event that
    follows an ack, long-polled)."""
    answer = await janus_http(http, handle_url, {"janus": "message", "body": body, **secret})
    if answer["janus"] == "success":
        return answer["plugindata"]["data"]  # type: ignore[index,no-any-return]
    assert answer["janus"] == "ack", answer
    async with asyncio.timeout(5):
        while True:
            async with http.get(session_url, params={"maxev": "1", **secret}) as response:
                event = await response.json(content_type=None)
            if event.get("janus") == "event":
                return event["plugindata"]["data"]  # type: ignore[no-any-return]


async def test_a_server_shutting_down_destroys_its_janus_rooms(
        sfu_server: SfuServer, janus: Janus) -> None:
    ada, bob = await sfu_call(sfu_server, ["Ada", "Bob"])
    try:
        await Viewer(ada).wait_advancing(others(ada), timeout=15)
        room = sfu_server.hub.sfu.janus_room(ROOM)
        assert room is not None
        assert await janus_room_state(janus, room) == (True, 2)
        await sfu_server.server.stop()  # Janus keeps rooms beyond the session that made them
        assert await janus_room_state(janus, room) == (False, 0)
    finally:
        for session in (ada, bob):
            await session.leave_session()
