"""The call's one speaker (media/speaker.py), as both media paths use it: a speaker
chosen before the call plays or after it ended is only recorded, never opened."""

from __future__ import annotations

import pytest

from parley.media.base import CallMediaBase
from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.mesh import MediaMesh
from parley.media.sfu import SfuMedia
from parley.media.speaker import Speaker

MISSING = "no-such-speaker-anywhere"


def _errors() -> tuple[list[tuple[str, str]], MeshEvents]:
    errors: list[tuple[str, str]] = []
    return errors, MeshEvents(on_device_error=lambda kind, msg: errors.append((kind, msg)))


def test_a_speaker_chosen_before_it_opens_is_recorded_and_opened_with_it() -> None:
    errors: list[tuple[str, str]] = []
    speaker = Speaker(MediaConfig(fake_media=True), lambda k, m: errors.append((k, m)))
    speaker.choose(MISSING)
    assert speaker.playback.is_null and errors == []  # not opened yet
    assert speaker.config.speaker == MISSING
    speaker.open(None)
    assert [kind for kind, _ in errors] == ["speaker"]  # opening it is what fails
    assert "remote audio is not played" in errors[0][1]
    assert speaker.playback.is_null
    speaker.close()
    speaker.choose(MISSING)
    assert len(errors) == 1  # closed: recorded only


@pytest.mark.parametrize("path", ["mesh", "sfu"])
async def test_either_path_opens_a_chosen_speaker_only_while_the_call_plays(path: str) -> None:
    errors, events = _errors()
    config = MediaConfig(fake_media=True, video=False)
    media: CallMediaBase = (MediaMesh("a", config, lambda m: None, events) if path == "mesh"
                            else SfuMedia("a", config, lambda m: None, events))
    await media.use_device("speaker", MISSING)
    assert errors == [] and media.playback.is_null  # before start: only recorded
    assert media.config.speaker == MISSING
    await media.close()
    await media.use_device("speaker", MISSING)
    assert errors == []  # after close: only recorded


async def test_lent_sources_outlive_the_path_they_were_lent_to() -> None:
    errors, events = _errors()
    config = MediaConfig(fake_media=True, video=False)
    owner = MediaMesh("a", config, lambda m: None, events)
    lent = SfuMedia("a", config, lambda m: None, events, owner.sources)
    await owner.start()
    await lent.start()
    await lent.close()
    assert owner.sources.local.audio.source is not None  # the microphone still plays
    await owner.close()
    assert owner.sources.local.audio.source is None
