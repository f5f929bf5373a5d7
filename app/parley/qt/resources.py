"""Finding and loading Parley's resources (style sheets, SVG icons, the app icon).

Where the files are is ``parley.resources``' one job (checkout, wheel and frozen
bundle alike); this module turns them into Qt objects.
"""

from __future__ import annotations

import functools
from enum import StrEnum

from PySide6.QtCore import QByteArray, QDir, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from parley.resources import resource_path
from parley.resources import resources_dir as resource_root  # noqa: F401 (re-exported)


class Theme(StrEnum):
    """The two colour themes; each has a style sheet in resources/themes/."""

    LIGHT = "light"
    DARK = "dark"


# The colour an icon's ``currentColor`` becomes in each theme (matches the QSS text colour).
ICON_COLOURS: dict[Theme, str] = {Theme.LIGHT: "#1f2330", Theme.DARK: "#e8eaf0"}


def resolve_theme(choice: str) -> Theme:
    """The theme to show for a setting of "light", "dark" or "system" (the system's
    colour scheme, light when it says nothing)."""
    if choice == "system":
        from PySide6.QtGui import QGuiApplication

        scheme = QGuiApplication.styleHints().colorScheme()
        return Theme.DARK if scheme == Qt.ColorScheme.Dark else Theme.LIGHT
    return Theme(choice) if choice in (Theme.LIGHT.value, Theme.DARK.value) else Theme.LIGHT


def stylesheet(theme: Theme) -> str:
    """The QSS text of ``theme`` (its ``url(icons:...)`` images resolve from now on)."""
    QDir.addSearchPath("icons", str(resource_path("icons")))
    return resource_path(f"themes/{theme.value}.qss").read_text(encoding="utf-8")


@functools.cache
def _svg_text(name: str) -> str:
    return resource_path(f"icons/{name}.svg").read_text(encoding="utf-8")


def icon(name: str, colour: str) -> QIcon:
    """A crisp, scalable icon from ``resources/icons/<name>.svg`` drawn in ``colour``.

    The SVGs stroke with ``currentColor``; it is replaced before rendering, and
    the pixmaps are rendered at 1x, 2x and 3x so high-DPI screens get sharp edges.
    """
    data = QByteArray(_svg_text(name).replace("currentColor", colour).encode("utf-8"))
    renderer = QSvgRenderer(data)
    result = QIcon()
    for side in (24, 48, 72, 96):
        for mode, opacity in ((QIcon.Mode.Normal, 1.0), (QIcon.Mode.Disabled, 0.35)):
            pixmap = QPixmap(QSize(side, side))
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setOpacity(opacity)  # disabled: the same shape, faded
            renderer.render(painter)
            painter.end()
            result.addPixmap(pixmap, mode)
    return result


def app_icon() -> QIcon:
    """Parley's application icon."""
    return QIcon(str(resource_path("icons/parley.svg")))


class IconSet:
    """Icons in one colour, rendered once and cached (one set per theme)."""

    def __init__(self, colour: str) -> None:
        self.colour = colour
        self._cache: dict[str, QIcon] = {}

    def set_theme(self, theme: Theme) -> None:
        """Draw in ``theme``'s colour from now on (icons already set keep theirs)."""
        if ICON_COLOURS[theme] != self.colour:
            self.colour = ICON_COLOURS[theme]
            self._cache.clear()

    @classmethod
    def for_theme(cls, theme: Theme) -> IconSet:
        return cls(ICON_COLOURS[theme])

    def __call__(self, name: str) -> QIcon:
        cached = self._cache.get(name)
        if cached is None:
            cached = self._cache[name] = icon(name, self.colour)
        return cached
