"""Visitor sessions: from the first touch after attract to the idle reset.

Pure logic with time passed in. Duration is last interaction − first interaction:
the idle tail before the reset is not visiting time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class Session:
    id: str
    started: float
    last_interaction: float
    interactions: int = 1
    scenes: list[str] = field(default_factory=list)
    watched_until: float = 0.0  # a film kept the visitor here until then, without a touch

    @property
    def duration(self) -> float:
        return self.last_interaction - self.started

    @property
    def meaningful(self) -> bool:
        return self.interactions >= 2


class SessionTracker:
    """Tracks the current visitor; the app asks it when to warn and when to reset."""

    def __init__(self, idle_timeout: float = 60.0, warning: float = 10.0, new_id=lambda: uuid.uuid4().hex):
        self.idle_timeout = idle_timeout
        self.warning = min(warning, idle_timeout / 2)
        self.current: Session | None = None
        self._new_id = new_id

    def interact(self, now: float) -> tuple[Session, bool]:
        """Record a touch; returns the session and whether this touch started it."""
        if self.current is None:
            self.current = Session(id=self._new_id(), started=now, last_interaction=now)
            return self.current, True
        self.current.interactions += 1
        self.current.last_interaction = now
        return self.current, False

    def hold(self, now: float) -> None:
        """The visitor is watching a film: the idle gap starts again from now, no interaction counted."""
        if self.current is not None:
            self.current.watched_until = now

    def idle(self, now: float) -> float:
        if self.current is None:
            return 0.0
        return now - max(self.current.last_interaction, self.current.watched_until)

    def warning_due(self, now: float) -> bool:
        return self.current is not None and self.idle(now) >= self.idle_timeout - self.warning

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.idle_timeout - self.idle(now))

    def expired(self, now: float) -> bool:
        return self.current is not None and self.idle(now) >= self.idle_timeout

    def end(self) -> Session | None:
        ended, self.current = self.current, None
        return ended
