"""One pack install at a time per data directory, whether it came over the network or on a USB stick."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def install_lock(data: Path) -> Iterator[None]:
    """Hold `DATA/install.lock` (flock) while installing; the agent and `install-from` wait for each other."""
    fd = os.open(Path(data) / "install.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
