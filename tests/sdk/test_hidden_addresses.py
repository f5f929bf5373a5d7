"""Who hides its host addresses by default (SessionSettings.hide_host_addresses=None):
a guest, unless the call is on loopback; never the host or a verified identity; an
explicit True or False always wins. And who accepts loopback candidates: only a call
whose server and TURN server are both on this machine (not the host of a LAN call,
who dials its own server on loopback)."""

from __future__ import annotations

import pytest

from parley.protocol.messages import IceServer, ParticipantInfo, Welcome
from parley.sdk.call_media import signal_gate
from parley.sdk.participants import Roster
from parley.sdk.settings import SessionSettings

LAN = "ws://192.168.1.20:8787/ws"
LOOPBACK = "ws://127.0.0.1:8787/ws"


def welcome(**standing: bool) -> Welcome:
    return Welcome(session_id="room", participant_id="p-me",
                   participants=(ParticipantInfo("p-me", "Me", **standing),),
                   resume_token="r" * 32, heartbeat_interval=1.0, heartbeat_timeout=3.0,
                   departure_timeout=5.0)


@pytest.mark.parametrize(("standing", "server", "setting", "hidden"), [
    ({"guest": True}, LAN, None, True),
    ({"guest": True}, LOOPBACK, None, False),
    ({"host": True, "verified": True}, LAN, None, False),
    ({"verified": True}, LAN, None, False),
    ({}, LAN, None, False),
    ({"host": True}, LAN, True, True),
    ({"guest": True}, LAN, False, False),
    ({"guest": True}, LOOPBACK, True, True),
])
def test_who_hides_its_host_addresses(standing: dict[str, bool], server: str,
                                      setting: bool | None, hidden: bool) -> None:
    gate = signal_gate(SessionSettings("Me", hide_host_addresses=setting), welcome(**standing),
                       server, Roster(), lambda pid: None, send=lambda m: None,
                       deliver=lambda m: None)
    assert gate.hide_host_addresses is hidden
    assert gate.allow_loopback is False  # no TURN server on this machine


@pytest.mark.parametrize(("server", "turn", "allowed"), [
    (LOOPBACK, "turn:127.0.0.1:3478?transport=udp", True),
    (LOOPBACK, "turn:turn.example.org:3478", False),
    (LOOPBACK, None, False),  # the host of a LAN call: its guests are not on this machine
    (LAN, "turn:127.0.0.1:3478", False),
])
def test_who_accepts_loopback_candidates(server: str, turn: str | None, allowed: bool) -> None:
    servers = (IceServer(urls=(turn,)),) if turn else ()
    gate = signal_gate(SessionSettings("Me", ice_servers=servers), welcome(host=True), server,
                       Roster(), lambda pid: None, send=lambda m: None, deliver=lambda m: None)
    assert gate.allow_loopback is allowed
