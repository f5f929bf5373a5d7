"""PulseAudio's own sinks and sources as speakers and microphones (Linux).

PortAudio (19.6, Debian's) has no PulseAudio host API: it lists ALSA's devices, and a
PulseAudio sink appears there only when an ALSA device comes with it (a sound card). A
sink made by software, a Bluetooth headset or a network sink never shows up. So the
sinks and sources are listed from PulseAudio itself (``pactl``, which PipeWire's pulse
server answers too) as ``"Pulse:<sink or source name>"``; the name is PulseAudio's
stable one, the label its description.

Such a device is opened through ALSA's ``pulse`` plugin (the ALSA device ``pulse``, or
``default`` when only that one goes to PulseAudio), with ``PULSE_SINK`` /
``PULSE_SOURCE`` naming it while the stream opens: libpulse takes those as the default
device when the plugin connects (:func:`routed`). A remembered device that is gone
falls back to the system default, as a PortAudio one does.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

logger = logging.getLogger(__name__)

PULSE_API = "Pulse"
"""The host-API part of a PulseAudio device's id."""
PactlKind = Literal["microphone", "speaker"]
_ENV = {"speaker": "PULSE_SINK", "microphone": "PULSE_SOURCE"}
_LIST = {"speaker": "sinks", "microphone": "sources"}
_DEFAULT = {"speaker": "get-default-sink", "microphone": "get-default-source"}
_opening = threading.Lock()  # the environment is the process's: one open at a time


def _pactl(*args: str) -> str | None:
    if shutil.which("pactl") is None:
        return None
    try:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=3,
                              check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("pactl %s: %s", " ".join(args), exc)
        return None
    return done.stdout


def pulse_devices(kind: PactlKind, monitors: bool = False) -> list[tuple[str, str, bool]]:
    """(name, description, is the default) of every sink (speaker) or source
    (microphone; sinks' monitors only with ``monitors``) PulseAudio has now; empty
    without a PulseAudio server or ``pactl``."""
    listed = _pactl("-f", "json", "list", _LIST[kind])
    if not listed:
        return []
    try:
        rows: list[dict[str, Any]] = json.loads(listed)
    except ValueError as exc:  # a pactl before 16 has no JSON
        logger.debug("pactl gave no JSON: %s", exc)
        return []
    default = (_pactl(_DEFAULT[kind]) or "").strip()
    return [(str(row["name"]), str(row.get("description") or row["name"]),
             row["name"] == default) for row in rows
            if "name" in row and (monitors or not _is_monitor(row))]


def _is_monitor(row: dict[str, Any]) -> bool:
    """A sink's monitor is a source too; microphone pickers leave it out, as desktop
    sound settings do (it can still be opened by its id)."""
    of_sink = row.get("monitor_of_sink")
    return bool(of_sink and of_sink != "n/a") or str(row["name"]).endswith(".monitor")


def pulse_name(device: str | None) -> str | None:
    """The PulseAudio name in a ``"Pulse:<name>"`` id (None for any other id)."""
    if device is None:
        return None
    api, sep, name = device.partition(":")
    return name if sep and api == PULSE_API else None


@contextmanager
def routed(device: str | None, kind: PactlKind, alsa_names: Iterator[str] | list[str]
           ) -> Iterator[str | None]:
    """Open a stream for ``device`` inside this block: yields the device to hand
    PortAudio. A Pulse id yields ALSA's ``pulse`` device (None, the default, when
    ``alsa_names`` has no such device) with PulseAudio told which sink or source to
    connect it to; a Pulse device that is gone yields None (the default, with a
    warning); any other id is yielded as it is."""
    name = pulse_name(device)
    if name is None:
        yield device
        return
    if name not in {found for found, _, _ in pulse_devices(kind, monitors=True)}:
        logger.warning("%s %r is not connected: using the system default", kind, name)
        yield None
        return
    variable = _ENV[kind]
    with _opening:
        before = os.environ.get(variable)
        os.environ[variable] = name
        try:
            yield "pulse" if "pulse" in alsa_names else None
        finally:
            if before is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = before
