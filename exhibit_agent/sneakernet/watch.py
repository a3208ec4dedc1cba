"""A USB stick with a `kepu/` folder: install its packs, apply its acks, leave a fresh outbox export on it.

The agent's loop calls `poll(now)` (a glob every few seconds, no thread); each newly seen
folder is handled once per mount on a worker thread, so a slow stick never stalls the drain.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from content_packs.signing import KeyLike
from exhibit_agent.sneakernet.export import ExportError, apply_acks, export_outbox
from exhibit_agent.sneakernet.install import UsbInstall, install_from

log = logging.getLogger(__name__)

POLL_EVERY = 3.0


@dataclass
class UsbVisit:
    """What one stick brought and took."""

    folder: Path
    installs: list[UsbInstall] = field(default_factory=list)
    acked: int = 0
    exported: Path | None = None
    problems: list[str] = field(default_factory=list)


class UsbWatcher:
    def __init__(
        self,
        roots: Iterable[str],
        data: Path,
        exhibit: str,
        token: str | None,
        trusted_keys: Sequence[KeyLike],
        done: Callable[[UsbVisit], None],
        kiosk_timeout: float = 60.0,
    ):
        self.roots = tuple(roots)
        self.data, self.exhibit, self.token = data, exhibit, token
        self.trusted_keys = trusted_keys
        self.done = done
        self.kiosk_timeout = kiosk_timeout
        self._seen: set[tuple[str, int, int]] = set()
        self._next = 0.0

    def poll(self, now: float) -> list[Path]:
        """Start handling folders that appeared since the last look; returns them."""
        if now < self._next:
            return []
        self._next = now + POLL_EVERY
        mounted: set[tuple[str, int, int]] = set()
        started = []
        for pattern in self.roots:
            for hit in glob.glob(pattern):
                try:
                    st = os.stat(hit)
                except OSError:
                    continue
                key = (hit, st.st_dev, st.st_ino)  # a re-plugged stick is a new mount: handled again
                mounted.add(key)
                if key not in self._seen and os.path.isdir(hit):
                    started.append(Path(hit))
                    threading.Thread(target=self._visit, args=(Path(hit),), name="usb", daemon=True).start()
        self._seen = mounted | {k for k in self._seen if k in mounted}
        return started

    def _visit(self, folder: Path) -> None:
        visit = UsbVisit(folder)
        try:
            if self.trusted_keys:
                visit.installs = install_from(folder, self.data, self.trusted_keys, self.kiosk_timeout)
            if self.token:
                visit.acked, visit.problems = apply_acks(folder, self.data, self.exhibit, self.token)
                visit.exported = export_outbox(self.data, self.exhibit, self.token, folder / "outbox", time.time()).path
            else:
                visit.problems.append("no controller_token configured: the outbox was not exported")
        except (OSError, ExportError) as exc:
            visit.problems.append(str(exc))
        except Exception as exc:  # a strange stick must never take the agent down
            log.exception("usb stick %s", folder)
            visit.problems.append(f"internal error: {exc}")
        for line in [i.line() for i in visit.installs] + visit.problems:
            log.info("usb %s: %s", folder, line)
        self.done(visit)
