"""Close codes: one enum, and docs/protocol.md's table says what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from parley.protocol.closecodes import CLOSE_CODES, CLOSE_REASONS, CloseCode
from parley.protocol.errors import ErrorCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _documented_closes() -> dict[str, str]:
    """error code -> the "connection" column of the section's table."""
    section = DOC.read_text().split("## Error codes and close codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| .* \| ([^|]+) \|$", section, re.MULTILINE)
    return {code: connection.strip() for code, connection in rows}


def test_every_error_the_server_closes_on_is_documented_with_its_code() -> None:
    documented = _documented_closes()
    assert set(documented) == {code.value for code in ErrorCode}
    for error in ErrorCode:
        bold = re.fullmatch(r"\*\*closed (\d+)\*\*", documented[error.value])
        if error in CLOSE_CODES:
            assert bold is not None and int(bold[1]) == CLOSE_CODES[error], error
        elif error in CLOSE_REASONS:  # a close reason, never sent as an error
            assert bold is not None and int(bold[1]) == CLOSE_REASONS[error], error
        else:
            assert bold is None, error


def test_close_codes_are_the_documented_numbers() -> None:
    assert {c.name: int(c) for c in CloseCode} == {
        "NORMAL": 1000, "GOING_AWAY": 1001, "POLICY": 1008, "TOO_BIG": 1009, "AUTH": 4001,
        "FULL": 4003, "HEARTBEAT": 4008, "REPLACED": 4009, "RESUME_REFUSED": 4010,
        "ROOM_CLOSED": 4011, "DUPLICATE_IDENTITY": 4012, "LOBBY": 4013,
        "RESUME_PENDING": 4014,
    }
    assert all(isinstance(code, CloseCode) for code in CLOSE_CODES.values())
    assert not set(CLOSE_CODES) & set(CLOSE_REASONS)
