"""Wake-on-LAN for exhibit PCs (the `wakeonlan` package); off is the technician's shutdown command, if any."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import wakeonlan

from exhibit_agent.power.backends import BackendConfigError, BackendError, number, text
from exhibit_agent.power.display_commands import run

_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")


class WakeOnLan:
    def __init__(self, mac: str, host: str, port: int, off: str | None, timeout: float):
        self.name = f"wol:{mac}"
        self.mac, self.host, self.port, self.off, self.timeout = mac, host, port, off, timeout

    def switch(self, on: bool) -> None:
        if on:
            try:
                wakeonlan.wake(self.mac, host=self.host, port=self.port)
            except OSError as exc:
                raise BackendError(f"{self.name}: could not send the magic packet: {exc}") from None
        elif self.off:
            run(["sh", "-c", self.off], timeout=self.timeout)
        # Without an off command there is nothing to do: a magic packet can only wake.

    def state(self) -> bool | None:
        return None  # a sleeping PC cannot answer

    def close(self) -> None:
        pass


def build(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> WakeOnLan:
    mac = text(spec, "mac")
    if not _MAC.match(mac):
        raise BackendConfigError(f"mac {mac!r} is not a MAC address like 00:11:22:33:44:55")
    port = spec.get("port", 9)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise BackendConfigError(f"port must be a UDP port, got {port!r}")
    off = spec.get("off")
    if off is not None and (not isinstance(off, str) or not off.strip()):
        raise BackendConfigError("off must be a shell command (e.g. ssh … poweroff) or left out")
    return WakeOnLan(mac, text(spec, "broadcast", "255.255.255.255"), port, off, number(spec, "timeout", 10.0))
