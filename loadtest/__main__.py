"""``python -m loadtest``: the load tester without Django."""

import sys

from .cli import main

sys.exit(main())
