"""The base of every protocol message (its own module, so that the message families
in other modules, such as :mod:`.sfu`, can subclass it without an import circle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Message:
    """Base of every protocol message; ``TYPE`` is the wire name."""

    TYPE: ClassVar[str] = ""
