"""Display names as an impostor would pick them: look-alikes, blanks, labels, markup."""

from __future__ import annotations

import pytest

from parley.protocol.errors import ErrorCode
from parley.protocol.messages import Error, Join, ParticipantJoined, Welcome
from parley.protocol.names import check_display_name, distinct_name, name_skeleton
from parley.sdk.settings import SessionSettings
from parley.server import CallServer
from tests.security.conftest import Connect


@pytest.mark.parametrize(("typed", "shown"), [
    (" Ada ", "Ada"), ("Zoe\u0308", "Zoë"), ("Ivan Иванов", "Ivan Иванов"), ("李雷", "李雷"),
    ("Ada (2)", "Ada (2)"), ("<b>Ada</b>", "<b>Ada</b>"),
])
def test_names_are_nfc_and_trimmed(typed: str, shown: str) -> None:
    assert check_display_name(typed) == shown
    assert SessionSettings(display_name=typed).display_name == shown


@pytest.mark.parametrize(("name", "why"), [
    ("\u3164", "one of them visible"),          # Hangul filler
    ("\u2800\u2800", "one of them visible"),    # Braille blank
    ("\u0301\u0301", "one of them visible"),    # combining marks only
    ("\u3000", "printable"),                    # ideographic space: blank once trimmed
    ("\u0410da", "passing for another"),        # Cyrillic А + Latin da
    ("\u0391da", "passing for another"),        # Greek Α
    ("Ada (you)", "label the app adds"),
    ("Ada(YOU)", "label the app adds"),
    ("Ada \u2713", "label the app adds"),             # the verified mark
    ("Ada \u2714", "label the app adds"),             # one like it
    ("Ada (verified)", "label the app adds"),
    ("Ada\u202e", "printable"),                 # bidi override
])
def test_invisible_and_look_alike_names_are_refused(name: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_display_name(name)
    with pytest.raises(ValueError, match=why):
        SessionSettings(display_name=name)


def test_the_skeleton_sees_through_script_case_and_digits() -> None:
    assert len({name_skeleton(n) for n in ("Ada", "ADA", "\u0410da", "Ada ")}) == 1
    assert name_skeleton("B0b") == name_skeleton("Bob")
    assert name_skeleton("Ada") != name_skeleton("Ida")
    assert distinct_name("Ada", ["\u0410da", "Ada (2)"]) == "Ada (3)"
    assert distinct_name("Ida", ["Ada"]) == "Ida"
    assert len(distinct_name("x" * 64, ["X" * 64])) == 64


async def test_a_look_alike_in_the_room_is_numbered_and_a_homoglyph_refused(
        server: CallServer, connect: Connect) -> None:
    ada = await connect(server)
    await ada.join("room", "Ada")
    impostor = await connect(server)
    welcome = await impostor.join("room", "ADA")
    names = {p.name for p in welcome.participants}
    assert names == {"Ada", "ADA (2)"}
    joined = await ada.expect(ParticipantJoined)
    assert joined.participant.name == "ADA (2)"
    spoof = await connect(server)
    await spoof.send_raw(
        '{"type": "join", "v": 1, "session_id": "room", "display_name": "\\u0410da"}')
    error = await spoof.expect(Error)
    assert error.code == ErrorCode.INVALID_FIELD.value
    assert "passing for another" in error.message
    # The first Ada's call is untouched.
    await ada.roundtrip()
    assert ada.welcome is not None and ada.welcome.participants[0].name == "Ada"


async def test_a_joined_name_is_canonical_on_the_wire(server: CallServer,
                                                      connect: Connect) -> None:
    client = await connect(server)
    await client.send(Join(session_id="room", display_name="  Zoe\u0308  "))
    welcome = await client.expect(Welcome)
    assert [p.name for p in welcome.participants] == ["Zoë"]
