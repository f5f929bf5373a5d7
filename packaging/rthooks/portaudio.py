"""PyInstaller runtime hook: sounddevice loads the PortAudio that the bundle carries.

sounddevice asks ``ctypes.util.find_library("portaudio")`` and dlopen()s what
it returns. On Linux that consults the system's linker cache, so a bundle would
use (and need) the system's libportaudio and ignore its own copy. Point the
lookup at the bundled copy when there is one; everything else is untouched.
"""

import ctypes.util
import os
import sys

_BUNDLED = {
    "linux": "libportaudio.so.2",
    "darwin": "libportaudio.dylib",
}


def _install() -> None:
    file_name = next((n for p, n in _BUNDLED.items() if sys.platform.startswith(p)), None)
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), file_name) if file_name else ""
    if not bundled or not os.path.isfile(bundled):
        return  # Windows, and macOS wheels: sounddevice's own _sounddevice_data copy
    system_find_library = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        if name == "portaudio":
            return bundled
        return system_find_library(name)

    ctypes.util.find_library = find_library


_install()
