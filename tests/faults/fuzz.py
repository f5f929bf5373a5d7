"""A seeded generator of bad (and some good) protocol frames.

Frames are made from valid messages of every type, then broken in the ways a
buggy or hostile client would: fields dropped, retyped or blown up, unknown
types and versions, deep nesting, huge numbers, lone surrogates, non-objects,
random bytes and binary frames. The same seed gives the same frames.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

from parley.protocol.messages import (
    Answer,
    Candidate,
    Error,
    GoingAway,
    Join,
    Leave,
    Message,
    Offer,
    ParticipantInfo,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantReconnecting,
    ParticipantRestored,
    ParticipantUpdated,
    Ping,
    Pong,
    Update,
    Welcome,
    to_dict,
)

_NAMES = ["p_AAAAAAAA", "p_x", "", "self", "../../etc", "p_" + "9" * 60]


class FrameFuzzer:
    """``next()`` gives one frame (str for a text frame, bytes for a binary one)."""

    def __init__(self, seed: int, join_token: str | None = None,
                 targets: tuple[str, ...] = ()) -> None:
        self.rng = random.Random(seed)
        self.join_token = join_token
        self.targets = list(targets) or _NAMES

    def next(self) -> str | bytes:
        r = self.rng.random()
        if r < 0.04:
            return self.rng.randbytes(self.rng.randint(0, 300))
        if r < 0.10:
            return self._junk_text()
        if r < 0.16:
            return json.dumps(self._value(3))
        obj = to_dict(self._message())
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            self._mutate(obj)
        try:
            text = json.dumps(obj, ensure_ascii=self.rng.random() < 0.5, allow_nan=True)
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: only escaped, as text frames are UTF-8
            text = json.dumps(obj, allow_nan=True)
        except (ValueError, RecursionError):
            text = json.dumps({"v": 1, "type": "ping"})
        return text

    # -- parts

    def _message(self) -> Message:
        rng = self.rng
        to = rng.choice([*self.targets, None])
        sdp = rng.choice(["v=0\r\n", "", "x" * rng.randint(0, 4000)])
        kind = rng.randrange(16)
        messages: list[Message] = [
            Join(session_id=rng.choice(["fuzz", "calm", "other", "x" * 64, "x" * 65,
                                        "bad room!", ""]),
                 display_name=rng.choice(["F", "Ü" * 64, "a b"]),
                 token=rng.choice([self.join_token, "bogus", None]),
                 resume_token=rng.choice([None, None, "bogus.token"])),
            Leave(), Ping(t=rng.uniform(-1e9, 1e9)), Update(audio_muted=rng.random() < 0.5),
            Update(hand_raised=True, screen_sharing=False),
            Offer(sdp=sdp, to=to, generation=rng.randint(0, 5)),
            Answer(sdp=sdp, to=to), Candidate(candidate="candidate:1 1 udp 1 10.0.0.1 9 typ host",
                                              sdp_mid="0", sdp_mline_index=0, to=to),
            Welcome(session_id="s", participant_id="p", participants=(), resume_token="t",
                    heartbeat_interval=1, heartbeat_timeout=3, departure_timeout=20),
            Pong(t=1.0), Error(code="internal", message="x"),
            GoingAway(reason="shutdown", retry_after=1.0),
            ParticipantLeft(participant_id="p", reason="left"),
            ParticipantReconnecting(participant_id="p"), ParticipantRestored(participant_id="p"),
            Ping(t=0.0),
        ]
        if rng.random() < 0.05:
            info = ParticipantInfo("p_AAAAAAAA", "Mallory", False, False, False, False, False)
            return rng.choice([ParticipantJoined(info), ParticipantUpdated(info)])
        return messages[kind]

    def _mutate(self, obj: dict[str, Any]) -> None:
        rng = self.rng
        keys = list(obj)
        op = rng.randrange(9)
        if op == 0 and keys:
            del obj[rng.choice(keys)]
        elif op == 1 and keys:
            obj[rng.choice(keys)] = self._value(2)
        elif op == 2:
            obj[self._word()] = self._value(2)
        elif op == 3:
            obj["type"] = rng.choice(["dance", "", "PING", "welcome", "error", "join ", 7, None,
                                      "\ud800", "x" * 100])
        elif op == 4:
            obj["v"] = rng.choice([0, 2, "1", 1.0, True, None, -1, 10**30])
        elif op == 5 and keys:
            # Well below or well above the parser's recursion limit (~1000): near it the
            # verdict depends on how deep the parser's caller already is.
            obj[rng.choice(keys)] = self._nested(rng.choice([rng.randint(50, 600),
                                                             rng.randint(1500, 3000)]))
        elif op == 6 and keys:
            obj[rng.choice(keys)] = rng.choice([float("nan"), float("inf"), -0.0, 10**400,
                                                1e308, -(2**63)])
        elif op == 7 and keys:
            obj[rng.choice(keys)] = "".join(rng.choice(["\x00", "\ud83d", "\u202e", "é", "\n"])
                                            for _ in range(rng.randint(1, 50)))
        elif op == 8 and keys:
            obj[rng.choice(keys)] = "y" * rng.randint(1000, 30000)

    def _value(self, depth: int) -> Any:
        rng = self.rng
        kind = rng.randrange(8 if depth > 0 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return rng.random() < 0.5
        if kind == 2:
            return rng.randint(-(2**70), 2**70)
        if kind == 3:
            return rng.uniform(-1e300, 1e300)
        if kind == 4:
            return self._word()
        if kind == 5:
            return ""
        if kind == 6:
            return [self._value(depth - 1) for _ in range(rng.randint(0, 4))]
        return {self._word(): self._value(depth - 1) for _ in range(rng.randint(0, 4))}

    def _word(self) -> str:
        return "".join(self.rng.choice(string.printable) for _ in range(self.rng.randint(0, 12)))

    def _nested(self, depth: int) -> Any:
        value: Any = []
        for _ in range(depth):
            value = [value] if self.rng.random() < 0.8 else {"k": value}
        return value

    def _junk_text(self) -> str:
        rng = self.rng
        return rng.choice([
            "", " ", "null", "[]", "{", "}", '{"v":1', "[" * 5000, '{"v":1,"type":"ping"}' * 2,
            "".join(chr(rng.randint(1, 0xD7FF)) for _ in range(rng.randint(1, 200))),
            '{"v":1,"type":"ping","t":' + "9" * 5000 + "}",
            '{"v":1,"type":"ping","t":NaN}', '{"v":1,"type":"ping","t":-Infinity}',
        ])
