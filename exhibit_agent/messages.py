"""Payloads the agent sends and receives, as pure functions over dicts (no I/O, no paho).

Kept beside protocol.py rather than in it so the agent's message shapes can grow without
touching the module the controller also edits; encode()/decode() add and check "v": 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exhibit_agent.protocol import EXHIBIT_ID, ProtocolError
from kiosk.clock import parse_instant


def iso(ts: float) -> str:
    """Epoch seconds as ISO 8601 UTC with a Z, the form every timestamp field uses."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def parse_time(value: Any, name: str) -> float | None:
    """An ISO 8601 string or epoch number as epoch seconds; None stays None."""
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ProtocolError(f"{name} {exc}") from None


# -- state (retained, with an LWT) ---------------------------------------------


def state_online(
    exhibit: str, agent_version: str, since: float, pack: dict[str, str] | None, kiosk_version: str | None = None
) -> dict[str, Any]:
    """The retained availability message published on every (re)connect."""
    return {
        "online": True,
        "exhibit": exhibit,
        "agent_version": agent_version,
        "kiosk_version": kiosk_version,
        "since": iso(since),
        "pack": pack,
    }


def state_offline(exhibit: str, reason: str = "lost") -> dict[str, Any]:
    """The LWT ("lost") and the graceful-shutdown message ("shutdown")."""
    return {"online": False, "exhibit": exhibit, "reason": reason}


# -- event batches and acks --------------------------------------------------


def event_batch(exhibit: str, batch: str, events: list[dict[str, Any]], venue: str | None = None) -> dict[str, Any]:
    """A batch envelope; footfall batches also name the venue (the controller checks it against the topic)."""
    body: dict[str, Any] = {"exhibit": exhibit, "batch": batch, "events": events}
    if venue is not None:
        body = {"venue": venue, **body}
    return body


@dataclass(frozen=True)
class Ack:
    batch: str | None
    from_seq: int
    upto_seq: int
    exhibit: str | None = None


def parse_ack(payload: dict[str, Any]) -> Ack:
    """Check an ack; raise ProtocolError when the range is missing or nonsensical."""
    upto = payload.get("upto_seq")
    start = payload.get("from_seq", 1)
    for name, value in (("upto_seq", upto), ("from_seq", start)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProtocolError(f"ack {name} must be a non-negative integer")
    if start > upto:
        raise ProtocolError("ack from_seq is after upto_seq")
    batch = payload.get("batch")
    exhibit = payload.get("exhibit")
    return Ack(
        batch=batch if isinstance(batch, str) else None,
        from_seq=start,
        upto_seq=upto,
        exhibit=exhibit if isinstance(exhibit, str) else None,
    )


# -- desired state -------------------------------------------------------------


@dataclass(frozen=True)
class PackRef:
    """The pack the controller wants installed."""

    id: str
    version: str
    manifest_sha256: str
    url: str

    def brief(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version}


@dataclass(frozen=True)
class Emergency:
    """An emergency broadcast; active while starts <= now < expires."""

    id: str
    message: dict[str, str]
    starts: float | None
    expires: float | None
    raw: dict[str, Any]

    def active(self, now: float) -> bool:
        return (self.starts is None or self.starts <= now) and (self.expires is None or now < self.expires)


@dataclass(frozen=True)
class Desired:
    venue: str | None
    opening_hours: Any
    pack: PackRef | None
    emergency: Emergency | None
    config: dict[str, Any]


def parse_desired(payload: dict[str, Any]) -> Desired:
    """Check a desired-state message; raise ProtocolError naming the bad field."""
    venue = payload.get("venue")
    if isinstance(venue, dict):
        venue = venue.get("id")  # the controller sends {id, name}; the agent needs only the id
    if venue is not None and (not isinstance(venue, str) or not EXHIBIT_ID.match(venue)):
        raise ProtocolError(f"desired.venue {venue!r} is not a valid venue id")
    pack = None
    raw_pack = payload.get("pack")
    if raw_pack is not None:
        if not isinstance(raw_pack, dict):
            raise ProtocolError("desired.pack must be an object or null")
        for name in ("id", "version", "manifest_sha256", "url"):
            if not isinstance(raw_pack.get(name), str) or not raw_pack[name]:
                raise ProtocolError(f"desired.pack.{name} missing or not text")
        sha = raw_pack["manifest_sha256"]
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ProtocolError("desired.pack.manifest_sha256 must be 64 lowercase hex digits")
        pack = PackRef(raw_pack["id"], raw_pack["version"], sha, raw_pack["url"])
    emergency = None
    raw_em = payload.get("emergency")
    if raw_em is not None:
        em_id = raw_em.get("id") if isinstance(raw_em, dict) else None
        # The controller numbers broadcasts; other senders may use text ids. Both are fine.
        if isinstance(em_id, bool) or not isinstance(em_id, (str, int)) or em_id == "":
            raise ProtocolError("desired.emergency must be an object with an id, or null")
        message = raw_em.get("message") or {}
        if not isinstance(message, dict) or not all(isinstance(v, str) for v in message.values()):
            raise ProtocolError("desired.emergency.message must be {zh, en} text")
        emergency = Emergency(
            id=str(em_id),
            message=message,
            starts=parse_time(raw_em.get("starts"), "desired.emergency.starts"),
            expires=parse_time(raw_em.get("expires"), "desired.emergency.expires"),
            raw=raw_em,
        )
    config = payload.get("config") or {}
    if not isinstance(config, dict):
        raise ProtocolError("desired.config must be an object")
    return Desired(
        venue=venue, opening_hours=payload.get("opening_hours"), pack=pack, emergency=emergency, config=config
    )


# -- reported state -------------------------------------------------------------


def reported(
    installed: dict[str, str] | None,
    playing: dict[str, Any] | None,
    last_install: dict[str, Any] | None,
    outbox_over_cap: bool = False,
    emergency: str | None = None,
    emergency_shown: str | None = None,
) -> dict[str, Any]:
    """The retained `reported` message: what is installed and playing, and the last install.

    `emergency` is the broadcast handed to the kiosk; `emergency_shown` is the one the kiosk
    confirms is on its screen (from its heartbeat), which is what staff need to see.
    """
    return {
        "installed": installed,
        "playing": playing,
        "last_install": last_install,
        "outbox_over_cap": outbox_over_cap,
        "emergency": emergency,
        "emergency_shown": emergency_shown,
    }


def install_result(pack: dict[str, str], result: str, reason: str | None, at: float) -> dict[str, Any]:
    """One `last_install` entry: result is ok, rolled_back or refused."""
    return {"pack": pack, "result": result, "reason": reason, "at": iso(at)}
