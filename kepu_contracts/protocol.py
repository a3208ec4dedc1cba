"""The kepu MQTT protocol (contract in DESIGN.md): topics and messages, pure functions only.

Both the agent and the controller speak through this module, so a topic or a payload
field is defined in exactly one place. Nothing here imports paho.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from kepu_contracts.limits import (
    BATCH_MAX_EVENTS,
    EVENT_ID_MAX,
    EVENT_MAX_BYTES,
    EVENT_TS_MAX,
    EVENT_TYPE_MAX,
    INT64_MAX,
)

ROOT = "kepu/v1"
VERSION = 1
EXHIBIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Per-exhibit channels and their direction; see DESIGN.md "Protocol (contract)".
EXHIBIT_CHANNELS = (
    "events",
    "ack",
    "state",
    "health",
    "desired",
    "reported",
    "commands",
    "command_results",
    "footfall",
    "footfall_ack",
)
# Retired: any device could write any venue's footfall there (and ack away another exhibit's rows).
# Door counts now travel on the exhibit's own `footfall` / `footfall_ack` channels; the broker ACL
# no longer grants these topics and the controller ignores them.
VENUE_CHANNELS = ("footfall", "footfall_ack")
# Channels whose messages are one-off data: a retained copy would be replayed to every new subscriber.
NEVER_RETAINED = ("events", "footfall", "command_results")


class ProtocolError(ValueError):
    """A payload or topic that does not follow the protocol; the message says what is wrong."""


def exhibit_topic(exhibit: str, channel: str) -> str:
    """`kepu/v1/exhibits/{id}/{channel}`."""
    if channel not in EXHIBIT_CHANNELS:
        raise ValueError(f"unknown exhibit channel {channel!r}")
    if not EXHIBIT_ID.match(exhibit):
        raise ValueError(f"invalid exhibit id {exhibit!r}")
    return f"{ROOT}/exhibits/{exhibit}/{channel}"


def venue_topic(venue: str, channel: str) -> str:
    """`kepu/v1/venues/{venue}/{channel}`."""
    if channel not in VENUE_CHANNELS:
        raise ValueError(f"unknown venue channel {channel!r}")
    if not EXHIBIT_ID.match(venue):
        raise ValueError(f"invalid venue id {venue!r}")
    return f"{ROOT}/venues/{venue}/{channel}"


def exhibit_subscription(channel: str) -> str:
    """Wildcard subscription for one channel of every exhibit."""
    return f"{ROOT}/exhibits/+/{channel}"


@dataclass(frozen=True)
class TopicParts:
    kind: str  # "exhibits" or "venues"
    ident: str
    channel: str


def parse_topic(topic: str) -> TopicParts:
    """Split a kepu topic into its parts; raise ProtocolError for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:2]) != ROOT or parts[2] not in ("exhibits", "venues"):
        raise ProtocolError(f"not a kepu topic: {topic!r}")
    if not EXHIBIT_ID.match(parts[3]):
        raise ProtocolError(f"invalid id in topic: {topic!r}")
    return TopicParts(kind=parts[2], ident=parts[3], channel=parts[4])


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise a message: compact UTF-8 JSON carrying `"v": 1`."""
    return json.dumps({"v": VERSION, **payload}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes) -> dict[str, Any]:
    """Parse a message; raise ProtocolError unless it is a JSON object with `"v": 1`."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"payload is not UTF-8 JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ProtocolError("payload must be a JSON object")
    if payload.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol version {payload.get('v')!r} (expected {VERSION})")
    return payload


# -- event batches ---------------------------------------------------------

# How events are measured and stored: compact, UTF-8 as is (one encoder, not one per call).
COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

_EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "seq": (int,),
    "ts": (int, float),
    "mono": (int, float),
    "boot": (str,),
    "synced": (bool,),
    "type": (str,),
}


def validate_event(event: Any, check_size: bool = True) -> str | None:
    """Why an event is malformed, or None when it is well-formed.

    `check_size=False` skips re-encoding the event to measure it: for callers that know the message it
    came in is too small to hold an event over EVENT_MAX_BYTES.
    """
    if not isinstance(event, dict):
        return "event is not an object"
    get = event.get
    seq: Any = get("seq")
    ts: Any = get("ts")
    mono: Any = get("mono")
    # The common case in one expression (ingest checks every event); the loop below names the culprit.
    if not (
        isinstance(get("id"), str)
        and isinstance(seq, int)
        and isinstance(ts, (int, float))
        and isinstance(mono, (int, float))
        and isinstance(get("boot"), str)
        and isinstance(get("synced"), bool)
        and isinstance(get("type"), str)
        and not isinstance(seq, bool)
        and not isinstance(ts, bool)
        and not isinstance(mono, bool)
    ):
        for name, types in _EVENT_FIELDS.items():
            value = get(name)
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                return f"field {name!r} missing or not {'/'.join(t.__name__ for t in types)}"
    if not 0 < len(event["id"]) <= EVENT_ID_MAX:
        return f"field 'id' must be 1-{EVENT_ID_MAX} characters"
    if not 1 <= seq <= INT64_MAX:
        return "field 'seq' must be positive (at most 2^63-1)"
    for name, value in (("ts", ts), ("mono", mono)):
        if not math.isfinite(value):
            return f"field {name!r} must be a finite number"
    if not 0 <= ts <= EVENT_TS_MAX:
        return "field 'ts' must be Unix seconds between 1970 and 2100"
    data = get("data")
    problem = unstorable(data) if data else None  # None, {} and the like hold nothing unstorable
    if problem:
        return f"field 'data' {problem}"
    if not 0 < len(event["type"]) <= EVENT_TYPE_MAX:
        return f"field 'type' must be 1-{EVENT_TYPE_MAX} characters"
    for name in ("session", "scene"):
        value = get(name)
        if value is not None and not isinstance(value, str):
            return f"field {name!r} must be a string or null"
    if not isinstance(get("data", {}), dict):
        return "field 'data' must be an object"
    if check_size and len(COMPACT_JSON.encode(event).encode("utf-8")) > EVENT_MAX_BYTES:
        return f"event is larger than {EVENT_MAX_BYTES:,} bytes"
    return None


def unstorable(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value cannot be stored and summed safely (NaN, ±Infinity, > 64-bit ints, too deep)."""
    if depth > 32:
        return "is nested too deeply"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "holds NaN or Infinity"
    if isinstance(value, int):
        return None if -INT64_MAX - 1 <= value <= INT64_MAX else "holds an integer beyond 64 bits"
    if isinstance(value, dict):
        items: list[Any] = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return f"holds a {type(value).__name__}"
    for item in items:
        problem = unstorable(item, depth + 1)
        if problem:
            return problem
    return None


@dataclass(frozen=True)
class EventBatch:
    exhibit: str
    batch: str
    events: list[dict[str, Any]]


def parse_event_batch(payload: dict[str, Any], topic_ident: str, id_field: str = "exhibit") -> EventBatch:
    """Check a batch's envelope; individual events are validated one by one by the ingester."""
    ident = payload.get(id_field)
    if ident != topic_ident:
        raise ProtocolError(f"{id_field} {ident!r} does not match the topic ({topic_ident!r})")
    batch = payload.get("batch")
    if not isinstance(batch, str) or not batch:
        raise ProtocolError("batch id missing")
    events = payload.get("events")
    if not isinstance(events, list):
        raise ProtocolError("events must be a list")
    if len(events) > BATCH_MAX_EVENTS:
        raise ProtocolError(f"batch too large (over {BATCH_MAX_EVENTS:,} events)")
    return EventBatch(exhibit=ident, batch=batch, events=events)


# -- broker URLs -------------------------------------------------------------


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_broker_url(url: str) -> BrokerUrl:
    """`mqtt://[user:pass@]host[:port]` or `mqtts://…`; raise ValueError with the reason."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts", "tcp"):
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
    if not parsed.hostname:
        raise ValueError(f"broker URL has no host: {url!r}")
    tls = parsed.scheme == "mqtts"
    return BrokerUrl(
        host=parsed.hostname,
        port=parsed.port or (8883 if tls else 1883),
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        tls=tls,
    )
