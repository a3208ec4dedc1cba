"""The agent's settings: one TOML file, validated with clear errors, overridable by flags."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kepu_contracts.datadir import DataDir
from kepu_contracts.protocol import EXHIBIT_ID, parse_broker_url

MiB = 1024 * 1024


class ConfigError(ValueError):
    """A setting that is missing, of the wrong type or out of range; the message names it."""


@dataclass(frozen=True)
class AgentConfig:
    """Everything the agent needs to run one exhibit; see docs/agent.md for each key."""

    exhibit: str
    mqtt: str
    data: Path
    controller: str | None = None
    controller_token: str | None = None  # the device's API token (kepu-controller enroll), for uploads
    username: str | None = None
    password: str | None = None
    trusted_keys: tuple[str, ...] = ()
    # outbox drain
    batch_max_events: int = 200
    batch_max_bytes: int = 256 * 1024
    flush_interval: float = 0.2
    ack_timeout: float = 10.0
    inflight_batches: int = 4
    outbox_cap_bytes: int = 512 * MiB
    # health and availability
    health_interval: float = 30.0
    keepalive: int = 30
    # pack install
    kiosk_load_timeout: float = 60.0
    http_timeout: float = 30.0
    # serial door counter / buttons; None means no device
    serial_device: str | None = None
    serial_baud: int = 9600
    # displays and devices on the venue's schedule (exhibit_agent/power); [] = the kiosk blanks itself
    power_backends: tuple[dict[str, Any], ...] = ()
    # folders on a mounted USB stick to take packs and acks from (sneakernet); globbed
    usb_roots: tuple[str, ...] = ("/media/*/kepu", "/media/*/*/kepu", "/run/media/*/*/kepu")
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def outbox_path(self) -> Path:
        return DataDir(self.data).outbox


# TOML layout -> flat field name. Sections keep the file readable; the dataclass stays flat.
_KEYS: dict[tuple[str, ...], str] = {
    ("exhibit",): "exhibit",
    ("data",): "data",
    ("controller",): "controller",
    ("controller_token",): "controller_token",
    ("trusted_keys",): "trusted_keys",
    ("mqtt", "url"): "mqtt",
    ("mqtt", "username"): "username",
    ("mqtt", "password"): "password",
    ("mqtt", "keepalive"): "keepalive",
    ("outbox", "batch_max_events"): "batch_max_events",
    ("outbox", "batch_max_bytes"): "batch_max_bytes",
    ("outbox", "flush_interval"): "flush_interval",
    ("outbox", "ack_timeout"): "ack_timeout",
    ("outbox", "inflight_batches"): "inflight_batches",
    ("outbox", "cap_bytes"): "outbox_cap_bytes",
    ("health", "interval"): "health_interval",
    ("install", "kiosk_load_timeout"): "kiosk_load_timeout",
    ("install", "http_timeout"): "http_timeout",
    ("serial", "device"): "serial_device",
    ("serial", "baud"): "serial_baud",
    ("power", "backends"): "power_backends",
    ("usb", "roots"): "usb_roots",
}
_SPECIAL = {("mqtt", "password_file"), ("controller_token_file",)}

_POSITIVE = {
    "batch_max_events",
    "batch_max_bytes",
    "flush_interval",
    "ack_timeout",
    "inflight_batches",
    "outbox_cap_bytes",
    "health_interval",
    "keepalive",
    "kiosk_load_timeout",
    "http_timeout",
    "serial_baud",
}
_TYPES = {f.name: f.type for f in fields(AgentConfig)}


def load_config(path: Path | str | None = None, overrides: Mapping[str, Any] | None = None) -> AgentConfig:
    """Read the TOML file (if any), apply non-None overrides, validate; raise ConfigError."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_read_toml(Path(path)))
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    return build_config(values, source=str(path) if path else "command line")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for keypath, value in _flatten(doc):
        if keypath in _KEYS:
            values[_KEYS[keypath]] = value
        elif keypath == ("controller_token_file",):
            try:
                values["controller_token"] = Path(value).read_text(encoding="utf-8").strip()
            except (OSError, TypeError) as exc:
                raise ConfigError(f"{path}: controller_token_file {value!r} cannot be read ({exc})") from None
        elif keypath == ("mqtt", "password_file"):
            try:
                values["password"] = Path(value).read_text(encoding="utf-8").strip()
            except (OSError, TypeError) as exc:
                raise ConfigError(f"{path}: mqtt.password_file {value!r} cannot be read ({exc})") from None
        else:
            unknown.append(".".join(keypath))
    if unknown:
        # A typo in a key would otherwise silently fall back to a default.
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return values


def _flatten(doc: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for key, value in doc.items():
        if isinstance(value, dict) and (*prefix, key) not in _KEYS:
            out += _flatten(value, (*prefix, key))
        else:
            out.append(((*prefix, key), value))
    return out


def build_config(values: Mapping[str, Any], source: str = "config") -> AgentConfig:
    """Validate a flat mapping of settings into an AgentConfig."""
    for required in ("exhibit", "mqtt", "data"):
        if not values.get(required):
            flag = {"mqtt": "mqtt.url / --mqtt"}.get(required, f"{required} / --{required}")
            raise ConfigError(f"{source}: missing required setting {flag}")
    exhibit = values["exhibit"]
    if not isinstance(exhibit, str) or not EXHIBIT_ID.match(exhibit):
        raise ConfigError(f"{source}: exhibit {exhibit!r} must be letters, digits, '-', '_' or '.' (max 64)")
    try:
        broker = parse_broker_url(str(values["mqtt"]))
    except ValueError as exc:
        raise ConfigError(f"{source}: mqtt.url: {exc}") from None
    kwargs: dict[str, Any] = {"exhibit": exhibit, "mqtt": str(values["mqtt"]), "data": Path(values["data"])}
    kwargs["username"] = values.get("username") or broker.username
    kwargs["password"] = values.get("password") or broker.password
    controller = values.get("controller")
    if controller is not None:
        if not isinstance(controller, str) or not controller.startswith(("http://", "https://")):
            raise ConfigError(f"{source}: controller must be an http:// or https:// URL, got {controller!r}")
        kwargs["controller"] = controller.rstrip("/")
    token = values.get("controller_token")
    if token is not None:
        if (
            not isinstance(token, str)
            or not token.strip()
            or any(c.isspace() or not c.isprintable() for c in token.strip())
        ):
            raise ConfigError(f"{source}: controller_token must be one printable word (the device token from enroll)")
        kwargs["controller_token"] = token.strip()
    keys = values.get("trusted_keys", ())
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) for k in keys):
        raise ConfigError(f"{source}: trusted_keys must be a list of key files or base64 keys")
    kwargs["trusted_keys"] = tuple(keys)
    for name in _POSITIVE:
        if name not in values:
            continue
        value = values[name]
        want_int = _TYPES[name] in ("int", int)
        ok = isinstance(value, int) if want_int else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or value <= 0:
            kind = "a positive integer" if want_int else "a positive number"
            raise ConfigError(f"{source}: {name} must be {kind}, got {value!r}")
        kwargs[name] = value
    device = values.get("serial_device")
    if device is not None and not isinstance(device, str):
        raise ConfigError(f"{source}: serial.device must be a path, got {device!r}")
    kwargs["serial_device"] = device or None
    kwargs["power_backends"] = _power_backends(values.get("power_backends"), exhibit, str(values["mqtt"]), source)
    roots = values.get("usb_roots")
    if roots is not None:
        if isinstance(roots, str):
            roots = [roots]
        if not isinstance(roots, (list, tuple)) or not all(isinstance(r, str) and r for r in roots):
            raise ConfigError(f"{source}: usb.roots must be a list of folder patterns like /media/*/kepu")
        kwargs["usb_roots"] = tuple(roots)
    return AgentConfig(**kwargs)


def _power_backends(raw: Any, exhibit: str, mqtt: str, source: str) -> tuple[dict[str, Any], ...]:
    """Check every backend entry now (building it once), so a typo fails at start, not at closing time."""
    from exhibit_agent.power.backends import BackendConfigError, build_backends, check_specs

    try:
        specs = check_specs(raw, source)
        for backend in build_backends(specs, {"exhibit": exhibit, "mqtt": mqtt}):
            backend.close()
    except BackendConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(source) else f"{source}: {message}") from None
    return specs


def with_overrides(config: AgentConfig, **changes: Any) -> AgentConfig:
    """A copy with some settings changed (tests and the benchmark use it)."""
    return replace(config, **changes)
