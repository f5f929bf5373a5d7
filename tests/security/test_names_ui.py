"""Names in the UI: always plain text (tooltips too), and a vouched-for name marked."""

from __future__ import annotations

from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from parley.protocol.names import VERIFIED_MARK
from parley.sdk.participants import Participant
from parley.ui.panel import describe
from parley.ui.tile import VideoTile

MARKUP = '<img src="x" width=3000><a href="https://evil.example">Ada</a>'


def _tile(qtbot: QtBot, participant: Participant) -> VideoTile:
    tile = VideoTile(participant)
    qtbot.addWidget(tile)
    tile.resize(320, 180)
    tile.show()
    return tile


def test_markup_in_a_name_is_shown_as_text_in_the_tooltip(qtbot: QtBot) -> None:
    tile = _tile(qtbot, Participant(id="p1", name=MARKUP))
    tip = tile.toolTip()
    assert "<img" not in tip and "<a " not in tip  # no tag survives: escaped
    assert tip.startswith("<qt>") and "&lt;img" in tip
    QToolTip.showText(tile.mapToGlobal(tile.rect().center()), tip, tile)
    assert QToolTip.text() == tip
    assert tile.display_name() == MARKUP  # painted as it is, character by character
    assert describe(Participant(id="p1", name=MARKUP)) == MARKUP  # a list item: plain text


def test_an_identity_name_is_marked_verified_and_a_guest_name_is_not(qtbot: QtBot) -> None:
    verified = _tile(qtbot, Participant(id="p1", name="Ada", verified=True))
    guest = _tile(qtbot, Participant(id="p2", name="Ada (2)", guest=True))
    assert verified.display_name() == f"Ada {VERIFIED_MARK}"
    assert "verified" in verified.accessibleDescription()
    assert guest.display_name() == "Ada (2)" and "verified" not in guest.toolTip()
    assert describe(Participant(id="p1", name="Ada", verified=True)) == f"Ada {VERIFIED_MARK}"
