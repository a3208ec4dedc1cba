"""The kiosk's event recorder: the frame loop hands events over without touching the disk.

A background thread commits queued events to the outbox in batches (one fsync per
batch). An event counts as recorded only once committed; `committed` says how many.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from typing import Any, Protocol

from kepu_contracts.clock import Clock
from kepu_contracts.events import Event
from kepu_contracts.outbox import Outbox

log = logging.getLogger(__name__)


class EventSink(Protocol):
    """Where the app's events go: the outbox `Recorder`, or a list in the gallery's tour."""

    def record(self, type: str, session: str | None = None, scene: str | None = None, **data: Any) -> Event: ...


class Recorder:
    """Non-blocking `record()`; a writer thread commits to the outbox; `flush()` waits."""

    def __init__(self, outbox: Outbox, clock: Clock, max_batch: int = 500):
        self.outbox = outbox
        self.clock = clock
        self.max_batch = max_batch
        self.committed = 0
        self.committed_by_type: Counter[str] = Counter()
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="outbox-writer", daemon=True)
        self._thread.start()

    def record(self, type: str, session: str | None = None, scene: str | None = None, **data: Any) -> Event:
        """Stamp an event now and queue it for commit; never blocks on the disk."""
        event = Event(type=type, stamp=self.clock.stamp(), session=session, scene=scene, data=data)
        with self._idle:
            self._pending += 1
        self._queue.put(event)
        return event

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued event is committed; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[Event]) -> None:
        while True:
            try:
                self.outbox.append(batch)
                break
            except Exception:  # a locked or full disk must not lose the batch: retry
                log.exception("outbox commit failed; retrying in 1 s")
                threading.Event().wait(1.0)
        with self._idle:
            self.committed += len(batch)
            self.committed_by_type.update(e.type for e in batch)
            self._pending -= len(batch)
            self._idle.notify_all()
