"""The room's participants as the SDK shows them, and the events their changes make."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from parley.protocol.presence import ParticipantInfo
from parley.sdk.event_types import FLAG_EVENTS, ParticipantEvent, flag_event


@dataclass(frozen=True)
class Participant(ParticipantInfo):
    """One participant of the call, as seen by this client: what the server reports
    (id, name and every presence flag) and whether it is you."""

    is_local: bool = False
    media_unreachable: bool = False
    """No media path to this participant connected for 10 s (on_media_unreachable)."""
    video_paused_for_bandwidth: bool = False
    """This participant's camera video to you is paused: its uplink's bandwidth estimate
    fell below the lowest video rung (on_video_paused_for_bandwidth; it resumes by itself,
    on_video_resumed_for_bandwidth)."""

    @classmethod
    def from_info(cls, info: ParticipantInfo, local_id: str | None) -> Participant:
        reported = {f.name: getattr(info, f.name) for f in fields(ParticipantInfo)}
        return cls(**reported, is_local=info.id == local_id)


Events = list[tuple[ParticipantEvent, Participant]]


class Roster:
    """Participants by id, deduplicated; every change returns the listener events it makes."""

    def __init__(self) -> None:
        self.local_id: str | None = None
        self._by_id: dict[str, Participant] = {}
        self._server_reconnecting: dict[str, bool] = {}
        self.media_down: set[str] = set()
        """Peers whose media stopped (the mesh is rebuilding them)."""

    def __contains__(self, pid: object) -> bool:
        return pid in self._by_id

    def get(self, pid: str) -> Participant | None:
        return self._by_id.get(pid)

    @property
    def all(self) -> tuple[Participant, ...]:
        return tuple(self._by_id.values())

    @property
    def remote_ids(self) -> list[str]:
        return [pid for pid in self._by_id if pid != self.local_id]

    def clear(self) -> None:
        self._by_id.clear()
        self._server_reconnecting.clear()
        self.media_down.clear()
        self.local_id = None

    def server_reconnecting(self, pid: str) -> bool:
        """Whether the server says this participant's own link is down."""
        return self._server_reconnecting.get(pid, False)

    def upsert(self, new: Participant) -> Events:
        """Add or update one participant (as the server reports it); a known id is never
        announced as joined again. ``reconnecting`` also reflects a peer's dead media."""
        self._server_reconnecting[new.id] = new.reconnecting
        old = self._by_id.get(new.id)
        return self._store(replace(
            new, reconnecting=new.reconnecting or new.id in self.media_down,
            media_unreachable=old is not None and old.media_unreachable,
            video_paused_for_bandwidth=old is not None and old.video_paused_for_bandwidth))

    def _store(self, new: Participant) -> Events:
        old = self._by_id.get(new.id)
        self._by_id[new.id] = new
        if new.is_local:
            return []
        if old is None:
            return [("on_participant_joined", new)]
        return [(flag_event(flag, new.flag(flag)), new)
                for flag in FLAG_EVENTS if old.flag(flag) != new.flag(flag)]

    def set_reconnecting(self, pid: str, reconnecting: bool) -> Events:
        """The server says this participant's link went down or came back."""
        current = self._by_id.get(pid)
        if current is None:
            return []
        return self.upsert(replace(current, reconnecting=reconnecting))

    def set_media_down(self, pid: str, down: bool) -> Events:
        """The mesh says this peer's media died or flows again."""
        if down:
            self.media_down.add(pid)
        else:
            self.media_down.discard(pid)
        current = self._by_id.get(pid)
        if current is None:
            return []
        return self._store(replace(current, reconnecting=down or self.server_reconnecting(pid)))

    def set_media_unreachable(self, pid: str, unreachable: bool) -> Events:
        """The mesh found no path to this peer for a while (or found one after all)."""
        current = self._by_id.get(pid)
        if current is None or current.is_local or current.media_unreachable == unreachable:
            return []
        new = self._by_id[pid] = replace(current, media_unreachable=unreachable)
        return [("on_media_unreachable" if unreachable else "on_media_reachable", new)]

    def set_video_paused_for_bandwidth(self, pid: str, paused: bool) -> Events:
        """This peer's sender paused its camera video to us for want of bandwidth (or
        resumed it)."""
        current = self._by_id.get(pid)
        if current is None or current.is_local or current.video_paused_for_bandwidth == paused:
            return []
        new = self._by_id[pid] = replace(current, video_paused_for_bandwidth=paused)
        return [("on_video_paused_for_bandwidth" if paused
                 else "on_video_resumed_for_bandwidth", new)]

    def remove(self, pid: str) -> Events:
        self._server_reconnecting.pop(pid, None)
        self.media_down.discard(pid)
        gone = self._by_id.pop(pid, None)
        if gone is None or gone.is_local:
            return []
        return [("on_participant_left", gone)]

    def replace_all(self, infos: tuple[ParticipantInfo, ...], local_id: str) -> Events:
        """Take the server's full list (welcome): joins, updates and leaves as a diff."""
        self.local_id = local_id
        events: Events = []
        seen = {info.id for info in infos}
        for pid in [pid for pid in self._by_id if pid not in seen]:
            events += self.remove(pid)
        for info in infos:
            events += self.upsert(Participant.from_info(info, local_id))
        return events


class RosterView:
    """Who is in the call, as :class:`~parley.sdk.session.CallSession`'s API offers it: it
    holds the session's Roster and nothing else of the session.

    Args:
        roster: The session's list of participants (you included, once joined).
    """

    def __init__(self, roster: Roster) -> None:
        self._roster = roster

    @property
    def participants(self) -> tuple[Participant, ...]:
        return self._roster.all

    @property
    def local_participant(self) -> Participant | None:
        local = self._roster.local_id
        return self._roster.get(local) if local else None

    @property
    def is_host(self) -> bool:
        """You are the call's host: you may end it for everyone and answer join requests."""
        local = self.local_participant
        return local is not None and local.host
