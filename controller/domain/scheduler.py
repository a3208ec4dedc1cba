"""Schedule boundaries: when a stay, campaign or emergency starts or ends, desired state is recomputed then."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlite_utils import Database

from controller.domain import alerts

log = logging.getLogger(__name__)

ONLINE_FOLD_SECONDS = 60.0  # how often online minutes are folded into rollups


def next_boundary(db: Database, now: float) -> float | None:
    """The earliest instant after `now` at which some plan starts or ends."""
    row = db.execute(
        """
        SELECT MIN(t) FROM (
            SELECT starts AS t FROM rotations UNION ALL SELECT ends FROM rotations
            UNION ALL SELECT starts FROM campaigns UNION ALL SELECT ends FROM campaigns
            UNION ALL SELECT starts FROM emergencies WHERE cancelled IS NULL
            UNION ALL SELECT expires FROM emergencies WHERE cancelled IS NULL
        ) WHERE t > ?
        """,
        [now],
    ).fetchone()
    return row[0] if row else None


def touched(db: Database, since: float, now: float) -> list[str] | None:
    """The exhibits whose desired state a boundary in (since, now] may change; None: every exhibit.

    A stay that starts or ends touches its exhibit; a campaign or emergency that starts, ends or
    expires touches the exhibits standing (then or now) at venues in its region, all of them for
    a nationwide one (region "", which reaches exhibits in transit too). Opening hours are part of
    the desired document, not of a boundary: the agent applies them itself.
    """
    exhibits = {
        r[0]
        for r in db.execute(
            "SELECT exhibit FROM rotations WHERE (starts > ? AND starts <= ?) OR (ends > ? AND ends <= ?)",
            [since, now, since, now],
        )
    }
    regions = {
        r[0]
        for r in db.execute(
            """
            SELECT region FROM campaigns WHERE (starts > ? AND starts <= ?) OR (ends > ? AND ends <= ?)
            UNION SELECT region FROM emergencies
             WHERE cancelled IS NULL AND ((starts > ? AND starts <= ?) OR (expires > ? AND expires <= ?))
            """,
            [since, now] * 4,
        )
    }
    if "" in regions:
        return None
    for region in regions:
        exhibits.update(
            r[0]
            for r in db.execute(
                "SELECT DISTINCT r.exhibit FROM rotations r JOIN venues v ON v.id = r.venue"
                " WHERE (v.region = ? OR v.region LIKE ? ESCAPE '\\')"
                " AND ((r.starts <= ? AND r.ends > ?) OR (r.starts <= ? AND r.ends > ?))",
                [region, _like_prefix(region), since, since, now, now],
            )
        )
    return sorted(exhibits)


def _like_prefix(region: str) -> str:
    escaped = region.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


class Scheduler:
    """A thread that sleeps until the next boundary (or a wake-up); tests call `tick()` instead."""

    def __init__(self, controller: Any) -> None:
        self.controller = controller
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: float | None = None  # the clock's time at the last tick
        self.recomputed: list[str] | None = None  # the last tick's exhibits (None: all), for tests and logs

    def tick(self) -> None:
        """Bring everything up to the clock's now: desired states and online minutes.

        Only the exhibits a boundary since the last tick touched are recomputed (all at the first
        tick, or if the clock went back); changes of plans recompute through `controller.changed()`.
        """
        c = self.controller
        c.ingester.tick()
        with c._lock:
            now = c.clock.now()
            since, self._last = self._last, now
            exhibits = None if since is None or now < since else touched(c.store.db, since, now)
            self.recomputed = exhibits
            if exhibits is None or exhibits:
                for message in c.desired.refresh(exhibits):
                    c.publish(message)
        c.check_alerts()

    def next_boundary(self) -> float | None:
        return next_boundary(self.controller.store.db, self.controller.clock.now())

    def next_wake(self) -> float | None:
        """The next plan boundary, or sooner if an alert condition comes due then (its threshold or hold)."""
        c = self.controller
        boundary = self.next_boundary()
        due = alerts.next_due(c.store.db, c.clock.now(), c.settings.timezone)
        return due if boundary is None else boundary if due is None else min(boundary, due)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kepu-scheduler", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
                boundary = self.next_wake()
                now = self.controller.clock.now()
                wait = ONLINE_FOLD_SECONDS if boundary is None else min(ONLINE_FOLD_SECONDS, max(0.0, boundary - now))
            except Exception:
                log.exception("scheduler tick failed")
                wait = ONLINE_FOLD_SECONDS
            self._wake.wait(wait + 0.01)
            self._wake.clear()
