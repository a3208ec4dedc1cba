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

# Door-counter footfall: one event counts at most this many people (a busy door, a counter that
# reports every few minutes); more is a fault or a forgery and is quarantined, never added.
FOOTFALL_MAX_COUNT = 100_000
