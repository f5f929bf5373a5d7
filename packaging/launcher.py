"""The frozen bundle's entry script: ``Parley [--bundle-check | parley's arguments]``.

``--bundle-check`` (packaging only, see bundle_check.py) proves the bundle
carries its resources, Qt plugins, codecs and PortAudio; everything else is
handed to ``parley.desktop.main``, the same entry point as the ``parley``
console script.
"""

from __future__ import annotations

import sys


def run() -> int:
    if sys.argv[1:] == ["--bundle-check"]:
        import bundle_check

        return bundle_check.main()
    from parley.desktop.main import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
