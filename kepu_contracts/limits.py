"""Sizes and ids that both ends of a seam check, so they cannot drift apart."""

from __future__ import annotations

# Screenshots: the agent refuses to upload more, the controller refuses to store more.
SCREENSHOT_MAX_BYTES = 8 * 1024 * 1024  # a 1920×1080 kiosk frame is ~0.3–3 MB as PNG
SCREENSHOT_MAX_SIDE = 8192
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Event batches on the wire.
BATCH_MAX_EVENTS = 10_000
EVENT_ID_MAX = 128
EVENT_TYPE_MAX = 64
# Values SQLite and the rollups can hold: a seq is a signed 64-bit integer, a timestamp a real
# instant (1970 to 2100), and no number in an event may be NaN, ±Infinity or beyond 64 bits.
INT64_MAX = 2**63 - 1
EVENT_TS_MAX = 4_102_444_800.0  # 2100-01-01T00:00:00Z
EVENT_MAX_BYTES = 64 * 1024  # one event as compact JSON; a kiosk event is well under 1 KB
BATCH_MAX_BYTES = 4 * 1024 * 1024  # one batch message; the agent sends ≤ 256 KiB by default

# Door-counter footfall: one event counts at most this many people (a busy door, a counter that
# reports every few minutes); more is a fault or a forgery and is quarantined, never added.
FOOTFALL_MAX_COUNT = 100_000
