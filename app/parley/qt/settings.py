"""What Parley remembers across runs, through QSettings.

The organisation and application names are set once by the entry point
(``configure_application``); tests point QSettings at a temporary directory with
``QSettings.setPath`` and the INI format before building an ``AppSettings``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QSettings

from parley.qt.options import JoinOptions

T = TypeVar("T")
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


THEME_CHOICES = ("light", "dark", "system")
"""The theme setting: a theme, or follow the system's light or dark preference."""


@dataclass
class AppPreferences:
    """The settings dialog's values (theme, notices, discovery, audio processing)."""

    theme: str = "light"
    """One of THEME_CHOICES."""
    notification_sounds: bool = False
    """Play a short sound when someone joins, leaves or raises a hand."""
    discovery: bool = True
    """Find and announce calls on this network (the join screen's switch, too)."""
    echo_cancellation: bool = True
    """Remove your speaker's sound from your microphone (SessionSettings field)."""
    noise_suppression: bool = True
    """Reduce steady background noise in your microphone."""
    auto_gain_control: bool = True
    """Keep your microphone's level even."""

    def with_audio_processing(self, options: object) -> object:
        """``options`` (JoinOptions; anything else as it is) with these switches."""
        if not isinstance(options, JoinOptions):
            return options
        return replace(options, echo_cancellation=self.echo_cancellation,
                       noise_suppression=self.noise_suppression,
                       auto_gain_control=self.auto_gain_control)


class AppSettings:
    """Typed access to Parley's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    @property
    def store(self) -> QSettings:
        return self._store

    def _load(self, prefs: T, prefix: str) -> T:
        for field in fields(prefs):  # type: ignore[arg-type]
            key = f"{prefix}/{field.name}"
            if not self._store.contains(key):
                continue
            value = self._store.value(key)
            if isinstance(getattr(prefs, field.name), bool):
                # INI files give back "true"/"false" strings.
                setattr(prefs, field.name, str(value).lower() in ("true", "1"))
            else:
                setattr(prefs, field.name, "" if value is None else str(value))
        return prefs

    def _save(self, prefs: object, prefix: str) -> None:
        for field in fields(prefs):  # type: ignore[arg-type]
            self._store.setValue(f"{prefix}/{field.name}", getattr(prefs, field.name))
        self._store.sync()

    def load_join(self) -> JoinPreferences:
        """The remembered join form (defaults for anything never saved)."""
        return self._load(JoinPreferences(), "join")

    def save_join(self, prefs: JoinPreferences) -> None:
        """Remember the join form."""
        self._save(prefs, "join")

    def load_app(self) -> AppPreferences:
        """The settings dialog's values (the theme is the one ``theme()`` reads, discovery
        the one ``discovery_enabled()`` reads)."""
        prefs = self._load(AppPreferences(), "app")
        prefs.theme = self.theme() if self.theme() in THEME_CHOICES else prefs.theme
        prefs.discovery = self.discovery_enabled()
        return prefs

    def save_app(self, prefs: AppPreferences) -> None:
        """Remember the settings dialog's values."""
        self.set_theme(prefs.theme)
        self.set_discovery_enabled(prefs.discovery)
        self._save(prefs, "app")

    def theme(self) -> str:
        """The theme last chosen ("light", "dark" or "system"), or ""."""
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
