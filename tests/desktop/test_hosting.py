"""New call without a window: readable names, the per-user secret, LAN addresses best
first (never loopback), and a hosted call whose invite alone lets another client in (on
loopback addresses here; tests/faults/test_lan.py does it across two namespaces)."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest

from parley.desktop.discovery import call_from_info, instance_name, service_info
from parley.desktop.hosting import LanHost, host_secret, readable_room_id
from parley.desktop.lan import interface_addresses, lan_addresses
from parley.protocol.grants import verify_grant
from parley.protocol.invites import parse_invite
from parley.protocol.tokens import verify
from parley.sdk import CallSession, SessionSettings
from tests.sdk.recorder import Recorder


def test_room_ids_read_out_loud() -> None:
    assert readable_room_id(lambda n: 0) == "quiet-river-10"
    for _ in range(50):
        assert re.fullmatch(r"[a-z]+-[a-z]+-[1-9][0-9]", readable_room_id())


def test_the_host_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    secret = host_secret(tmp_path / "cfg")
    path = tmp_path / "cfg" / "host-secret"
    assert len(secret) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert host_secret(tmp_path / "cfg") == secret  # kept across runs
    path.chmod(0o644)  # others could read it: its invites may have leaked
    fresh = host_secret(tmp_path / "cfg")
    assert fresh != secret and stat.S_IMODE(path.stat().st_mode) == 0o600


class _Ip:
    def __init__(self, ip: Any) -> None:
        self.ip = ip


class _Adapter:
    def __init__(self, *ips: Any) -> None:
        self.ips = [_Ip(ip) for ip in ips]


def test_lan_addresses_put_the_primary_first_and_never_loopback() -> None:
    adapters: Any = [_Adapter("127.0.0.1", ("::1", 0, 0)),
                     _Adapter("93.184.216.34"),
                     _Adapter("169.254.3.3", "10.1.2.3", ("fe80::1", 0, 2)),
                     _Adapter("192.168.1.20")]
    assert interface_addresses(adapters) == ["93.184.216.34", "10.1.2.3", "192.168.1.20"]
    assert lan_addresses(adapters, primary="192.168.1.20") == [
        "192.168.1.20", "10.1.2.3", "93.184.216.34"]
    assert lan_addresses(adapters, primary="198.51.100.1") == [
        "10.1.2.3", "192.168.1.20", "93.184.216.34"]  # private ones before the rest
    assert lan_addresses([_Adapter("127.0.0.1")], primary=None) == []  # type: ignore[list-item]


def test_the_announcement_carries_no_token() -> None:
    info = service_info("quiet-river-42", "Ada", 8788, ["10.0.0.5"])
    assert set(info.properties) == {b"v", b"room", b"host", b"path"}
    assert info.name == "Ada's call (quiet-river-42)._parley._tcp.local."
    call = call_from_info(info)
    assert call is not None
    assert (call.session_id, call.host_name, call.server) == (
        "quiet-river-42", "Ada", "ws://10.0.0.5:8788/ws")
    assert len(instance_name("r", "x" * 80).encode()) == 63
    assert "." not in instance_name("r", "Dr. Who")


async def test_a_hosted_call_lets_in_whoever_has_its_invite(tmp_path: Path) -> None:
    host = LanHost(secret_dir=tmp_path, bind="127.0.0.2", port=0, state_dir=tmp_path,
                   addresses=lambda: ["127.0.0.1", "127.0.0.2"])
    try:
        hosted = await host.new_call("Ada", session_id="quiet-river-42")
        invite = parse_invite(hosted.invite)
        assert hosted.addresses == ("127.0.0.2",)  # 127.0.0.1 is never offered to others
        assert invite.server == f"ws://127.0.0.2:{hosted.port}/ws"
        assert hosted.invite_line == f"invite: {hosted.invite}"
        secret = host_secret(tmp_path)
        grant = verify_grant(secret, invite.token or "", "quiet-river-42")
        issued = verify(secret, invite.token or "", ("invite",))["iat"]
        assert grant.guest and abs(grant.expires_at - issued - 86400) <= 1  # valid 24 h
        assert verify_grant(secret, hosted.token, "quiet-river-42").host

        ada, bob, rec = CallSession(), CallSession(), Recorder()
        await ada.join_session(hosted.session_id, SessionSettings(display_name="x", media=False),
                               server=hosted.server, token=hosted.token)
        ada.add_participant_event_listener(rec.participant_listener())
        await bob.join_session(invite.session_id,
                               SessionSettings(display_name="Bob", media=False),
                               server=invite.server, token=invite.token)
        await rec.wait("on_participant_joined")
        assert ada.is_host and ada.local_participant is not None
        assert ada.local_participant.name == "Ada"
        assert [p.guest for p in bob.participants if p.name == "Bob"] == [True]
        await bob.leave_session()
        await ada.leave_session()
    finally:
        await host.stop()


async def test_no_network_address_is_said(tmp_path: Path) -> None:
    host = LanHost(secret_dir=tmp_path, bind="127.0.0.1", port=0, state_dir=tmp_path,
                   addresses=lambda: ["127.0.0.1"])
    try:
        with pytest.raises(OSError, match="no network address others could reach"):
            await host.new_call("Ada")
    finally:
        await host.stop()


async def test_one_invite_names_every_address_in_order_and_the_next_one_is_tried(
        tmp_path: Path) -> None:
    # 127.0.0.3 stands for the first network, which the invitee cannot reach here (nothing
    # listens there); 127.0.0.2 for the second one, where the server is.
    host = LanHost(secret_dir=tmp_path, bind="127.0.0.2", port=0, state_dir=tmp_path,
                   addresses=lambda: ["127.0.0.3", "127.0.0.1", "127.0.0.2"])
    try:
        hosted = await host.new_call("Ada", session_id="quiet-river-42")
        invite = parse_invite(hosted.invite)
        assert hosted.addresses == ("127.0.0.3", "127.0.0.2")
        assert invite.servers == (f"ws://127.0.0.3:{hosted.port}/ws",
                                  f"ws://127.0.0.2:{hosted.port}/ws")
        assert hosted.invite_line == f"invite: {hosted.invite}"
        assert hosted.invite.count("server=") == 2 and hosted.invite.count("token=") == 1

        bob = CallSession()
        await bob.join_session(invite.session_id,
                               SessionSettings(display_name="Bob", media=False),
                               server=invite.server, token=invite.token,
                               alternates=invite.alternates)
        assert bob.server_url == f"ws://127.0.0.2:{hosted.port}/ws"
        await bob.leave_session()
    finally:
        await host.stop()
