"""Nobody reaches a call's Janus room without parley-server, through the one transport
an attacker on the private network could reach (Janus's HTTP API; nothing else listens,
tests/sfu/test_janus_config.py): without the API secret nothing is answered; with a
leaked API secret, creating a room of its own, subscribing to the call room's real
feeds, publishing into it, changing its ``allowed`` list, forwarding its RTP elsewhere
or destroying it are all refused, because each needs VideoRoom's admin key, a seat's
token or the room's secret, which only the server holds."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.sdk.test_media_call import Viewer
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import ROOM, janus_event, janus_http, others, sfu_call

pytestmark = pytest.mark.slow

UNAUTHORIZED = 433
"""JANUS_VIDEOROOM_ERROR_UNAUTHORIZED: a wrong or missing token or room secret."""
MISSING_ELEMENT = 429
"""JANUS_VIDEOROOM_ERROR_MISSING_ELEMENT: e.g. no room secret given."""
FORBIDDEN = 403
"""Janus's own: a request without the API secret."""


class Outsider:
    """A client of Janus's HTTP API that is not parley-server: its own session and
    VideoRoom handle, with the leaked API secret or none."""

    def __init__(self, http: aiohttp.ClientSession, janus: Janus) -> None:
        self.http = http
        self.janus = janus
        self.secret = {"apisecret": janus.api_secret}
        self.session_url = self.handle_url = ""

    async def attach(self) -> None:
        created = await janus_http(self.http, self.janus.http_url,
                                   {"janus": "create", **self.secret})
        self.session_url = f"{self.janus.http_url}/{created['data']['id']}"  # type: ignore[index]
        attached = await janus_http(self.http, self.session_url, {
            "janus": "attach", "plugin": "janus.plugin.videoroom", **self.secret})
        self.handle_url = f"{self.session_url}/{attached['data']['id']}"  # type: ignore[index]

    async def ask(self, body: dict[str, Any]) -> dict[str, Any]:
        return await janus_event(self.http, self.session_url, self.handle_url, body,
                                 self.secret)


async def test_nobody_joins_or_subscribes_to_the_janus_room_without_the_server(
        sfu_server: SfuServer, janus: Janus) -> None:
    ada, bob = await sfu_call(sfu_server, ["Ada", "Bob"])
    try:
        await Viewer(ada).wait_advancing(others(ada), timeout=15)
        room = sfu_server.hub.sfu.janus_room(ROOM)
        assert room is not None
        async with aiohttp.ClientSession() as http:
            outsider = Outsider(http, janus)
            # without Janus's API secret nothing is even answered
            refused = await janus_http(http, janus.http_url, {"janus": "create"})
            assert refused["error"]["code"] == FORBIDDEN  # type: ignore[index]
            await outsider.attach()
            for body in ({"janus": "attach", "plugin": "janus.plugin.videoroom"},
                         {"janus": "keepalive"}):
                refused = await janus_http(http, outsider.session_url, body)
                assert refused["error"]["code"] == FORBIDDEN, body  # type: ignore[index]

            # with a leaked API secret: the room's real feeds can be listed...
            listed = await outsider.ask({"request": "listparticipants", "room": room})
            feeds = [p["id"] for p in listed["participants"] if p.get("publisher")]
            assert len(feeds) == 2
            guess = "guessed"
            for body in (
                    # ...but not subscribed to, without a token or with a guessed one
                    {"request": "join", "ptype": "subscriber", "room": room,
                     "streams": [{"feed": feeds[0]}]},
                    {"request": "join", "ptype": "subscriber", "room": room,
                     "streams": [{"feed": f} for f in feeds], "token": guess},
                    {"request": "join", "ptype": "subscriber", "room": room,
                     "streams": [{"feed": feeds[1]}], "private_id": 12345},
                    # nor published into
                    {"request": "join", "ptype": "publisher", "room": room},
                    {"request": "join", "ptype": "publisher", "room": room, "token": guess},
                    # and what the room's secret guards stays guarded
                    {"request": "allowed", "room": room, "action": "add",
                     "allowed": [guess], "secret": guess},
                    {"request": "edit", "room": room, "new_is_private": False,
                     "secret": guess},
                    {"request": "destroy", "room": room, "secret": guess}):
                answer = await outsider.ask(body)
                assert answer.get("error_code") == UNAUTHORIZED, (body, answer)
            # a room of its own cannot be made, nor the call's RTP forwarded, without
            # VideoRoom's admin key (only the server holds it), or with a guessed one
            forward = {"request": "rtp_forward", "room": room, "publisher_id": feeds[0],
                       "host": "127.0.0.1", "audio_port": 5002, "secret": guess}
            for body, refused in (
                    ({"request": "create", "room": 4242, "is_private": True},
                     MISSING_ELEMENT),
                    ({"request": "create", "room": 4242, "admin_key": guess}, UNAUTHORIZED),
                    (forward, MISSING_ELEMENT),
                    ({**forward, "admin_key": guess}, UNAUTHORIZED)):
                answer = await outsider.ask(body)
                assert answer.get("error_code") == refused, (body, answer)
            absent = await outsider.ask({"request": "exists", "room": 4242})
            assert absent.get("exists") is False, absent
            # without a secret at all, what it guards is not even considered
            answer = await outsider.ask({"request": "allowed", "room": room,
                                         "action": "disable"})
            assert answer.get("error_code") == MISSING_ELEMENT, answer
        # and the call goes on
        viewer = Viewer(bob)
        await viewer.wait_advancing(others(bob), timeout=10)
    finally:
        for session in (ada, bob):
            await session.leave_session()
