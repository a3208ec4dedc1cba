"""Metric definitions (DESIGN.md "Metrics") as pure functions over rolled-up counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from controller.store.schema import DWELL_BUCKETS, DWELL_COLUMNS


def ratio(numerator: float, denominator: float) -> float | None:
    """A rate in [0, 1], or None when there is nothing to divide by (not 0: "no data" is not "bad")."""
    return round(numerator / denominator, 4) if denominator else None


def dwell_percentile(histogram: Sequence[float], q: float) -> float | None:
    """The q-quantile of dwell seconds from bucket counts, interpolated linearly inside the bucket."""
    total = sum(histogram)
    if not total:
        return None
    target = q * total
    seen = 0.0
    for i, count in enumerate(histogram):
        if count and seen + count >= target:
            lo = DWELL_BUCKETS[i]
            hi = DWELL_BUCKETS[i + 1] if i + 1 < len(DWELL_BUCKETS) else lo * 1.5
            return round(lo + (hi - lo) * (target - seen) / count, 1)
        seen += count
    return float(DWELL_BUCKETS[-1])


def summarise(totals: Mapping[str, float]) -> dict[str, float | int | None]:
    """Sessions, bounce, dwell, completion and satisfaction from summed rollup columns."""
    sessions = int(totals.get("sessions", 0))
    ended = int(totals.get("ended", 0))
    meaningful = int(totals.get("meaningful", 0))
    up, down = int(totals.get("rating_up", 0)), int(totals.get("rating_down", 0))
    histogram = [totals.get(c, 0) for c in DWELL_COLUMNS]
    return {
        "sessions": sessions,
        "meaningful_sessions": meaningful,
        # Bounce is judged on sessions that ended: an open session may still become meaningful.
        "bounce_rate": ratio(ended - meaningful, ended),
        "interactions": int(totals.get("interactions", 0)),
        "dwell_p50": dwell_percentile(histogram, 0.5),
        "dwell_p90": dwell_percentile(histogram, 0.9),
        "dwell_mean": round(totals.get("dwell_sum", 0) / ended, 1) if ended else None,
        "completions": int(totals.get("completions", 0)),
        "completion_rate": ratio(totals.get("completions", 0), meaningful),
        "rating_up": up,
        "rating_down": down,
        "satisfaction": ratio(up, up + down),
        "footfall": int(totals.get("footfall", 0)),
        "online_minutes": round(totals.get("online_minutes", 0), 1),
    }
