"""Who decides whether the display is on: the schedule, a manual override until the next boundary, a touch.

The agent's loop calls `tick(now)` every turn (cheap, no I/O); switching and asking the
devices happen on one worker thread, so a slow projector never stalls the outbox drain.
Without any backend the keeper still decides: the kiosk blanks its own screen (control.json
`display`), which is the "off" an exhibit without a controllable display can offer.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exhibit_agent.power.backends import BackendError, PowerBackend
from exhibit_agent.power.schedule import Decision, Schedule
from kepu_contracts.times import iso

log = logging.getLogger(__name__)

RETRY_AFTER = 60.0  # s before a failed switch is tried again
POLL_EVERY = 60.0  # s between asking the devices where they stand
TOUCH_WAKE_MINUTES = 15.0  # a touch outside the schedule lights the screen this long (or to the next boundary)

Reply = Callable[[bool, str | None], None]


@dataclass(frozen=True)
class Override:
    """A manual or touch decision that holds until `until` (the next schedule boundary), then the schedule rules."""

    on: bool
    until: float | None
    source: str  # "command" or "touch"


@dataclass
class BackendStatus:
    name: str
    on: bool | None = None
    error: str | None = None


class PowerKeeper:
    def __init__(self, backends: list[PowerBackend], schedule: Schedule | None = None):
        self.backends = backends
        self.schedule = schedule or Schedule(None)
        self._decided_at: float | None = None
        self.override: Override | None = None
        self.decision = Decision(True, None, "starting")
        self.target: bool | None = None  # what the worker was last asked to apply
        self.applied_ok = True
        self.statuses = [BackendStatus(b.name) for b in backends]
        self._retry_at = 0.0
        self._next_poll = 0.0
        self._jobs: queue.Queue[tuple[str, bool, Reply | None] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- decisions (loop thread) -----------------------------------------------

    def set_schedule(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self._decided_at = None

    def _decide(self, now: float) -> Decision:
        # The loop asks twenty times a second; the answer only changes at the next boundary.
        d, at = self.decision, self._decided_at
        if at is None or now < at or (d.next_change is not None and now >= d.next_change) or now - at > 3600:
            self.decision, self._decided_at = self.schedule.decide(now), now
        return self.decision

    def wanted(self, now: float) -> bool:
        """The state the display should be in at `now`."""
        self._decide(now)
        if self.override and self.override.until is not None and now >= self.override.until:
            log.info("display override (%s) ended at the schedule boundary", self.override.source)
            self.override = None
        return self.override.on if self.override else self.decision.on

    def tick(self, now: float) -> bool:
        """Queue a switch when the wanted state changed (or a failed one is due again); True if queued."""
        want = self.wanted(now)
        if want != self.target or (not self.applied_ok and now >= self._retry_at):
            self.target = want
            self.applied_ok = True  # optimistic until the worker says otherwise
            self._retry_at = now + RETRY_AFTER
            self._jobs.put(("switch", want, None))
            return True
        if self.backends and now >= self._next_poll:
            self._next_poll = now + POLL_EVERY
            self._jobs.put(("poll", want, None))
        return False

    def command(self, on: bool, now: float, reply: Reply) -> None:
        """`display_on` / `display_off`: hold until the next schedule boundary; `reply` once switched."""
        decision = self._decide(now)
        self.override = Override(on, decision.next_change, "command")
        self.target = on
        self.applied_ok = True
        self._retry_at = now + RETRY_AFTER
        self._jobs.put(("switch", on, reply))

    def touch_wake(self, now: float) -> bool:
        """A visitor touched a dark screen: light it for a while, if the venue allows; True if woken."""
        if not self.schedule.wake_on_touch or self.wanted(now):
            return False
        nxt = self._decide(now).next_change
        until = now + TOUCH_WAKE_MINUTES * 60
        self.override = Override(True, min(until, nxt) if nxt is not None else until, "touch")
        self.tick(now)
        return True

    def status(self, now: float) -> dict[str, Any]:
        """The display block of `health`: actual state, what the schedule says, any override."""
        want = self.wanted(now)
        with self._lock:
            known = [s.on for s in self.statuses if s.on is not None]
            backends = [{"name": s.name, "on": s.on, "error": s.error} for s in self.statuses]
        if known:
            actual: bool | None = all(known)
        elif not self.backends:
            actual = want  # the kiosk's own blanking is the only display control
        else:
            actual = None  # the devices cannot tell and nothing has been switched yet
        return {
            "on": actual,
            "wanted": "on" if want else "off",
            "scheduled": "on" if self.decision.on else "off",
            "reason": self.decision.reason,
            "next_change": iso(self.decision.next_change) if self.decision.next_change is not None else None,
            "override": None
            if self.override is None
            else {
                "on": self.override.on,
                "source": self.override.source,
                "until": iso(self.override.until) if self.override.until is not None else None,
            },
            "wake_on_touch": self.schedule.wake_on_touch,
            "backends": backends,
        }

    # -- devices (worker thread) ------------------------------------------------

    def start(self) -> PowerKeeper:
        self._thread = threading.Thread(target=self._work, name="power", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._jobs.put(None)
        if self._thread:
            self._thread.join(10)
        for backend in self.backends:
            try:
                backend.close()
            except Exception:  # closing must never stop the agent's shutdown
                log.exception("closing power backend %s", backend.name)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            kind, on, reply = job
            try:
                if kind == "switch":
                    errors = self._switch(on)
                    self.applied_ok = not errors
                    if reply:
                        reply(not errors, "; ".join(errors) if errors else None)
                else:
                    self._poll()
            except Exception as exc:  # the worker must outlive any backend surprise
                log.exception("power worker")
                if reply:
                    reply(False, f"internal error: {exc}")

    def _switch(self, on: bool) -> list[str]:
        errors = []
        for backend, status in zip(self.backends, self.statuses, strict=True):
            try:
                backend.switch(on)
                actual = backend.state()
                with self._lock:
                    status.on = on if actual is None else actual
                    status.error = None
                log.info("display %s via %s", "on" if on else "off", backend.name)
            except BackendError as exc:
                with self._lock:
                    status.error = str(exc)
                errors.append(str(exc))
                log.warning("display %s via %s failed: %s", "on" if on else "off", backend.name, exc)
        return errors

    def _poll(self) -> None:
        for backend, status in zip(self.backends, self.statuses, strict=True):
            try:
                actual = backend.state()
            except BackendError as exc:
                with self._lock:
                    status.error = str(exc)
                continue
            with self._lock:
                if actual is not None:
                    status.on = actual
                status.error = None
