"""``python -m gateway``: the same as ``hal-gateway``."""

import sys

from gateway.cli import main

sys.exit(main())
