"""ParticipantFeed: who is in the call and how they are, you included, as Qt signals.

It relays the SDK's participant events. You are one fact with two faces: the control
bar's ``own`` state and your own entry in the grid and the list. Both follow the SDK's
own-media state (its own-media events), never the roster's copy of you, which only
follows the server's echo and announces nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace

from PySide6.QtCore import QObject, Signal

from parley.qt.options import OwnMedia
from parley.sdk import CallSession, MediaEventListener, Participant, ParticipantEventListener
from parley.sdk.event_types import FLAG_EVENTS

# Participant events that only change a participant's flags: one participantUpdated each.
_UPDATES = (*(event for pair in FLAG_EVENTS.values() for event in pair),
            "on_media_unreachable", "on_media_reachable",
            "on_video_paused_for_bandwidth", "on_video_resumed_for_bandwidth")
# Own media events (all but device errors): each may change the control bar and your entry.
_OWN = tuple(f.name for f in fields(MediaEventListener) if f.name != "on_device_error")


class ParticipantFeed(QObject):
    """The participants of one session's call, as signals carrying SDK Participants."""

    participantJoined = Signal(object)
    participantLeft = Signal(object)
    participantUpdated = Signal(object)  # your own entry too, whenever your media changes
    participantsChanged = Signal(list)
    dominantSpeakerChanged = Signal(str)  # participant id, "" for nobody
    ownMediaChanged = Signal()  # your mic / camera / screen share / hand changed

    def __init__(self, session: CallSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._own = OwnMedia()
        self._me: Participant | None = None  # your own entry, as last shown
        self._listener = ParticipantEventListener(
            on_participant_joined=self.participantJoined.emit,
            on_participant_left=self.participantLeft.emit,
            on_participant_list_changed=self._list_changed,
            on_dominant_speaker_changed=self._dominant,
            **dict.fromkeys(_UPDATES, self.participantUpdated.emit),
        )
        self._own_listener = MediaEventListener(on_device_error=None,  # the controller's
                                                **dict.fromkeys(_OWN, self._sync_own))
        session.add_participant_event_listener(self._listener)
        session.add_media_event_listener(self._own_listener)

    @property
    def own(self) -> OwnMedia:
        """Your own media and hand, as last announced by ``ownMediaChanged``."""
        return self._own

    def refresh(self) -> None:
        """Announce everyone, and your own state, as the session has them now (a join)."""
        self._list_changed(self._session.participants)
        self._sync_own()

    def dispose(self) -> None:
        self._session.remove_participant_event_listener(self._listener)
        self._session.remove_media_event_listener(self._own_listener)

    def _sync_own(self) -> None:
        s = self._session
        own = OwnMedia(s.is_audio_muted, s.is_video_paused, s.screen_sharing, s.hand_raised)
        if own != self._own:
            self._own = own
            self.ownMediaChanged.emit()
        me = self._shown_me()
        if me is not None and me != self._me:
            self._me = me
            self.participantUpdated.emit(me)

    def _shown_me(self) -> Participant | None:
        s, me = self._session, self._session.local_participant
        if me is None:
            return None
        return replace(me, audio_muted=s.is_audio_muted, video_paused=s.is_video_paused,
                       screen_sharing=s.screen_sharing, hand_raised=s.hand_raised,
                       no_camera=not s.has_camera, no_microphone=not s.has_microphone)

    def _list_changed(self, participants: Iterable[Participant]) -> None:
        self._me = self._shown_me()
        everyone = [self._me if p.is_local and self._me else p for p in participants]
        self.participantsChanged.emit(everyone)

    def _dominant(self, participant: Participant | None) -> None:
        self.dominantSpeakerChanged.emit(participant.id if participant is not None else "")
