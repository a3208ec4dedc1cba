"""Visitor events: the record of what happened at the exhibit, as the outbox stores it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from kiosk.clock import Stamp

# Event types the kiosk writes. The controller accepts others (forward compatibility).
EVENT_TYPES = (
    "session_start",
    "session_end",
    "scene_enter",
    "scene_leave",
    "tap",
    "quiz_answer",
    "rating",
    "language",
    "senior_mode",
    "attract_interrupt",
    "emergency_shown",
    "emergency_cleared",
    "pack_loaded",
    "pack_failed",
    "error",
    "footfall",
    "media_start",
    "media_end",
)


@dataclass(frozen=True)
class Event:
    """One thing that happened, stamped in every clock. `id` is unique forever."""

    type: str
    stamp: Stamp
    session: str | None = None
    scene: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
