from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from parley.ui.tile import DOMINANT_COLOUR, VideoTile, initials
from tests.qt.support import participant


def test_initials() -> None:
    assert initials("Ada Lovelace") == "AL"
    assert initials("grace brewster hopper") == "GH"
    assert initials("linus") == "L"
    assert initials("  ") == "?"


def _tile(qtbot: QtBot, **flags: bool) -> VideoTile:
    tile = VideoTile(participant("p1", "Ada Lovelace", **flags))
    qtbot.addWidget(tile)
    tile.resize(320, 180)
    tile.show()
    return tile


def test_avatar_until_a_frame_arrives_and_when_video_is_paused(qtbot: QtBot) -> None:
    tile = _tile(qtbot)
    assert tile.shows_avatar() and tile.initials() == "AL"
    frame = QImage(64, 36, QImage.Format.Format_RGB888)
    frame.fill(QColor("#00ff00"))
    with qtbot.waitSignal(tile.painted, timeout=2000) as blocker:
        tile.set_frame(frame)
    assert blocker.args == ["p1"]
    assert not tile.shows_avatar()
    assert tile.grab().toImage().pixelColor(160, 90) == QColor("#00ff00")
    tile.set_participant(participant("p1", "Ada Lovelace", video_paused=True))
    assert tile.shows_avatar()
    assert tile.grab().toImage().pixelColor(160, 90) != QColor("#00ff00")


def test_badges_follow_the_participant(qtbot: QtBot) -> None:
    tile = _tile(qtbot)
    assert tile.badges() == []
    tile.set_participant(participant("p1", "Ada", audio_muted=True, reconnecting=True,
                                     hand_raised=True))
    assert tile.badges() == ["muted", "hand", "reconnecting"]
    assert "reconnecting" in tile.accessibleDescription()
    tile.set_participant(participant("p1", "Ada", is_local=True))
    assert tile.badges() == [] and tile.display_name() == "Ada (you)"


def test_dominant_speaker_is_outlined(qtbot: QtBot) -> None:
    tile = _tile(qtbot)
    edge = (3, 90)
    assert tile.grab().toImage().pixelColor(*edge) != DOMINANT_COLOUR
    frame = QImage(16, 9, QImage.Format.Format_RGB888)
    frame.fill(QColor("#00ff00"))
    tile.set_frame(frame)
    tile.set_dominant(True)
    image = tile.grab().toImage()
    assert image.pixelColor(*edge) == DOMINANT_COLOUR
    assert image.pixelColor(160, 90) == QColor("#00ff00")  # an outline, not a veil


def test_a_participant_no_media_path_reaches_is_said_on_the_tile(qtbot: QtBot) -> None:
    tile = _tile(qtbot)
    assert tile.notice() == "" and "Can't reach" not in tile.toolTip()
    tile.set_participant(participant("p1", "Bob", media_unreachable=True))
    assert tile.badges() == ["unreachable"]
    assert tile.notice() == "Can't reach Bob's media"
    assert "Can&#x27;t reach Bob&#x27;s media" in tile.toolTip()
    assert "unreachable" in tile.accessibleDescription()
    tile.grab()  # paints the notice (elided to the tile) without error
    tile.set_participant(participant("p1", "Bob"))
    assert tile.notice() == "" and tile.badges() == []


def test_the_quality_tooltip_carries_the_media_path(qtbot: QtBot) -> None:
    from parley.media.ice import IcePath
    from parley.media.stats import PeerStats
    from parley.qt.quality import grade

    tile = _tile(qtbot)
    tile.set_quality(grade(PeerStats("connected", 0, rtt_ms=20.0,
                                     path=IcePath("relay", "host", "udp")), False))
    assert "<br>Path: relay over UDP (local relay, remote host)" in tile.toolTip()


def test_video_paused_for_bandwidth_says_so_on_the_tile(qtbot: QtBot) -> None:
    tile = _tile(qtbot)
    frame = QImage(64, 36, QImage.Format.Format_RGB888)
    frame.fill(QColor("#00ff00"))
    tile.set_frame(frame)
    assert tile.notice() == "" and not tile.shows_avatar()
    tile.set_participant(participant("p1", "Bob", video_paused_for_bandwidth=True))
    assert tile.badges() == ["slow"]
    assert tile.notice() == "Video paused: slow connection"
    assert "Video paused: slow connection" in tile.toolTip()
    assert tile.shows_avatar()  # not the last frame, frozen
    assert tile.grab().toImage().pixelColor(160, 90) != QColor("#00ff00")
    tile.set_participant(participant("p1", "Bob", video_paused_for_bandwidth=True,
                                     media_unreachable=True))
    assert tile.notice() == "Can't reach Bob's media"  # no path says more than a slow one
    tile.set_participant(participant("p1", "Bob", video_paused_for_bandwidth=True,
                                     video_paused=True))
    assert tile.notice() == "" and tile.badges() == []  # their camera is off anyway
    tile.set_participant(participant("p1", "Bob"))
    assert tile.notice() == "" and not tile.shows_avatar()
