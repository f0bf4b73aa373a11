"""``python -m deadpixels ...``: the command line of :mod:`deadpixels.paper.cli`."""

import sys

from deadpixels.paper.cli import main

sys.exit(main())
