"""Time as the exhibit sees it: wall clock, monotonic clock, boot id and NTP sync state.

Every event carries all four so the controller can correct timestamps taken before the
Pi's clock was set (a Pi has no RTC: after a power cut it boots in the past until NTP).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Stamp:
    """When something happened, in every clock we have."""

    ts: float  # wall clock, seconds since the epoch
    mono: float  # CLOCK_MONOTONIC seconds since boot
    boot: str  # kernel boot id; mono is only comparable within one boot
    synced: bool  # whether the wall clock was NTP-synchronised when stamped


class Clock(Protocol):
    """The one clock interface: the kiosk and agent stamp events, the controller asks `now()`."""

    def now(self) -> float:
        """Wall-clock Unix seconds."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (CLOCK_MONOTONIC)."""
        ...

    def stamp(self) -> Stamp:
        """Every clock at once, for an event."""
        ...


def read_boot_id() -> str:
    """The kernel's boot id, or a random one per process where /proc has none."""
    try:
        return BOOT_ID_PATH.read_text().strip()
    except OSError:
        return f"proc-{uuid.uuid4()}"


class _Timex(ctypes.Structure):
    # Only the leading fields matter; the kernel struct is larger, so pad generously.
    _fields_ = [("modes", ctypes.c_uint), ("_rest", ctypes.c_byte * 256)]


def wall_clock_synced() -> bool:
    """True when the kernel says the clock is synchronised (adjtimex != TIME_ERROR)."""
    if Path("/run/systemd/timesync/synchronized").exists():
        return True
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        state = libc.adjtimex(ctypes.byref(_Timex()))
    except (OSError, AttributeError):
        return False
    TIME_ERROR = 5
    return state not in (-1, TIME_ERROR)


class SystemClock:
    """The real clocks. Sync state is re-read at most every 30 s; it changes rarely."""

    def __init__(self) -> None:
        self.boot = read_boot_id()
        self._synced = wall_clock_synced()
        self._synced_checked = time.monotonic()

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def stamp(self) -> Stamp:
        mono = time.monotonic()
        if mono - self._synced_checked > 30:
            self._synced = wall_clock_synced()
            self._synced_checked = mono
        return Stamp(ts=time.time(), mono=mono, boot=self.boot, synced=self._synced)


class ManualClock:
    """A clock that moves only when told to: simulations and tests inject time with it.

    `now()` is `start` plus the time advanced; `monotonic()` is the time advanced, so an
    injected clock keeps both moving together, as on a Pi that stays up.
    """

    def __init__(self, start: float = 1_767_225_600.0, boot: str | None = None, synced: bool = True) -> None:
        self.start = float(start)
        self._elapsed = 0.0
        self.boot = boot or f"sim-{uuid.uuid4()}"
        self.synced = synced
        self._lock = threading.Lock()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += seconds

    def set(self, when: float) -> None:
        """Jump the wall clock to `when` (monotonic time moves by the same amount, never back)."""
        with self._lock:
            self._elapsed = max(self._elapsed, float(when) - self.start)
            self.start = float(when) - self._elapsed

    def now(self) -> float:
        with self._lock:
            return self.start + self._elapsed

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def stamp(self) -> Stamp:
        with self._lock:
            return Stamp(ts=self.start + self._elapsed, mono=self._elapsed, boot=self.boot, synced=self.synced)
