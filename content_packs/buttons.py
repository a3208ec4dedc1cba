"""`[buttons]` in pack.toml: which physical button does what (the agent reads `BTN name` from the serial port).

    [buttons]
    green = "start"                              # every scene
    red = "next"
    yellow = { "*" = "back", quiz-1 = "choice:1" } # per scene; "*" for the rest

Actions: start, next, back, home, language, senior (senior mode), and choice:N — the N-th
touchable thing of the current scene (a quiz answer, a hotspot), counted from 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ACTIONS = ("start", "next", "back", "home", "language", "senior")
BUTTON_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what the serial line protocol allows after BTN
CHOICE = re.compile(r"^choice:([1-9][0-9]?)$")


def is_action(value: object) -> bool:
    return isinstance(value, str) and (value in ACTIONS or CHOICE.match(value) is not None)


def parse_buttons(
    raw: Any, scene_ids: set[str], problem: Callable[[str, str], None]
) -> tuple[tuple[str, str, str], ...]:
    """Validate the table into (button, scene or "*", action) rows; report each problem by field."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problem("buttons", 'must be a table like [buttons] green = "start"')
        return ()
    out: list[tuple[str, str, str]] = []
    allowed = f"one of {', '.join(ACTIONS)} or choice:N"
    for name, value in raw.items():
        field = f"buttons.{name}"
        if not BUTTON_NAME.match(name):
            problem(field, "a button name is letters, digits, - and _ (as the serial device sends it)")
            continue
        per_scene = value if isinstance(value, dict) else {"*": value}
        for scene, action in per_scene.items():
            if scene != "*" and scene not in scene_ids:
                problem(f"{field}.{scene}", f'{scene!r} is not the id of any scene (or use "*")')
            elif not is_action(action):
                problem(field if scene == "*" else f"{field}.{scene}", f"{action!r} is not {allowed}")
            else:
                out.append((name, scene, action))
    return tuple(out)
