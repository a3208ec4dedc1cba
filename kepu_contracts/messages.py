"""Every payload on the kepu topics, built and parsed here and nowhere else (no I/O, no paho).

The builders return plain dicts (`protocol.encode` adds `"v": 1`); the parsers take a decoded
dict and return frozen dataclasses, raising ProtocolError naming the bad field, so no code
downstream indexes raw device or controller JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kepu_contracts.audio import AudioError, AudioPolicy, AudioReport, parse_audio, parse_audio_report
from kepu_contracts.protocol import EXHIBIT_ID, ProtocolError
from kepu_contracts.times import iso, parse_instant


def number(value: Any) -> float | None:
    """A finite JSON number from a device as a float; None for anything else (booleans, text, NaN, ±inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return result if math.isfinite(result) else None


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


def ack(batch: str, from_seq: int, upto_seq: int) -> dict[str, Any]:
    """What the controller sends once a batch is committed: rows [from_seq, upto_seq] are safe."""
    return {"batch": batch, "from_seq": from_seq, "upto_seq": upto_seq}


@dataclass(frozen=True)
class Ack:
    batch: str | None
    from_seq: int
    upto_seq: int
    exhibit: str | None = None


def _seq(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(f"ack {name} must be a non-negative integer")
    return value


def parse_ack(payload: dict[str, Any]) -> Ack:
    """Check an ack; raise ProtocolError when the range is missing or nonsensical."""
    upto = _seq(payload.get("upto_seq"), "upto_seq")
    start = _seq(payload.get("from_seq", 1), "from_seq")
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
    audio: AudioPolicy | None = None  # None: not managed (older controllers), the kiosk plays at full volume


def pack_ref(pack_id: str, version: str, manifest_sha256: str, base_url: str) -> dict[str, str]:
    """`desired.pack`: where the agent fetches the manifest it must verify against `manifest_sha256`."""
    return {
        "id": pack_id,
        "version": version,
        "manifest_sha256": manifest_sha256,
        "url": f"{base_url}/api/v1/packs/{pack_id}/{version}/manifest",
    }


def emergency_ref(
    emergency_id: int | str, zh: str, en: str, starts: float | None, expires: float | None, tz: str
) -> dict[str, Any]:
    """`desired.emergency`: the message and its bounds (ISO 8601 in the controller's zone)."""
    return {"id": emergency_id, "message": {"zh": zh, "en": en}, "starts": iso(starts, tz), "expires": iso(expires, tz)}


def desired(
    exhibit: str,
    venue: dict[str, str] | None,
    opening_hours: Any,
    pack: dict[str, str] | None,
    emergency: dict[str, Any] | None,
    config: dict[str, Any],
    audio: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The retained `desired` message; `parse_desired` reads exactly these fields.

    `audio` (issue 10, `kepu_contracts.audio`) is left out when nothing sets it, so the desired
    state of an exhibit without a volume setting is byte for byte what it was before.
    """
    body = {
        "exhibit": exhibit,
        "venue": venue,
        "opening_hours": opening_hours,
        "pack": pack,
        "emergency": emergency,
        "config": config,
    }
    if audio is not None:
        body["audio"] = audio
    return body


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
    config = payload.get("config")
    config = {} if config is None else config
    if not isinstance(config, dict):
        raise ProtocolError("desired.config must be an object")
    return Desired(
        venue=venue,
        opening_hours=payload.get("opening_hours"),
        pack=pack,
        emergency=emergency,
        config=config,
        audio=_desired_audio(payload.get("audio"), config.get("timezone")),
    )


def _desired_audio(raw: Any, timezone: Any) -> AudioPolicy | None:
    """`desired.audio` in the venue's zone (`desired.config.timezone`); absent or null: not managed."""
    if raw is None:
        return None
    try:
        return parse_audio(raw, timezone if isinstance(timezone, str) and timezone else "UTC")
    except AudioError as exc:
        raise ProtocolError(f"desired.audio: {exc}") from None


# -- reported state -------------------------------------------------------------


def reported(
    installed: dict[str, str] | None,
    playing: dict[str, Any] | None,
    last_install: dict[str, Any] | None,
    outbox_over_cap: bool = False,
    emergency: str | None = None,
    emergency_shown: str | None = None,
    audio: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The retained `reported` message: what is installed and playing, and the last install.

    `emergency` is the broadcast handed to the kiosk; `emergency_shown` is the one the kiosk
    confirms is on its screen (from its heartbeat), which is what staff need to see. `audio` is
    the volume the kiosk applies now (`{volume, quiet}`, from its heartbeat; null when unknown).
    """
    return {
        "installed": installed,
        "playing": playing,
        "last_install": last_install,
        "outbox_over_cap": outbox_over_cap,
        "emergency": emergency,
        "emergency_shown": emergency_shown,
        "audio": audio,
    }


def install_result(pack: dict[str, str], result: str, reason: str | None, at: float) -> dict[str, Any]:
    """One `last_install` entry: result is ok, rolled_back or refused."""
    return {"pack": pack, "result": result, "reason": reason, "at": iso(at)}


# -- commands -----------------------------------------------------------------------

COMMAND_ID_MAX = 64


@dataclass(frozen=True)
class Command:
    """A one-off action on `commands`; `args` are the fields beside `id` and `type`."""

    id: str
    type: str
    args: dict[str, Any]


def command(command_id: str, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """A command message. `id` and `type` always win over same-named args."""
    return {**(args or {}), "id": command_id, "type": kind}


def parse_command(payload: dict[str, Any]) -> Command:
    """Check a command; raise ProtocolError unless it has a text id and type."""
    command_id, kind = payload.get("id"), payload.get("type")
    if not isinstance(command_id, str) or not command_id or len(command_id) > COMMAND_ID_MAX:
        raise ProtocolError(f"a command needs a text id of 1-{COMMAND_ID_MAX} characters")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError("a command needs a text type")
    args = {k: v for k, v in payload.items() if k not in ("v", "id", "type")}
    return Command(id=command_id, type=kind, args=args)


def command_result(command_id: str, ok: bool, error: str | None = None, **fields: Any) -> dict[str, Any]:
    """The answer on `command_results`: `{id, ok, error?, …}`."""
    body: dict[str, Any] = {"id": command_id, "ok": ok, **fields}
    if error is not None:
        body["error"] = error
    return body


# -- typed views of what devices report (health, state, reported) ---------------------
#
# Parsed at the edge so nothing downstream indexes raw device JSON: every field has a default,
# and a field of the wrong type reads as missing (an older or different agent must never take a
# page down). Only `state.online` is required, as the ingester needs it.


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PackBrief:
    id: str
    version: str


def parse_pack_brief(value: Any) -> PackBrief | None:
    """`{id, version}` when both are text, else None."""
    if not isinstance(value, dict):
        return None
    pack_id, version = value.get("id"), value.get("version")
    if not isinstance(pack_id, str) or not pack_id:
        return None
    return PackBrief(pack_id, version if isinstance(version, str) else "")


@dataclass(frozen=True)
class KioskHealth:
    pid: int | None = None
    fps: float | None = None
    last_frame_age: float | None = None
    heartbeat_age: float | None = None
    alive: bool | None = None


@dataclass(frozen=True)
class Backlog:
    events: int = 0
    footfall: int = 0


@dataclass(frozen=True)
class OutboxHealth:
    backlog: Backlog = Backlog()
    bytes: int | None = None
    over_cap: bool = False


@dataclass(frozen=True)
class Health:
    exhibit: str | None = None
    at: str | None = None
    uptime: float | None = None
    fps: float | None = None
    kiosk: KioskHealth | None = None  # None: the message said nothing about the kiosk
    kiosk_reported: bool = False  # the message had a `kiosk` key (null there means no heartbeat)
    cpu_temp: float | None = None
    disk_free: float | None = None
    undervoltage: bool | None = None
    throttled: dict[str, Any] | None = None
    screen_on: bool | None = None
    last_touch: str | None = None
    outbox: OutboxHealth = OutboxHealth()
    outbox_reported: bool = False  # the message gave an outbox backlog count


def parse_health(payload: dict[str, Any]) -> Health:
    """A health message with defaults for whatever is missing or malformed; never raises."""
    raw_kiosk = payload.get("kiosk")
    kiosk = None
    if isinstance(raw_kiosk, dict):
        pid = raw_kiosk.get("pid")
        kiosk = KioskHealth(
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
            fps=_num(raw_kiosk.get("fps")),
            last_frame_age=_num(raw_kiosk.get("last_frame_age")),
            heartbeat_age=_num(raw_kiosk.get("heartbeat_age")),
            alive=_flag(raw_kiosk.get("alive")),
        )
    outbox = _obj(payload.get("outbox"))
    backlog = _obj(outbox.get("backlog"))
    size = outbox.get("bytes")
    throttled = payload.get("throttled")
    return Health(
        exhibit=_text(payload.get("exhibit")),
        at=_text(payload.get("at")),
        uptime=_num(payload.get("uptime")),
        fps=_num(payload.get("fps")),
        kiosk=kiosk,
        kiosk_reported="kiosk" in payload,
        cpu_temp=_num(payload.get("cpu_temp")),
        disk_free=_num(payload.get("disk_free")),
        undervoltage=_flag(payload.get("undervoltage")),
        throttled=throttled if isinstance(throttled, dict) else None,
        screen_on=_flag(payload.get("screen_on")),
        last_touch=_text(payload.get("last_touch")),
        outbox=OutboxHealth(
            backlog=Backlog(events=_int(backlog.get("events")), footfall=_int(backlog.get("footfall"))),
            bytes=size if isinstance(size, int) and not isinstance(size, bool) else None,
            over_cap=outbox.get("over_cap") is True,
        ),
        outbox_reported=isinstance(backlog.get("events"), int) and not isinstance(backlog.get("events"), bool),
    )


@dataclass(frozen=True)
class State:
    online: bool
    exhibit: str | None = None
    agent_version: str | None = None
    kiosk_version: str | None = None
    since: str | None = None
    reason: str | None = None
    pack: PackBrief | None = None


def parse_state(payload: dict[str, Any]) -> State:
    """The retained availability message; raise ProtocolError unless `online` is a boolean."""
    online = payload.get("online")
    if not isinstance(online, bool):
        raise ProtocolError("state needs a boolean 'online'")
    return State(
        online=online,
        exhibit=_text(payload.get("exhibit")),
        agent_version=_text(payload.get("agent_version")),
        kiosk_version=_text(payload.get("kiosk_version")),
        since=_text(payload.get("since")),
        reason=_text(payload.get("reason")),
        pack=parse_pack_brief(payload.get("pack")),
    )


@dataclass(frozen=True)
class InstallResult:
    result: str = ""  # ok, rolled_back, refused, retrying ("" when the agent did not say)
    pack: PackBrief | None = None
    reason: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class Reported:
    installed: PackBrief | None = None
    playing: dict[str, Any] | None = None
    last_install: InstallResult | None = None
    outbox_over_cap: bool = False
    emergency: str | None = None
    emergency_shown: str | None = None
    says_shown: bool = False  # newer agents report `emergency_shown`; older ones only `emergency`
    audio: AudioReport | None = None  # the volume the kiosk applies (agents since issue 10)

    @property
    def showing_emergency(self) -> str | None:
        """The broadcast the kiosk confirms on its screen (older agents: the one handed over)."""
        return self.emergency_shown if self.says_shown else self.emergency


def _emergency_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value)


def parse_reported(payload: dict[str, Any]) -> Reported:
    """The retained `reported` message with defaults for whatever is missing or malformed; never raises."""
    raw_last = payload.get("last_install")
    last = None
    if isinstance(raw_last, dict):
        result = raw_last.get("result")
        last = InstallResult(
            result=result if isinstance(result, str) else "",
            pack=parse_pack_brief(raw_last.get("pack")),
            reason=_text(raw_last.get("reason")),
            at=_text(raw_last.get("at")),
        )
    playing = payload.get("playing")
    return Reported(
        installed=parse_pack_brief(payload.get("installed")),
        playing=playing if isinstance(playing, dict) else None,
        last_install=last,
        outbox_over_cap=payload.get("outbox_over_cap") is True,
        emergency=_emergency_id(payload.get("emergency")),
        emergency_shown=_emergency_id(payload.get("emergency_shown")),
        says_shown="emergency_shown" in payload,
        audio=parse_audio_report(payload.get("audio")),
    )
