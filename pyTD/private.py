"""Files holding secrets are readable by their owner only."""

from __future__ import annotations

import logging
import os
import stat

log = logging.getLogger("pyTD")


def tighten(path: str, what: str) -> None:
    """Make an existing secret file 0600 if others could read it, and warn that it was exposed."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if os.name == "posix" and mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("The %s %s was readable by others (mode %o); it is now 0600.", what, path, mode)
