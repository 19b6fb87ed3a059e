"""``python -m pyTD``: the command line."""

import sys

from pyTD.cli import main

sys.exit(main())
