"""On or off at an instant, from the cached desired state alone (pure: no clock, no I/O).

The desired state carries the venue's `opening_hours`; `config` carries the zone
(`timezone`), the venue's `closed_days` and the `power` margins. Without a venue or hours
(an exhibit in transit, an old controller) the display simply stays on: switching a screen
off needs a schedule that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kepu_contracts.opening_hours import (
    OpeningHoursError,
    PowerPlan,
    parse_closed_days,
    parse_margin,
    parse_opening_hours,
)

DEFAULT_MARGIN = 10  # minutes, when the controller sends no margins


@dataclass(frozen=True)
class Decision:
    """What the schedule wants now: `on`, until `next_change` (None: no change in sight)."""

    on: bool
    next_change: float | None
    reason: str  # "opening hours", "closed", "no schedule", …


@dataclass(frozen=True)
class Schedule:
    """The power plan out of one desired state, or None when there is nothing to follow."""

    plan: PowerPlan | None
    wake_on_touch: bool = True
    problem: str | None = None  # why the desired state's schedule was not usable

    def decide(self, at: float) -> Decision:
        if self.plan is None:
            return Decision(True, None, self.problem or "no schedule")
        on, nxt = self.plan.state_at(at)
        return Decision(on, nxt, "opening hours" if on else "closed")


def schedule_from(desired: dict[str, Any] | None) -> Schedule:
    """Build the schedule from a desired-state document (`DataDir.desired` or the live message)."""
    if not isinstance(desired, dict) or not desired.get("venue") or desired.get("opening_hours") is None:
        return Schedule(None)
    raw_config = desired.get("config")
    config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    raw_power = config.get("power")
    power: dict[str, Any] = raw_power if isinstance(raw_power, dict) else {}
    try:
        plan = PowerPlan(
            hours=parse_opening_hours(desired["opening_hours"]),
            tz=str(config.get("timezone") or "UTC"),
            closed=parse_closed_days(config.get("closed_days")),
            on_before=parse_margin(power.get("on_before", DEFAULT_MARGIN), "power.on_before"),
            off_after=parse_margin(power.get("off_after", DEFAULT_MARGIN), "power.off_after"),
        )
        plan.state_at(0.0, horizon_days=0)  # an unknown zone shows up now, not at the first tick
    except OpeningHoursError as exc:
        # A schedule we cannot read must not leave a venue dark: stay on and say why.
        return Schedule(None, problem=f"schedule unusable, display stays on: {exc}")
    return Schedule(plan, wake_on_touch=power.get("wake_on_touch", True) is not False)
