"""No camera or microphone: joining still works, and the others are told (presence flags
``no_camera`` / ``no_microphone``) so that they show the avatar and a mic-off badge."""

from __future__ import annotations

import asyncio

import pytest

from parley.sdk import CallSession, MediaEventListener, SessionSettings
from parley.sdk.settings import Devices
from parley.server import CallServer
from tests.sdk.recorder import Recorder

pytestmark = pytest.mark.slow

NO_CAMERA = "/dev/parley-no-such-camera"
NO_MICROPHONE = "parley-no-such-microphone"


async def test_a_participant_without_devices_joins_and_the_others_see_it(
        server: CallServer) -> None:
    errors: list[tuple[str, str]] = []
    ada = CallSession()
    own: list[str] = []
    ada.add_media_event_listener(MediaEventListener(
        on_device_error=lambda kind, message: errors.append((kind, message)),
        on_camera_missing=lambda: own.append("camera_missing"),
        on_microphone_missing=lambda: own.append("microphone_missing")))
    bob, seen = CallSession(), Recorder()
    bob.add_participant_event_listener(seen.participant_listener())
    await bob.join_session("nodev", SessionSettings("Bob", fake_media=True), server=server.url)
    try:
        devices = Devices(camera=NO_CAMERA, microphone=NO_MICROPHONE, speaker="null")
        await ada.join_session("nodev", SessionSettings("Ada", devices=devices),
                               server=server.url)
        assert sorted(kind for kind, _ in errors) == ["camera", "microphone"]
        assert (ada.has_camera, ada.has_microphone) == (False, False)
        assert sorted(own) == ["camera_missing", "microphone_missing"]  # once each
        await seen.wait("on_camera_missing")
        await seen.wait("on_microphone_missing")
        (remote,) = [p for p in bob.participants if not p.is_local]
        assert (remote.name, remote.no_camera, remote.no_microphone) == ("Ada", True, True)
        assert not remote.audio_muted  # the flag says "none", not "muted by choice"
        # and the call goes on: Ada still hears Bob's synthetic tone
        async with asyncio.timeout(20):
            while ada.audio_level(remote_id(ada)) <= 0.01:
                await asyncio.sleep(0.05)  # levels are sampled: no event to wait for
    finally:
        await ada.leave_session()
        await bob.leave_session()


async def test_synthetic_media_is_not_a_missing_device(server: CallServer) -> None:
    ada, bob, seen = CallSession(), CallSession(), Recorder()
    bob.add_participant_event_listener(seen.participant_listener())
    await bob.join_session("fake", SessionSettings("Bob", fake_media=True), server=server.url)
    try:
        await ada.join_session("fake", SessionSettings("Ada", fake_media=True),
                               server=server.url)
        await seen.wait("on_participant_joined")
        assert (ada.has_camera, ada.has_microphone) == (True, True)
        ada.raise_hand()  # a later flag to wait for: nothing about devices came before it
        await seen.wait("on_hand_raised")
        (remote,) = [p for p in bob.participants if not p.is_local]
        assert (remote.no_camera, remote.no_microphone) == (False, False)
        assert "on_camera_missing" not in seen.names
    finally:
        await ada.leave_session()
        await bob.leave_session()


def remote_id(session: CallSession) -> str:
    (remote,) = [p.id for p in session.participants if not p.is_local]
    return remote
