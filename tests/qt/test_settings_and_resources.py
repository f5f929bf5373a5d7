from parley.qt.resources import Theme, app_icon, icon, resource_root, stylesheet
from parley.qt.settings import AppSettings, JoinPreferences


def test_join_preferences_survive_a_restart(app_settings: AppSettings) -> None:
    prefs = JoinPreferences(name="Ada", session="standup", server="ws://h:1/ws",
                            camera="/dev/video0", microphone="3", speaker="4",
                            start_audio_muted=True, start_video_paused=False)
    app_settings.save_join(prefs)
    reread = AppSettings(type(app_settings.store)(app_settings.store.fileName(),
                                                  app_settings.store.format()))
    assert reread.load_join() == prefs


def test_defaults_when_nothing_was_saved(app_settings: AppSettings) -> None:
    assert app_settings.load_join() == JoinPreferences()
    assert app_settings.theme() == ""


def test_resources_are_found_and_load(qapp: object) -> None:
    assert (resource_root() / "icons" / "mic.svg").is_file()
    for theme in Theme:
        assert "QPushButton#primaryButton" in stylesheet(theme)
    assert not icon("mic-off", "#ffffff").pixmap(48, 48).isNull()
    assert not app_icon().pixmap(64, 64).isNull()


def test_discovery_is_on_until_switched_off(app_settings: AppSettings) -> None:
    assert app_settings.discovery_enabled() is True
    app_settings.set_discovery_enabled(False)
    assert AppSettings(app_settings.store).discovery_enabled() is False
