"""What Parley remembers across runs, through QSettings.

The organisation and application names are set once by the entry point
(``configure_application``); tests point QSettings at a temporary directory with
``QSettings.setPath`` and the INI format before building an ``AppSettings``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtCore import QCoreApplication, QSettings

ORGANISATION = "Parley"
APPLICATION = "Parley"


def configure_application() -> None:
    """Name the organisation and application, so QSettings finds Parley's file."""
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setOrganizationDomain("parley.invalid")
    QCoreApplication.setApplicationName(APPLICATION)


@dataclass
class JoinPreferences:
    """The join form's remembered values."""

    name: str = ""
    """The display name last used."""
    session: str = ""
    """The session id (or invite link) last joined."""
    server: str = ""
    """The server last typed; empty means this computer's built-in server."""
    camera: str = ""
    """The camera chosen; empty means the system default."""
    microphone: str = ""
    """The microphone chosen; empty means the system default."""
    speaker: str = ""
    """The speaker chosen; empty means the system default."""
    start_audio_muted: bool = False
    """Join with the microphone off."""
    start_video_paused: bool = False
    """Join with the camera off."""


class AppSettings:
    """Typed access to Parley's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    @property
    def store(self) -> QSettings:
        return self._store

    def load_join(self) -> JoinPreferences:
        """The remembered join form (defaults for anything never saved)."""
        prefs = JoinPreferences()
        for field in fields(JoinPreferences):
            key = f"join/{field.name}"
            if not self._store.contains(key):
                continue
            value = self._store.value(key)
            if isinstance(getattr(prefs, field.name), bool):
                # INI files give back "true"/"false" strings.
                setattr(prefs, field.name, str(value).lower() in ("true", "1"))
            else:
                setattr(prefs, field.name, "" if value is None else str(value))
        return prefs

    def save_join(self, prefs: JoinPreferences) -> None:
        """Remember the join form."""
        for field in fields(JoinPreferences):
            self._store.setValue(f"join/{field.name}", getattr(prefs, field.name))
        self._store.sync()

    def theme(self) -> str:
        """The theme name last chosen ("light" or "dark"), or ""."""
        return str(self._store.value("ui/theme", "") or "")

    def set_theme(self, name: str) -> None:
        self._store.setValue("ui/theme", name)

    def discovery_enabled(self) -> bool:
        """Find calls on this network and announce the ones you host (on unless switched
        off)."""
        value = self._store.value("network/discovery_enabled", True)
        return str(value).lower() in ("true", "1")

    def set_discovery_enabled(self, enabled: bool) -> None:
        self._store.setValue("network/discovery_enabled", enabled)
        self._store.sync()

    def geometry(self) -> bytes | None:
        """The main window's saved geometry, if any."""
        value = self._store.value("ui/geometry")
        return bytes(value) if value else None

    def set_geometry(self, data: bytes) -> None:
        self._store.setValue("ui/geometry", data)
        self._store.sync()
