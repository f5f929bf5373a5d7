"""No camera or microphone, as people see it: the join screen's preview says so beside
your initials, the pickers say so, and the others see your avatar with a mic-off badge
(a real CallSession without devices on a real call server)."""

import asyncio
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from parley.qt.device_preview import DevicePreview
from parley.qt.options import JoinOptions
from parley.qt.resources import IconSet
from parley.sdk import SessionSettings, SessionState, SessionType
from parley.sdk.devices import AvailableDevices, Device
from parley.sdk.settings import Devices
from parley.ui.device_combos import DEFAULT_DEVICE, DeviceCombos
from parley.ui.messages import NO_CAMERA_TEXT, NO_MICROPHONE_TEXT, NO_SPEAKER_TEXT
from parley.ui.preview_pane import DevicePreviewPane
from tests.qt.support import App, Bots, Servers, run

NO_CAMERA = "/dev/parley-no-such-camera"
NO_MICROPHONE = "parley-no-such-microphone"


def _pane(qtbot: QtBot, preview: DevicePreview) -> DevicePreviewPane:
    pane = DevicePreviewPane(IconSet("#ffffff"))
    qtbot.addWidget(pane)
    pane.resize(480, 320)
    pane.picture.set_name("Ada Lovelace")
    pane.follow(preview)
    pane.show()
    return pane


def test_the_preview_says_no_camera_and_no_microphone_beside_your_initials(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    preview = DevicePreview()  # real devices: none of these exist
    pane = _pane(qtbot, preview)
    frames: list[object] = []
    preview.frameReady.connect(frames.append)
    with qtbot.waitSignal(preview.runningChanged, timeout=10000):
        preview.start(JoinOptions("Ada", camera=NO_CAMERA, microphone=NO_MICROPHONE))
    qtbot.wait(300)  # a few filler frames' time: none may reach the preview
    assert frames == []  # the track's black filler is no picture
    assert pane.missing() == {"camera", "microphone"}
    assert pane.picture.text() == NO_CAMERA_TEXT and pane.picture.initials() == "AL"
    assert pane.picture.image() is None
    assert pane.mic_notice.isVisible() and pane.mic_notice.text() == NO_MICROPHONE_TEXT
    assert not pane.meter.isVisible()
    run(qtbot, preview.stop())


def test_synthetic_media_is_not_a_missing_device(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    preview = DevicePreview(fake_media=True)
    pane = _pane(qtbot, preview)
    with qtbot.waitSignal(preview.frameReady, timeout=10000):
        preview.start(JoinOptions("Ada"))
    assert pane.missing() == frozenset() and pane.picture.image() is not None
    assert pane.meter.isVisible() and not pane.mic_notice.isVisible()
    run(qtbot, preview.stop())


def test_the_pickers_say_there_is_none_not_system_default(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    combos = DeviceCombos(parent)
    combos.set_devices(AvailableDevices(
        speakers=(Device("speaker", "ALSA:default", "default", default=True),)))
    assert [combos.camera.itemText(i) for i in range(combos.camera.count())] == [NO_CAMERA_TEXT]
    assert combos.microphone.currentText() == NO_MICROPHONE_TEXT
    assert [combos.speaker.itemText(i) for i in range(combos.speaker.count())] == [
        DEFAULT_DEVICE, "default"]
    combos.set_devices(AvailableDevices())
    assert combos.speaker.currentText() == NO_SPEAKER_TEXT
    assert combos.chosen() == ("", "", "")  # joining still works: the defaults are asked for


def test_the_others_see_your_avatar_and_a_mic_off_badge(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url, media=True, fake_media=True)
    app.join_by_typing()
    call = app.window.call_view
    bot = bots.join(server.url, media=True, devices=Devices(
        camera=NO_CAMERA, microphone=NO_MICROPHONE, speaker="null"))
    assert (bot.has_camera, bot.has_microphone) == (False, False)
    them = bot.local_participant.id
    qtbot.waitUntil(lambda: call.grid.tile(them) is not None
                    and call.grid.tile(them).badges() == ["muted"], timeout=10000)
    tile = call.grid.tile(them)
    assert tile.shows_avatar() and tile.initials() == "GH"
    assert "muted" in tile.accessibleDescription()
    # the one with devices is neither: synthetic media is no missing device
    assert app.own_tile().badges() == []


def test_a_device_chosen_mid_call_that_cannot_open_is_a_notice_and_the_call_goes_on(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    settings = SessionSettings("Ada Lovelace", session_type=SessionType.AUDIO,
                               devices=Devices(microphone=NO_MICROPHONE, speaker="null"))
    with qtbot.waitSignal(app.controller.sessionJoined, timeout=10000):
        app.controller.join("standup", settings, server.url, "")
    bot = bots.join(server.url)
    call = app.window.call_view
    me = app.session.local_participant.id
    qtbot.waitUntil(lambda: [p.no_microphone for p in bot.participants if p.id == me]
                    == [True], timeout=10000)
    run(qtbot, app.controller.own_media.useDevices("", "parley-other-missing-mic", "null"))
    assert call.notice.isVisible()
    assert call.notice.text().startswith(
        "microphone: cannot open microphone 'parley-other-missing-mic': ")
    assert app.session.state is SessionState.JOINED
    assert call.participant_count() == 2


def test_your_own_tile_without_a_camera_shows_your_initials(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    server = servers.start()
    app = make_app(server.url)
    settings = SessionSettings("Ada Lovelace", devices=Devices(
        camera=NO_CAMERA, microphone=NO_MICROPHONE, speaker="null"))
    with qtbot.waitSignal(app.controller.sessionJoined, timeout=10000):
        app.controller.join("standup", settings, server.url, "")
    qtbot.waitUntil(lambda: app.own_tile() is not None, timeout=5000)
    with qtbot.assertNotEmitted(app.own_tile().painted, wait=500):
        pass  # the camera track's black filler never reaches your own tile
    assert app.own_tile().shows_avatar() and app.own_tile().initials() == "AL"
    qtbot.waitUntil(lambda: app.own_tile().badges() == ["muted"], timeout=5000)
