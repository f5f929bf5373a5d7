"""A stand-in for other apps under a private X server: two titled windows, one a solid
colour. Prints READY once both are mapped, then waits to be killed."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel


def main() -> int:
    app = QApplication(sys.argv[:1])
    windows = []
    for title, colour, geometry in (("Notes - Editor", "#2fbf71", (40, 40, 400, 300)),
                                    ("Terminal", "#d9644a", (480, 60, 320, 240))):
        label = QLabel(title)
        label.setWindowTitle(title)
        label.setStyleSheet(f"background: {colour}; color: white; font-size: 24pt;")
        label.setGeometry(*geometry)
        label.show()
        windows.append(label)
    app.processEvents()
    print("READY", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
