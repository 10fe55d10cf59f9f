"""``python -m adderflow``: the same command line as the ``adderflow`` script."""

import sys

from .cli import main

sys.exit(main())
