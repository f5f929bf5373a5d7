"""``python -m parley.server`` is ``parley-server``."""

import sys

from parley.server.cli import main

sys.exit(main())
