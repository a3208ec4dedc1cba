"""Shelly relays over HTTP: Gen2+ RPC (`/rpc/Switch.Set?id=0&on=true`) and Gen1 (`/relay/0?turn=on`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from exhibit_agent.power.backends import BackendConfigError, BackendError, number, text


class ShellyRelay:
    def __init__(self, url: str, gen: int, relay: int, timeout: float, auth: httpx.Auth | None):
        self.name = f"shelly:{url}"
        self.gen = gen
        self.relay = relay
        self.client = httpx.Client(base_url=url, timeout=timeout, auth=auth)

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise BackendError(f"{self.name}: {exc}") from None
        if response.status_code != 200:
            raise BackendError(f"{self.name}{path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise BackendError(f"{self.name}{path}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise BackendError(f"{self.name}{path}: unexpected answer {body!r}")
        return body

    def switch(self, on: bool) -> None:
        if self.gen >= 2:
            self._get("/rpc/Switch.Set", {"id": self.relay, "on": "true" if on else "false"})
        else:
            body = self._get(f"/relay/{self.relay}", {"turn": "on" if on else "off"})
            if body.get("ison") is not on:
                raise BackendError(f"{self.name}: relay reports ison={body.get('ison')!r}")

    def state(self) -> bool | None:
        if self.gen >= 2:
            output = self._get("/rpc/Switch.GetStatus", {"id": self.relay}).get("output")
        else:
            output = self._get(f"/relay/{self.relay}", {}).get("ison")
        return output if isinstance(output, bool) else None

    def close(self) -> None:
        self.client.close()


def build(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> ShellyRelay:
    url = text(spec, "url")
    if not url.startswith(("http://", "https://")):
        raise BackendConfigError(f"url must be http://… (the plug's address), got {url!r}")
    gen = spec.get("gen", 2)
    if gen not in (1, 2, 3, 4):
        raise BackendConfigError(f"gen must be 1 (Shelly 1/Plug S) or 2+ (Plus/Pro), got {gen!r}")
    relay = spec.get("id", 0)
    if isinstance(relay, bool) or not isinstance(relay, int) or relay < 0:
        raise BackendConfigError(f"id must be the relay number (0, 1, …), got {relay!r}")
    auth: httpx.Auth | None = None
    if spec.get("password"):
        user = str(spec.get("username") or "admin")
        # Gen2+ protects RPC with digest auth, Gen1 with basic auth.
        auth = (
            httpx.DigestAuth(user, str(spec["password"])) if gen >= 2 else httpx.BasicAuth(user, str(spec["password"]))
        )
    return ShellyRelay(url.rstrip("/"), gen, relay, number(spec, "timeout", 5.0), auth)
