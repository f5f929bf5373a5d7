"""Names of a library that Parley replaces with its own, and puts back: :class:`Replaced`.

Parley changes aiortc's and aioice's behaviour in a few documented places by replacing a
module-level name (``aiortc.rtcrtpreceiver.JitterBuffer``, ``get_decoder``,
``RemoteBitrateEstimator``, ``queue``, ``decoder_worker``,
``aiortc.rtcdtlstransport.clock``) or a method of a class
(aioice's ``StunProtocol.datagram_received``, ``Connection.recv``), or an object's
attribute (the ``parameters`` of aiortc's Opus codec entry, :mod:`.opus_fec`). Each of those
modules keeps one :class:`Replaced`: ``install()`` (process-wide, idempotent),
``uninstall()`` (the benchmarks' bare-aiortc baselines), ``installed``, and
``upstream(name)``, the original, for a wrapper to call.
"""

from __future__ import annotations

from typing import Any


class Replaced:
    """Attributes of modules or classes replaced while installed.

    Args:
        names: ``(owner, attribute, replacement)`` each; the attribute names are unique.
    """

    def __init__(self, *names: tuple[object, str, object]) -> None:
        if len({attribute for _, attribute, _ in names}) != len(names):
            raise ValueError("each replaced attribute needs a name of its own")
        self._names = names
        self._upstream: dict[str, Any] = {}

    @property
    def installed(self) -> bool:
        return bool(self._upstream)

    def install(self) -> None:
        """Put the replacements in (idempotent)."""
        if self._upstream:
            return
        for owner, attribute, replacement in self._names:
            self._upstream[attribute] = getattr(owner, attribute)
            setattr(owner, attribute, replacement)

    def uninstall(self) -> None:
        """Put the originals back (idempotent)."""
        for owner, attribute, _ in self._names:
            if attribute in self._upstream:
                setattr(owner, attribute, self._upstream.pop(attribute))

    def upstream(self, attribute: str) -> Any:
        """The original of a replaced attribute (while installed)."""
        return self._upstream[attribute]
