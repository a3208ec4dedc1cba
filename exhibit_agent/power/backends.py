"""Power backends: one interface, one factory that turns the agent config's `[[power.backends]]` into them.

A backend switches one thing (the Pi's HDMI output, a TV over CEC, a smart plug, a
projector, a PC) and, where the device can tell, reports its actual state. Every call may
block on I/O, so only the keeper's worker thread calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class BackendError(Exception):
    """Switching or asking failed (device unreachable, command missing or failing); the message says which."""


class BackendConfigError(ValueError):
    """A `[[power.backends]]` entry that cannot work; the message names the entry and the key."""


class PowerBackend(Protocol):
    """Something that can be switched on and off."""

    name: str

    def switch(self, on: bool) -> None:
        """Turn it on or off; raise BackendError when that did not happen."""

    def state(self) -> bool | None:
        """Whether it is on now, or None when the device cannot tell; raise BackendError when unreachable."""

    def close(self) -> None:
        """Release connections (MQTT clients, HTTP pools)."""


def _builders() -> dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], PowerBackend]]:
    # Imported here so a kiosk-only install never loads HTTP or MQTT code for a backend it does not use.
    from exhibit_agent.power import display_commands, pjlink, shelly, tasmota, wol

    return {
        "vcgencmd": display_commands.vcgencmd,
        "wlr-randr": display_commands.wlr_randr,
        "xset": display_commands.xset,
        "cec-ctl": display_commands.cec_ctl,
        "cec-client": display_commands.cec_client,
        "command": display_commands.command,
        "tasmota": tasmota.build,
        "shelly": shelly.build,
        "pjlink": pjlink.build,
        "wol": wol.build,
    }


KINDS = ("vcgencmd", "wlr-randr", "xset", "cec-ctl", "cec-client", "command", "tasmota", "shelly", "pjlink", "wol")


def check_specs(raw: Any, source: str = "config") -> tuple[dict[str, Any], ...]:
    """Validate the shape of `power.backends` (a list of tables, each with a known `kind`)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise BackendConfigError(
            f'{source}: power.backends must be a list of tables like [[power.backends]] kind = "vcgencmd"'
        )
    for i, spec in enumerate(raw):
        kind = spec.get("kind")
        if kind not in KINDS:
            raise BackendConfigError(f"{source}: power.backends[{i}].kind {kind!r} is not one of {', '.join(KINDS)}")
    return tuple(dict(x) for x in raw)


def build_backends(specs: tuple[dict[str, Any], ...], agent: Mapping[str, Any]) -> list[PowerBackend]:
    """One backend per spec; `agent` holds defaults (the agent's own broker URL and exhibit id)."""
    builders = _builders()
    out: list[PowerBackend] = []
    for i, spec in enumerate(specs):
        try:
            out.append(builders[spec["kind"]](spec, agent))
        except BackendConfigError as exc:
            raise BackendConfigError(f"power.backends[{i}] ({spec['kind']}): {exc}") from None
    return out


def text(spec: Mapping[str, Any], key: str, default: str | None = None) -> str:
    """A required (or defaulted) text setting of one backend."""
    value = spec.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise BackendConfigError(f"{key} must be set to a text value")
    return value.strip()


def number(spec: Mapping[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise BackendConfigError(f"{key} must be a positive number, got {value!r}")
    return float(value)
