"""How loud the kiosk plays now: control.json's volume and quiet hours, on the kiosk's own clock (issue 10).

The frame loop calls `follow(policy, wall, mono)` every frame; the policy is re-evaluated at
most every `interval` seconds (and at once when the agent writes a new one), and only a change
in the level reaches the sinks (narration, films, the attract sound), which set it on their
pygame sounds and channels. Quiet hours therefore begin and end within a second, with no
restart and without the agent: the kiosk reads the local time in the venue's zone itself.
"""

from __future__ import annotations

from collections.abc import Callable

from kepu_contracts.audio import AudioPolicy, audio_report

Sink = Callable[[float], None]


class Loudness:
    """The applied volume (percent) and whether quiet hours hold; pushes level changes to `sinks`."""

    def __init__(self, sinks: list[Sink], interval: float = 0.5):
        self.sinks = sinks
        self.interval = interval
        self.percent = 100
        self.quiet = False
        self._policy: AudioPolicy | None = None
        self._checked = float("-inf")

    @property
    def level(self) -> float:
        """The gain every sound is scaled by, 0.0–1.0."""
        return self.percent / 100.0

    def follow(self, policy: AudioPolicy | None, wall: float, mono: float) -> bool:
        """Re-evaluate if due or the policy changed; True when the applied volume changed."""
        if policy == self._policy and mono - self._checked < self.interval:
            return False
        self._policy, self._checked = policy, mono
        if policy is None:
            percent, quiet = 100, False  # not managed: full volume, as before issue 10
        else:
            quiet = policy.quiet_at(wall)
            percent = min(policy.volume, policy.quiet_volume) if quiet else policy.volume
        changed = percent != self.percent
        self.percent, self.quiet = percent, quiet
        if changed:
            for sink in self.sinks:
                sink(self.level)
        return changed

    def report(self) -> dict[str, object]:
        """For kiosk.json `audio` (the agent passes it on in `reported.audio`)."""
        return audio_report(self.percent, self.quiet)
