"""Which remote candidates reach ICE and which of our own leave (parley.media.candidates):
pure rules, no sockets."""

from __future__ import annotations

import pytest

from parley.media.candidates import (
    REMOTE_CANDIDATE_LIMIT,
    CandidateLine,
    RemoteCandidates,
    is_loopback_ice_url,
    is_loopback_url,
    unsafe_reason,
    without_host_candidates,
)


def line(host: str, port: int, typ: str = "host", proto: str = "udp", extra: str = "") -> str:
    return f"a=candidate:1 1 {proto} 2130706431 {host} {port} typ {typ}{extra}"


@pytest.mark.parametrize(("host", "port", "reason"), [
    ("127.0.0.1", 22, "loopback"), ("127.9.9.9", 50000, "loopback"), ("::1", 5000, "loopback"),
    ("::ffff:127.0.0.1", 5000, "loopback"), ("169.254.10.20", 5000, "link-local"),
    ("fe80::1", 5000, "link-local"), ("224.0.0.251", 5353, "multicast"),
    ("ff02::fb", 5353, "multicast"), ("0.0.0.0", 5000, "unspecified"),
    ("255.255.255.255", 5000, "broadcast"), ("example.org", 5000, "not an IP address"),
    ("192.0.2.7", 0, "port 0"),
])
def test_addresses_checks_must_never_go_to(host: str, port: int, reason: str) -> None:
    assert unsafe_reason(host, port, allow_loopback=False) == reason


@pytest.mark.parametrize("host", ["192.0.2.7", "10.1.2.3", "2001:db8::5", "fd00::2",
                                  "3c1d0b4e-3a0e-4f5b-9a3c-2b1e0d9f8a7c.local"])
def test_lan_public_and_mdns_addresses_are_checked(host: str) -> None:
    assert unsafe_reason(host, 50000, allow_loopback=False) is None


def test_loopback_when_allowed_but_never_a_privileged_port() -> None:
    assert unsafe_reason("127.0.0.1", 49152, allow_loopback=True) is None
    assert unsafe_reason("::1", 40000, allow_loopback=True) is None
    assert unsafe_reason("127.0.0.1", 22, allow_loopback=True) == "loopback"
    assert unsafe_reason("169.254.1.1", 40000, allow_loopback=True) == "link-local"


def test_at_most_the_limit_of_different_addresses_a_repeat_is_free() -> None:
    screen = RemoteCandidates(allow_loopback=False)
    lines = [line("192.0.2.7", 40000 + i) for i in range(30)]
    admitted = [ln for ln in lines if screen.admit_line(ln) is None]
    assert admitted == lines[:REMOTE_CANDIDATE_LIMIT]
    assert screen.admit_line(lines[3]) is None  # another m-line of the bundle repeats it
    assert screen.admit_line(lines[25]) == "beyond 20 candidates for this connection"


def test_tcp_and_malformed_candidates_are_dropped() -> None:
    screen = RemoteCandidates(allow_loopback=False)
    assert screen.admit_line(line("192.0.2.7", 9, proto="tcp", extra=" tcptype active")) \
        == "tcp (no ICE-TCP here)"
    assert screen.admit_line("a=candidate:garbage") == "malformed"
    assert screen.admitted == set()


def test_an_sdp_keeps_its_safe_candidates_only() -> None:
    sdp = "\r\n".join(["v=0", "m=audio 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0",
                       line("127.0.0.1", 22), line("192.0.2.7", 40000),
                       line("224.0.0.1", 5000), "a=end-of-candidates"]) + "\r\n"
    kept, dropped = RemoteCandidates(allow_loopback=False).filter_sdp(sdp)
    assert "192.0.2.7 40000" in kept and "127.0.0.1" not in kept and "224.0.0.1" not in kept
    assert "a=end-of-candidates" in kept
    assert dropped == ["127.0.0.1 22: loopback", "224.0.0.1 5000: multicast"]


def test_private_host_addresses_leave_only_relay_and_srflx_with_blank_related() -> None:
    sdp = "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 0.0.0.0", "m=audio 37578 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 192.0.2.2", "a=rtcp:9 IN IP4 0.0.0.0",
        line("192.0.2.2", 37578), line("fd00::2", 36090),
        line("198.51.100.9", 61000, "srflx", extra=" raddr 192.0.2.2 rport 37578"),
        line("203.0.113.5", 50001, "relay", extra=" raddr 198.51.100.9 rport 61000"),
        "m=application 0 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 192.0.2.2",
    ]) + "\r\n"
    out, kept = without_host_candidates(sdp)
    assert kept == 2
    assert "192.0.2.2" not in out and "fd00::2" not in out
    assert "m=audio 61000 UDP/TLS/RTP/SAVPF 96" in out and "c=IN IP4 198.51.100.9" in out
    assert "raddr 0.0.0.0 rport 0" in out
    assert "m=application 0 UDP/DTLS/SCTP" in out  # a rejected m-line stays rejected


def test_private_host_addresses_without_stun_or_turn_leave_nothing_and_say_so() -> None:
    sdp = "v=0\r\nm=audio 37578 RTP/SAVPF 96\r\nc=IN IP6 fd00::2\r\n" + line("fd00::2", 37578) \
        + "\r\na=end-of-candidates\r\n"
    out, kept = without_host_candidates(sdp)
    assert kept == 0
    assert "end-of-candidates" not in out  # the peer keeps listening for our checks
    assert "m=audio 9 RTP/SAVPF 96" in out and "c=IN IP4 0.0.0.0" in out
    assert "fd00::2" not in out


def test_a_candidate_line_round_trips() -> None:
    text = "candidate:f9 1 udp 2130706431 192.0.2.2 37578 typ srflx raddr 10.0.0.1 rport 5"
    parsed = CandidateLine.parse(text)
    assert parsed is not None and parsed.text() == text
    assert parsed.address == ("192.0.2.2", 37578, "udp")


@pytest.mark.parametrize(("url", "loopback"), [
    ("ws://127.0.0.1:8787/ws", True), ("ws://[::1]:8787/ws", True),
    ("ws://localhost:8787/ws", True), ("wss://calls.example.org/ws", False),
    ("ws://192.168.1.20:8787/ws", False), (None, False),
])
def test_a_allow_loopback_is_one_whose_server_is_on_loopback(url: str | None,
                                                            loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


@pytest.mark.parametrize(("url", "loopback"), [
    ("turn:127.0.0.1:3478?transport=udp", True), ("turns:[::1]:443?transport=tcp", True),
    ("stun:localhost", True), ("turn:turn.example.org:3478", False),
    ("stun:192.168.1.20:3478", False), ("garbage", False),
])
def test_a_stun_or_turn_server_on_this_machine(url: str, loopback: bool) -> None:
    assert is_loopback_ice_url(url) is loopback
