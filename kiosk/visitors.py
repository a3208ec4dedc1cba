"""Synthetic visitors: plausible touch sequences, deterministic for a seed.

A visitor is a generator of actions; a driver plays them against the real app,
either on injected time (as fast as the CPU allows) or in real time (the demo).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.screens.base import Target


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class Tap:
    pick: str  # a target name, or "" to touch an empty spot


@dataclass(frozen=True)
class Swipe:
    direction: int


Action = Wait | Tap | Swipe


@dataclass(frozen=True)
class VisitorProfile:
    """How visitors behave; the defaults follow exhibit-evaluation rules of thumb."""

    bounce_rate: float = 0.2  # walk away after one touch
    mean_actions: float = 12.0
    think_min: float = 1.0
    think_max: float = 9.0
    linger_rate: float = 0.05  # pause long enough to see "still there?"
    chrome_rate: float = 0.04  # touch the language or senior toggle
    swipe_rate: float = 0.15


def visitor(rng: random.Random, profile: VisitorProfile, warning_at: float) -> Iterator[Action]:
    """One visitor's actions; the caller resolves Tap picks against what is on screen."""
    yield Tap("start")
    if rng.random() < profile.bounce_rate:
        return
    actions = 1 + min(60, int(rng.expovariate(1 / profile.mean_actions)))
    for _ in range(actions):
        if rng.random() < profile.linger_rate:
            yield Wait(warning_at + rng.uniform(0.5, 3.0))
            yield Tap("")  # "still there?" → yes
        yield Wait(rng.uniform(profile.think_min, profile.think_max))
        roll = rng.random()
        if roll < profile.chrome_rate:
            yield Tap(rng.choice(["chrome:lang", "chrome:senior", "chrome:home"]))
        elif roll < profile.chrome_rate + profile.swipe_rate:
            yield Swipe(rng.choice([+1, +1, +1, -1]))
        else:
            yield Tap("*")  # anything on screen, by the screen's own weights


def choose_target(rng: random.Random, pick: str, targets: list[Target], weights: dict[str, float]) -> Target | None:
    """Resolve a Tap pick to a target now on screen (None: touch empty space)."""
    if pick == "":
        return None
    named = {t.name: t for t in targets}
    if pick != "*":
        return named.get(pick)
    pool = [(named[n], w) for n, w in weights.items() if n in named and w > 0]
    if not pool:
        pool = [(t, 1.0) for t in targets if not t.name.startswith("chrome:")]
    if not pool:
        return None
    return rng.choices([t for t, _ in pool], weights=[w for _, w in pool])[0]
