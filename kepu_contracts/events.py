"""Visitor events: the record of what happened at the exhibit, as the outbox stores it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kepu_contracts.clock import Stamp


class EventType(StrEnum):
    """What an event records. The controller accepts other types too (forward compatibility)."""

    SESSION_START = "session_start"
    SESSION_END = "session_end"
    SCENE_ENTER = "scene_enter"
    SCENE_LEAVE = "scene_leave"
    TAP = "tap"
    QUIZ_ANSWER = "quiz_answer"
    RATING = "rating"
    LANGUAGE = "language"
    SENIOR_MODE = "senior_mode"
    ATTRACT_INTERRUPT = "attract_interrupt"
    EMERGENCY_SHOWN = "emergency_shown"
    EMERGENCY_CLEARED = "emergency_cleared"
    PACK_LOADED = "pack_loaded"
    PACK_FAILED = "pack_failed"
    ERROR = "error"
    FOOTFALL = "footfall"
    # Proof of play: one start and exactly one end per film or playlist item shown (docs/kiosk.md).
    MEDIA_START = "media_start"
    MEDIA_END = "media_end"


EVENT_TYPES = tuple(t.value for t in EventType)


@dataclass(frozen=True)
class Event:
    """One thing that happened, stamped in every clock. `id` is unique forever."""

    type: str  # an EventType (a str, so other types pass through unchanged)
    stamp: Stamp
    session: str | None = None
    scene: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
