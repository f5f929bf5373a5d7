from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from parley.qt.options import JoinOptions
from parley.qt.settings import JoinPreferences
from parley.sdk.devices import AvailableDevices, Device
from parley.ui.join import JoinView


def _view(qtbot: QtBot) -> JoinView:
    view = JoinView()
    qtbot.addWidget(view)
    view.resize(1024, 720)  # the window's default size: the form scrolls in a smaller one
    view.show()
    return view


def test_join_needs_a_name(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.session_edit.setText("standup")
    with qtbot.assertNotEmitted(view.joinRequested):
        qtbot.mouseClick(view.join_button, Qt.MouseButton.LeftButton)
    assert view.message_text() == "Enter your name so others know who you are."
    assert view.name_edit.property("invalid") is True


def test_bad_session_and_server_are_explained(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.name_edit.setText("Ada")
    view.session_edit.setText("not a valid id")
    with qtbot.assertNotEmitted(view.joinRequested):
        qtbot.mouseClick(view.join_button, Qt.MouseButton.LeftButton)
    assert "session id" in view.message_text()
    view.session_edit.setText("standup")
    view.server_edit.setText("ftp://example.org")
    with qtbot.assertNotEmitted(view.joinRequested):
        qtbot.keyClick(view.name_edit, Qt.Key.Key_Return)
    assert "ws://" in view.message_text()
    assert view.server_edit.property("invalid") is True


def test_a_valid_form_emits_join_with_everything(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_devices(AvailableDevices(cameras=(Device("camera", "/dev/video0", "Cam"),),
                                      microphones=(Device("microphone", "3", "Mic"),)))
    qtbot.keyClicks(view.name_edit, "Ada Lovelace")
    qtbot.keyClicks(view.session_edit, "standup")
    view.server_edit.setText("10.0.0.2:8787")
    view.camera_combo.setCurrentIndex(1)
    view.mic_off_check.setChecked(True)
    with qtbot.waitSignal(view.joinRequested, timeout=1000) as blocker:
        qtbot.mouseClick(view.join_button, Qt.MouseButton.LeftButton)
    session_id, options, server, token = blocker.args
    assert (session_id, server, token) == ("standup", "ws://10.0.0.2:8787/ws", "")
    assert options == JoinOptions(display_name="Ada Lovelace", start_audio_muted=True,
                                  camera="/dev/video0")


def test_pasting_an_invite_link_fills_session_server_and_token(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.session_edit.setText("parley://join/standup?server=ws%3A%2F%2Fh%3A9%2Fws&token=abc")
    assert view.session_edit.text() == "standup"
    assert view.server_edit.text() == "ws://h:9/ws"
    assert view.token_edit.text() == "abc"


def test_busy_state_and_error_message(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.set_busy(True)
    assert view.join_button.text() == "Joining…" and not view.join_button.isEnabled()
    assert view.progress.isVisible() and not view.name_edit.isEnabled()
    view.set_busy(False)
    view.show_error("This call is full.")
    assert view.join_button.text() == "Join" and view.join_button.isEnabled()
    assert not view.progress.isVisible()
    assert view.message_text() == "This call is full."
    assert view.message.objectName() == "errorLabel"


def test_preferences_round_trip_and_remembered_devices(qtbot: QtBot) -> None:
    view = _view(qtbot)
    prefs = JoinPreferences(name="Ada", session="standup", server="", camera="/dev/video2",
                            start_video_paused=True)
    view.load(prefs)  # devices are not listed yet...
    view.set_devices(AvailableDevices(cameras=(Device("camera", "/dev/video0", "A"),
                                               Device("camera", "/dev/video2", "B"))))
    assert view.camera_combo.currentText() == "B"  # ...but the choice survives the listing
    assert view.preferences() == prefs


def test_test_call_button(qtbot: QtBot) -> None:
    view = _view(qtbot)
    view.name_edit.setText("Ada")
    with qtbot.waitSignal(view.testCallRequested, timeout=1000) as blocker:
        qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].display_name == "Ada"


def test_new_call_and_join_lead_and_advanced_is_collapsed(qtbot: QtBot) -> None:
    view = _view(qtbot)
    assert view.new_call_button.isVisible() and view.join_button.isVisible()
    assert not view.server_edit.isVisible() and not view.token_edit.isVisible()
    qtbot.mouseClick(view.advanced.toggle, Qt.MouseButton.LeftButton)
    assert view.server_edit.isVisible() and view.discovery_check.isVisible()
    with qtbot.assertNotEmitted(view.newCallRequested):
        qtbot.mouseClick(view.new_call_button, Qt.MouseButton.LeftButton)  # no name yet
    view.name_edit.setText("Ada")
    with qtbot.waitSignal(view.newCallRequested, timeout=1000) as blocker:
        qtbot.mouseClick(view.new_call_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].display_name == "Ada"
    view.set_hosting_available(False)
    assert not view.new_call_button.isVisible()


def test_a_call_on_this_network_is_asked_to_join_without_a_token(qtbot: QtBot) -> None:
    from parley.desktop.discovery import DiscoveredCall

    view = _view(qtbot)
    view.name_edit.setText("Bob")
    assert not view.nearby.isVisible()
    view.set_nearby_calls([DiscoveredCall("quiet-river-42", "Ada", "ws://10.0.0.5:8788/ws")])
    assert view.nearby.isVisible() and view.nearby.labels() == ["Ada's call · quiet-river-42"]
    with qtbot.waitSignal(view.joinRequested, timeout=1000) as blocker:
        view.nearby.choose(0)
    session_id, _options, server, token = blocker.args
    assert (session_id, server, token) == ("quiet-river-42", "ws://10.0.0.5:8788/ws", "")
    with qtbot.waitSignal(view.discoveryToggled, timeout=1000) as toggled:
        view.discovery_check.setChecked(False)
    assert toggled.args == [False] and not view.nearby.isVisible()
