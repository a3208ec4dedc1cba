"""PJLink projectors (class 1 POWR) through aiopjlink2, on a private event loop per call."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiopjlink import PJLink, PJLinkException, Power

from exhibit_agent.power.backends import BackendConfigError, BackendError, number, text


class Projector:
    def __init__(self, host: str, port: int, password: str | None, timeout: float):
        self.name = f"pjlink:{host}:{port}"
        self.host, self.port, self.password, self.timeout = host, port, password, timeout

    def _run(self, action: str) -> Any:
        async def go() -> Any:
            link = PJLink(self.host, port=self.port, password=self.password, timeout=self.timeout)
            if action == "on":
                await link.power.turn_on()
            elif action == "off":
                await link.power.turn_off()
            else:
                return await link.power.get()
            return None

        try:
            return asyncio.run(go())
        except PJLinkException as exc:
            raise BackendError(f"{self.name}: {exc}") from None
        except OSError as exc:
            raise BackendError(f"{self.name}: {exc}") from None

    def switch(self, on: bool) -> None:
        self._run("on" if on else "off")

    def state(self) -> bool | None:
        state = self._run("get")
        # Warming up counts as on, cooling down as off (Power.State's own truth value).
        return bool(state) if isinstance(state, Power.State) else None

    def close(self) -> None:
        pass


def build(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> Projector:
    host = text(spec, "host")
    port = spec.get("port", 4352)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise BackendConfigError(f"port must be a TCP port, got {port!r}")
    password = spec.get("password")
    if password is not None and not isinstance(password, str):
        raise BackendConfigError("password must be text")
    return Projector(host, port, password, number(spec, "timeout", 4.0))
