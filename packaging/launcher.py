"""The frozen bundle's entry script:
``Parley [--bundle-check | --list-audio-devices | parley's arguments]``.

``--bundle-check`` (packaging only, see bundle_check.py) proves the bundle
carries its resources, Qt plugins, codecs and PortAudio. ``--list-audio-devices``
prints the audio devices as JSON: the running app asks a child of itself, since
PortAudio reads its device list once per process (parley.media.devices
``list_audio_now``; unfrozen, that child is ``python -c``). Everything else is
handed to ``parley.desktop.main``, the same entry point as the ``parley``
console script.
"""

from __future__ import annotations

import sys


def run() -> int:
    if sys.argv[1:] == ["--bundle-check"]:
        import bundle_check

        return bundle_check.main()
    if sys.argv[1:] == ["--list-audio-devices"]:
        from parley.media.devices import print_audio_devices

        print_audio_devices()
        return 0
    from parley.desktop.main import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
