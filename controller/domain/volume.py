"""Volume and quiet hours per venue and per exhibit (issue 10), sent to exhibits in `desired.audio`.

A venue's setting is the default for every exhibit standing there (nap time at a kindergarten is
the venue's); an exhibit's own setting replaces it whole, wherever the exhibit stands. With
neither, desired state carries no `audio` and the kiosk plays at full volume, as before.
Quiet ranges are local times in the controller's zone (`desired.config.timezone`), every day.

Who may change it follows `commands.send`: a technician of the region of the venue where the
exhibit stands now (in transit: of its owning region); for a venue, of the venue's region.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from controller.domain import audit, fleet, venues
from controller.domain.auth import Principal
from controller.errors import Invalid
from kepu_contracts.audio import AudioError, AudioPolicy, parse_audio
from kepu_contracts.messages import parse_reported
from kepu_contracts.times import iso

SCOPES = ("venue", "exhibit")


def check(body: dict[str, Any], tz: str = "UTC") -> AudioPolicy:
    """What staff sent, as a policy; Invalid naming the bad part (a range, a percent)."""
    try:
        return parse_audio(body, tz)
    except AudioError as exc:
        raise Invalid(str(exc)) from None


def _stored(db: Database, scope: str, target: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT volume, quiet, quiet_volume, updated, updated_by FROM audio_settings WHERE scope = ? AND target = ?",
        [scope, target],
    ).fetchone()
    if row is None:
        return None
    return {"volume": row[0], "quiet": json.loads(row[1]), "quiet_volume": row[2], "updated": row[3], "by": row[4]}


def _policy(stored: dict[str, Any], tz: str) -> AudioPolicy:
    return parse_audio({k: stored[k] for k in ("volume", "quiet", "quiet_volume")}, tz)


def _view(stored: dict[str, Any] | None, tz: str) -> dict[str, Any] | None:
    if stored is None:
        return None
    return {
        **_policy(stored, tz).doc(),
        "updated": iso(stored["updated"], tz),
        "updated_by": stored["by"],
    }


def for_desired(db: Database, exhibit: str, venue: str | None, tz: str) -> dict[str, Any] | None:
    """`desired.audio` for `exhibit` standing at `venue` (None: in transit); None when nothing is set."""
    stored = _stored(db, "exhibit", exhibit) or (_stored(db, "venue", venue) if venue else None)
    return _policy(stored, tz).doc() if stored else None


def _put(db: Database, scope: str, target: str, policy: AudioPolicy, now: float, actor: str) -> None:
    db.table("audio_settings").upsert(
        {
            "scope": scope,
            "target": target,
            "volume": policy.volume,
            "quiet": json.dumps([r.text() for r in policy.quiet]),
            "quiet_volume": policy.quiet_volume,
            "updated": now,
            "updated_by": actor,
        },
        pk=("scope", "target"),
    )


def _delete(db: Database, scope: str, target: str) -> bool:
    return db.execute("DELETE FROM audio_settings WHERE scope = ? AND target = ?", [scope, target]).rowcount > 0


# -- exhibits ---------------------------------------------------------------------------


def _exhibit(db: Database, user: Principal, exhibit: str, now: float, tz: str, write: bool) -> dict[str, Any]:
    current = fleet.get_exhibit(db, user, exhibit, now, tz)  # NotFound outside the caller's scope
    if write:
        user.require("technician", current["venue"]["region"] if current["venue"] else current["region"])
    return current


def exhibit_view(db: Database, user: Principal, exhibit: str, now: float, tz: str) -> dict[str, Any]:
    """The exhibit's own setting, its venue's, the one in effect (and where from), and what it reports."""
    current = _exhibit(db, user, exhibit, now, tz, write=False)
    venue = current["venue"]
    own = _stored(db, "exhibit", exhibit)
    at_venue = _stored(db, "venue", venue["id"]) if venue else None
    source, stored = ("exhibit", own) if own else ("venue", at_venue) if at_venue else ("default", None)
    policy = _policy(stored, tz) if stored else AudioPolicy(timezone=tz)
    row = db.execute("SELECT reported FROM exhibits WHERE id = ?", [exhibit]).fetchone()
    try:
        reported = parse_reported(json.loads(row[0]) if row and row[0] else {}).audio
    except ValueError:
        reported = None
    return {
        "exhibit": exhibit,
        "effective": {**policy.doc(), "source": source, "timezone": tz, "quiet_now": policy.quiet_at(now)},
        "exhibit_setting": _view(own, tz),
        "venue": None if venue is None else {"id": venue["id"], "name": venue["name"], "setting": _view(at_venue, tz)},
        "reported": None if reported is None else {"volume": reported.volume, "quiet": reported.quiet},
    }


def set_exhibit(
    db: Database, user: Principal, exhibit: str, body: dict[str, Any], now: float, tz: str
) -> dict[str, Any]:
    """Give the exhibit its own volume and quiet hours (replacing its venue's, wherever it stands)."""
    current = _exhibit(db, user, exhibit, now, tz, write=True)
    policy = check(body, tz)
    _put(db, "exhibit", exhibit, policy, now, user.id)
    audit.record(db, now, user.id, "exhibit.audio", exhibit, policy.doc(), current["region"])
    return exhibit_view(db, user, exhibit, now, tz)


def clear_exhibit(db: Database, user: Principal, exhibit: str, now: float, tz: str) -> dict[str, Any]:
    """Back to the venue's setting (or full volume)."""
    current = _exhibit(db, user, exhibit, now, tz, write=True)
    if _delete(db, "exhibit", exhibit):
        audit.record(db, now, user.id, "exhibit.audio.clear", exhibit, {}, current["region"])
    return exhibit_view(db, user, exhibit, now, tz)


# -- venues -----------------------------------------------------------------------------


def venue_view(db: Database, user: Principal, venue: str, tz: str) -> dict[str, Any]:
    row = venues.get(db, user, venue)  # NotFound outside the caller's scope
    return {"venue": row["id"], "setting": _view(_stored(db, "venue", venue), tz), "timezone": tz}


def set_venue(db: Database, user: Principal, venue: str, body: dict[str, Any], now: float, tz: str) -> dict[str, Any]:
    """The default for every exhibit standing at the venue (those with their own setting keep it)."""
    row = venues.get(db, user, venue)
    user.require("technician", row["region"])
    policy = check(body, tz)
    _put(db, "venue", venue, policy, now, user.id)
    audit.record(db, now, user.id, "venue.audio", venue, policy.doc(), row["region"])
    return venue_view(db, user, venue, tz)


def clear_venue(db: Database, user: Principal, venue: str, now: float, tz: str) -> dict[str, Any]:
    row = venues.get(db, user, venue)
    user.require("technician", row["region"])
    if _delete(db, "venue", venue):
        audit.record(db, now, user.id, "venue.audio.clear", venue, {}, row["region"])
    return venue_view(db, user, venue, tz)
