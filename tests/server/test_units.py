"""Config validation, resume keys, rate limits and log formatting (no sockets)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from parley.server.config import ServerConfig, default_state_dir, is_loopback_host
from parley.server.keys import KEY_FILE, resume_key
from parley.server.limits import FloodWatch, TokenBucket
from parley.server.logs import format_event


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)
    ServerConfig(host=host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org"])
def test_open_rooms_on_a_public_host_need_a_secret_or_the_flag(host: str) -> None:
    with pytest.raises(ValueError, match="allow-open-rooms"):
        ServerConfig(host=host)
    ServerConfig(host=host, secret=b"s" * 32)
    ServerConfig(host=host, allow_open_rooms=True)


@pytest.mark.parametrize(("bad", "message"), [
    ({"port": -1}, "port must be 0-65535, got -1"),
    ({"port": 70000}, "port must be 0-65535, got 70000"),
    ({"departure_timeout": 0}, "departure_timeout must be a positive number, got 0"),
    ({"heartbeat_interval": -1}, "heartbeat_interval must be a positive number, got -1"),
    ({"heartbeat_timeout": float("nan")}, "heartbeat_timeout must be a positive number, got nan"),
    ({"heartbeat_interval": 2, "heartbeat_timeout": 1},
     "heartbeat_timeout must be longer than heartbeat_interval"),
    ({"max_participants": 0}, "max_participants must be >= 1, got 0"),
    ({"max_rooms": 0}, "max_rooms must be >= 1, got 0"),
    ({"rate_burst": 0}, "rate_burst must be >= 1, got 0"),
    ({"max_frame_bytes": 10}, "max_frame_bytes must be at least 1024"),
    ({"secret": b""}, "secret must not be empty"),
    ({"secret": "str"}, "secret must be bytes"),
    ({"host": ""}, "host must not be empty"),
])
def test_invalid_configs_are_refused(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ServerConfig(**bad)  # type: ignore[arg-type]


def test_config_defaults_and_derived_values() -> None:
    config = ServerConfig(state_dir="/tmp/x")  # type: ignore[arg-type]
    assert config.state_dir == Path("/tmp/x")
    assert (config.port, config.departure_timeout, config.max_participants) == (8787, 20.0, 16)
    assert config.client_heartbeat_timeout == 1.5
    assert config.resume_token_lifetime == 23.0


def test_default_state_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "parley"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_state_dir() == Path.home() / ".local" / "state" / "parley"


def test_resume_key_file_is_private_and_stable(tmp_path: Path) -> None:
    state = tmp_path / "state"
    key = resume_key(ServerConfig(state_dir=state))
    assert len(key) == 32
    mode = stat.S_IMODE(os.stat(state / KEY_FILE).st_mode)
    assert mode == 0o600
    assert resume_key(ServerConfig(state_dir=state)) == key  # survives a restart
    assert resume_key(ServerConfig(state_dir=tmp_path / "elsewhere")) != key


def test_resume_key_from_a_secret_needs_no_file(tmp_path: Path) -> None:
    one, two = b"one" * 11, b"two" * 11
    a = resume_key(ServerConfig(secret=one, state_dir=tmp_path))
    assert a == resume_key(ServerConfig(secret=one, state_dir=tmp_path / "x"))
    assert a != resume_key(ServerConfig(secret=two, state_dir=tmp_path))
    assert a != one and not (tmp_path / KEY_FILE).exists()


def test_a_corrupt_key_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not hex")
    (tmp_path / KEY_FILE).chmod(0o600)
    with pytest.raises(ValueError, match="hex"):
        resume_key(ServerConfig(state_dir=tmp_path))


def test_token_bucket_burst_then_rate() -> None:
    bucket = TokenBucket(rate=10.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.05)  # half a token refilled
    assert bucket.take(0.1)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]  # capped


def test_flood_watch_counts_within_the_window() -> None:
    watch = FloodWatch(limit=3, window=1.0)
    assert not any(watch.drop(t) for t in (0.0, 0.1, 0.2))
    assert watch.drop(0.3)
    assert not watch.drop(5.0)  # old drops forgotten


def test_log_lines_are_key_value_and_quote_odd_values() -> None:
    line = format_event("join", {"room": "r-1", "participant": "p_x", "name": "Ada L",
                                 "skip": None, "t": 0.25})
    assert line == 'event=join room=r-1 participant=p_x name="Ada L" t=0.25'
