"""pyTD: a Python client for TD Ameritrade's developer API."""

import logging

__version__ = "0.1.0"

# A library installs no handlers of its own; the application decides where logs go.
logging.getLogger("pyTD").addHandler(logging.NullHandler())
