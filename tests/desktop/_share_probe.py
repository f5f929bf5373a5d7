"""Run under a private Xvfb by test_share_x11 (with _x11_helper's windows up): what the
share picker offers on X11, and one window captured through the media layer. Prints JSON."""

from __future__ import annotations

import asyncio
import json
import sys

from PySide6.QtWidgets import QApplication, QWidget

from parley.media.screen import open_screen
from parley.qt.share_sources import share_choices


async def capture(source: object) -> tuple[int, int]:
    track = await open_screen(False, source=source)  # type: ignore[arg-type]
    try:
        frame = await asyncio.wait_for(track.recv(), 10)
        return frame.width, frame.height
    finally:
        track.stop()


def main() -> int:
    app = QApplication(sys.argv[:1])
    own = QWidget()
    own.setWindowTitle("Parley")
    own.setGeometry(100, 400, 300, 200)
    own.show()
    for _ in range(20):
        app.processEvents()
    choices = share_choices(own_windows=frozenset({int(own.winId())}))
    notes = next(c.source for c in choices if c.source.title == "Notes - Editor")
    size = asyncio.run(capture(notes))
    print(json.dumps({
        "titles": [c.source.title for c in choices],
        "kinds": [c.source.kind for c in choices],
        "thumbnails": [[c.thumbnail.width(), c.thumbnail.height()] for c in choices],
        "notes_pixel": choices[[c.source.title for c in choices].index("Notes - Editor")]
        .thumbnail.pixelColor(20, 20).name(),
        "captured": list(size),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
