"""Wake now / sleep now: `display_on` / `display_off` to one exhibit or every exhibit at a venue.

The agent holds a manual decision until its schedule's next boundary, then the opening hours
rule again; this module only sends (through `commands.send`, so permissions, audit and the
message are the ones every command gets) and reads back what health says the display is doing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from controller.core import Controller
from controller.domain import commands, venues
from controller.domain.auth import Principal
from controller.errors import Invalid


def kind(on: bool) -> str:
    return "display_on" if on else "display_off"


def exhibit_display(controller: Controller, user: Principal, exhibit: str, on: bool) -> dict[str, Any]:
    """Wake or sleep one exhibit's display now."""
    return commands.send(controller, user, exhibit, kind(on))


def staying_at(db: Database, venue: str, now: float) -> list[str]:
    """Exhibits whose current stay is at `venue`."""
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT exhibit FROM rotations WHERE venue = ? AND starts <= ? AND ends > ? ORDER BY exhibit",
            [venue, now, now],
        )
    ]


def staying_now(db: Database, now: float) -> dict[str, list[str]]:
    """`staying_at` for every venue at once: venue → exhibits whose current stay is there."""
    out: dict[str, list[str]] = {}
    for venue, exhibit in db.execute(
        "SELECT DISTINCT venue, exhibit FROM rotations WHERE starts <= ? AND ends > ? ORDER BY venue, exhibit",
        [now, now],
    ):
        out.setdefault(venue, []).append(exhibit)
    return out


def venue_display(controller: Controller, user: Principal, venue: str, on: bool) -> dict[str, Any]:
    """Wake or sleep every exhibit standing at `venue` now (technician of the venue's region)."""
    db, now = controller.store.db, controller.clock.now()
    row = venues.get(db, user, venue)
    user.require("technician", row["region"])
    exhibits = staying_at(db, venue, now)
    if not exhibits:
        raise Invalid(f"no exhibit stands at {venue!r} now: nothing to {'wake' if on else 'put to sleep'}")
    sent = [commands.send(controller, user, exhibit, kind(on)) for exhibit in exhibits]
    return {"venue": venue, "type": kind(on), "exhibits": exhibits, "commands": [c["id"] for c in sent]}


def display_of(health: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """What the last health message says about the display: {on, scheduled, override, reason, next_change}."""
    if isinstance(health, str):
        try:
            health = json.loads(health)
        except ValueError:
            return None
    if not isinstance(health, dict):
        return None
    raw_block = health.get("display")
    block: dict[str, Any] = raw_block if isinstance(raw_block, dict) else {}
    on = health.get("screen_on")
    if on is None:
        on = block.get("on")
    if on is None and not block:
        return None
    override = block.get("override") if isinstance(block.get("override"), dict) else None
    return {
        "on": on if isinstance(on, bool) else None,
        "scheduled": block.get("scheduled"),
        "reason": block.get("reason"),
        "next_change": block.get("next_change"),
        "override": override,
    }
