"""The call's media: the media mesh wired to the roster and the lifecycle. Peers follow
the roster; a peer's heartbeat dying makes it reconnecting and its media stalling is a
quality event (both participant events); every peer's heartbeat dead becomes a lost
media connection. Media flow alone never loses anything. A peer no path reaches for
10 s is unreachable (a participant event), unless the server says it is away or we
are: then it is reconnecting, not unreachable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from parley.media.candidates import is_loopback_ice_url, is_loopback_url
from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.frames import VideoFrame
from parley.media.gate import SignalGate
from parley.media.layer_choice import Views
from parley.media.peer import Signal
from parley.media.route import MediaRoute
from parley.media.screen import ScreenSource
from parley.protocol.messages import Message, Welcome
from parley.protocol.sfu import MediaMode
from parley.sdk.event_types import ParticipantEvent
from parley.sdk.listeners import VideoSink
from parley.sdk.participants import Events, Participant, Roster
from parley.sdk.settings import SessionSettings, SessionType

log = logging.getLogger("parley.sdk.media")

MEDIA_LOST_GRACE = 3.5
"""Seconds every peer's heartbeat must stay dead before the session counts as lost. The
server needs up to its heartbeat timeout (3 s) to say a peer's own link died, and an
offer lost in a peer's dead link is repeated after the liveness timeout (2 s); until
both have had their chance, a dead peer may be the peer's problem, not ours. (Our
own dead link is noticed by heartbeats in under 2 s; this is only the media path.)"""
SPEAKER_THRESHOLD = 0.02
SPEAKER_SMOOTHING = 0.3


class CallMedia:
    """A MediaMesh that follows the roster and reports to the session through callbacks.

    Args:
        settings: What the session was joined with (devices, video or audio only).
        welcome: The server's welcome (our id, its ICE servers).
        roster: The participants; read, and told which peers' media died.
        sinks: Where video frames go (the session's list, read on every frame).
        send: Hands an offer/answer/candidate to the call server (dropped while down).
        on_participant_event: A participant event of media (a peer's heartbeat died or
            came back, its media stalled or flows, the dominant speaker changed).
        on_media_connection: Every peer's heartbeat died (False), or one came back (True).
        on_device_error: A device is missing or failed: (kind, message).
        server: The call server's URL (a loopback one makes this a loopback call).
        views: How the UI shows each participant (what is received of each).
    """

    def __init__(self, settings: SessionSettings, welcome: Welcome, roster: Roster,
                 sinks: Sequence[VideoSink], *, send: Callable[[Message], None],
                 on_participant_event: Callable[[ParticipantEvent, Participant | None], None],
                 on_media_connection: Callable[[bool], None],
                 on_device_error: Callable[[str, str], None], server: str | None = None,
                 views: Views | None = None) -> None:
        self._roster = roster
        self._sinks = sinks
        self._local_id = welcome.participant_id
        self._on_participant_event = on_participant_event
        self._on_media_connection = on_media_connection
        self._grace: asyncio.TimerHandle | None = None
        self._media_down = False
        self._levels: dict[str, float] = {}
        self._dominant: str | None = None
        self._views = views if views is not None else Views()
        self._views.dominant = None  # a speaker of an earlier call is nobody's now
        config = MediaConfig(
            fake_media=settings.fake_media or settings.echo,
            echo=settings.echo,
            video=settings.session_type is SessionType.VIDEO,
            camera=settings.devices.camera,
            microphone=settings.devices.microphone,
            speaker=settings.devices.speaker,
            ice_servers=settings.ice_servers + welcome.ice_servers,
            echo_cancellation=settings.echo_cancellation,
            noise_suppression=settings.noise_suppression,
            auto_gain_control=settings.auto_gain_control,
        )
        self._candidateless: set[str] = set()
        self._gate = signal_gate(settings, welcome, server, roster, self._no_candidates,
                                 send=send, deliver=lambda msg: self._mesh.handle_signal(msg))
        events = MeshEvents(
            on_peer_reconnecting=lambda pid: self._peer_link(pid, False),
            on_peer_restored=lambda pid: self._peer_link(pid, True),
            on_peer_connected=lambda pid: self._peer_link(pid, True),
            on_peer_media=self._peer_quality,
            on_peer_video_slow=self._peer_video_slow,
            on_peer_reachable=self._peer_reachable,
            on_video_frame=self._deliver,
            on_local_frame=lambda frame: self._deliver(self._local_id, frame),
            on_audio_level=self._audio_level,
            on_device_error=on_device_error,
        )
        # Under the SFU the only peer is parley-server (docs/sfu.md): no roster gate there.
        self._mesh = MediaRoute(self._local_id, config, welcome.media, self._gate.outgoing,
                                send, events, self._views)

    async def start(self) -> None:
        """Open the local sources; peers are added as the roster announces them."""
        await self._mesh.start()

    async def close(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
        self._gate.close()
        await self._mesh.close()

    def handle_signal(self, message: Message) -> None:
        """A peer's offer/answer/candidate (mesh, through the gate), the server's SFU
        negotiation, or a move of the call's media (no participant event: docs/sfu.md)."""
        if isinstance(message, MediaMode):
            self._mesh.move_to(message.mode, message.generation)
        elif isinstance(message, Signal):
            self._gate.incoming(message)
        else:
            self._mesh.handle_signal(message)

    def resync(self, welcome: Welcome | None = None) -> None:
        """Signaling came back (``welcome``: the resume's): follow the room's media mode
        (it may have moved meanwhile; a room the server recreated is published to
        afresh), and renegotiate whatever is not flowing."""
        if welcome is not None:
            self._mesh.move_to(welcome.media, fresh=welcome.room_recreated)
        self._mesh.resync(self._roster.remote_ids)

    def stats(self) -> dict[str, Any]:
        return dict(self._mesh.stats())

    def received_layer(self, pid: str) -> str | None:
        """The camera layer of ``pid`` received through the SFU (None in a mesh)."""
        return self._mesh.received_layer(pid)

    def audio_level(self, pid: str) -> float:
        """The smoothed level (0..1) of a participant's audio as heard here."""
        return self._levels.get(pid, 0.0)

    def set_audio_muted(self, muted: bool) -> None:
        self._mesh.set_audio_muted(muted)

    def set_video_paused(self, paused: bool) -> None:
        self._mesh.set_video_paused(paused)

    async def start_screen_share(self, source: ScreenSource | None = None) -> bool:
        """Start sending ``source`` (the main screen); False (and a device error) when it
        cannot."""
        return await self._mesh.start_screen_share(source)

    async def stop_screen_share(self) -> None:
        await self._mesh.stop_screen_share()

    async def use_device(self, kind: str, device: str | None) -> None:
        """Switch the camera, microphone or speaker mid-call, without renegotiation."""
        await self._mesh.use_device(kind, device)

    @property
    def missing_devices(self) -> frozenset[str]:
        return self._mesh.missing_devices

    def roster_changed(self, events: Events) -> None:
        for name, participant in events:
            if name == "on_participant_joined":
                self._mesh.add_peer(participant.id)
            elif name == "on_participant_left":
                self._mesh.remove_peer(participant.id)
                self._gate.forget(participant.id)
                self._candidateless.discard(participant.id)
                self._levels.pop(participant.id, None)
        self._check_liveness()

    def peer_returned(self, pid: str) -> None:
        """The server says ``pid`` is back (restored, or resumed on a restarted server):
        renegotiate now whatever went unanswered while it was away, rather than
        waiting for the next liveness round."""
        if pid in self._roster:
            self._mesh.resync(self._roster.remote_ids)

    def reset_liveness(self) -> None:
        """Signaling came back: peers are being rebuilt, so give media a fresh grace."""
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        if self._media_down:
            self._media_down = False
            self._on_media_connection(True)

    # -- internals

    def _deliver(self, pid: str, frame: VideoFrame) -> None:
        for sink in list(self._sinks):
            try:
                sink(pid, frame)
            except Exception:
                log.exception("event=video_sink_error participant=%s", pid)

    def _peer_link(self, pid: str, flowing: bool) -> None:
        if pid not in self._roster:
            return
        for name, participant in self._roster.set_media_down(pid, not flowing):
            self._on_participant_event(name, participant)
        self._check_liveness()

    def _no_candidates(self, pid: str) -> None:
        """We sent ``pid`` no candidate (host addresses hidden, no STUN/TURN): only its own
        addresses can make a path. If none does, the unreachable event says so, with
        this as its cause in the log (not before: a host on the LAN is reached anyway)."""
        self._candidateless.add(pid)

    def _peer_quality(self, pid: str, flowing: bool) -> None:
        participant = self._roster.get(pid)
        if participant is not None:
            self._on_participant_event("on_media_flowing" if flowing else "on_media_stalled",
                                       participant)

    def _peer_video_slow(self, pid: str, slow: bool) -> None:
        for name, participant in self._roster.set_video_paused_for_bandwidth(pid, slow):
            self._on_participant_event(name, participant)

    def _peer_reachable(self, pid: str, reachable: bool) -> None:
        if not reachable and (self._media_down or self._roster.server_reconnecting(pid)):
            log.info("event=peer_unreachable participant=%s shown=no (an outage)", pid)
            return
        cause = " cause=no_candidates (host addresses hidden, no STUN/TURN candidate)" \
            if not reachable and pid in self._candidateless else ""
        log.info("event=peer_%s participant=%s%s", "reachable" if reachable else "unreachable",
                 pid, cause)
        for name, participant in self._roster.set_media_unreachable(pid, not reachable):
            self._on_participant_event(name, participant)

    def _all_media_dead(self) -> bool:
        """Every peer's heartbeat is dead (peers the server says are reconnecting have
        their own outage, not ours)."""
        expected = [pid for pid in self._roster.remote_ids
                    if not self._roster.server_reconnecting(pid)]
        return bool(expected) and all(pid in self._roster.media_down for pid in expected)

    def _check_liveness(self) -> None:
        if self._all_media_dead():
            if not self._media_down and self._grace is None:
                loop = asyncio.get_running_loop()
                self._grace = loop.call_later(MEDIA_LOST_GRACE, self._confirm_lost)
            return
        self.reset_liveness()  # someone's heartbeat answers: no grace, and media is up

    def _confirm_lost(self) -> None:
        self._grace = None
        if self._all_media_dead():
            log.info("event=media_lost peers=%d", len(self._roster.media_down))
            self._media_down = True
            self._on_media_connection(False)

    def _audio_level(self, pid: str, level: float) -> None:
        smoothed = (1 - SPEAKER_SMOOTHING) * self._levels.get(pid, 0.0) \
            + SPEAKER_SMOOTHING * level
        self._levels[pid] = smoothed
        loudest = max(self._levels, key=lambda k: self._levels[k], default=None)
        if loudest is not None and self._levels[loudest] < SPEAKER_THRESHOLD:
            loudest = None
        if loudest != self._dominant:
            self._dominant = self._views.dominant = loudest
            self._on_participant_event(
                "on_dominant_speaker_changed",
                self._roster.get(loudest) if loudest else None,
            )


def signal_gate(settings: SessionSettings, welcome: Welcome, server: str | None, roster: Roster,
                on_no_candidates: Callable[[str], None], *, send: Callable[[Signal], None],
                deliver: Callable[[Signal], None]) -> SignalGate:
    """The gate of a call's media signals, as the settings and the way we joined say:
    host addresses hidden for a guest off loopback (unless the settings say otherwise);
    loopback candidates allowed only when the call server and one of our STUN/TURN
    servers are on loopback (docs/security.md)."""
    loopback = is_loopback_url(server)
    me = next((p for p in welcome.participants if p.id == welcome.participant_id), None)
    hide = settings.hide_host_addresses
    if hide is None:
        hide = me is not None and me.guest and not loopback
    servers = settings.ice_servers + welcome.ice_servers
    relays_here = any(is_loopback_ice_url(url) for s in servers for url in s.urls)
    log.info("event=candidates hide_host_addresses=%s loopback_call=%s loopback_relay=%s "
             "ice_servers=%d", hide, loopback, relays_here, len(servers))
    if hide and not servers:
        log.warning("event=no_ice_servers host addresses are kept private and no STUN/TURN "
                    "server is configured: peers that keep theirs private cannot be reached")
    local = welcome.participant_id
    return SignalGate(is_member=lambda pid: pid != local and pid in roster, deliver=deliver,
                      send=send, allow_loopback=loopback and relays_here,
                      hide_host_addresses=hide, on_no_candidates=on_no_candidates)
