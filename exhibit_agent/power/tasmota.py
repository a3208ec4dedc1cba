"""Tasmota smart plugs over MQTT: `cmnd/<topic>/POWER` ON|OFF, the plug answers on `stat/<topic>/POWER`.

The plug usually listens on the venue's broker, which may be the agent's own; the backend
keeps its own connection (through `MqttLink`, the agent's one paho module) so its
subscriptions and session never mix with the exhibit's.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Mapping
from typing import Any

from exhibit_agent.mqtt_link import LinkEvent, MqttLink
from exhibit_agent.power.backends import BackendConfigError, BackendError, number, text
from kepu_contracts.protocol import parse_broker_url


class TasmotaPlug:
    """One Tasmota relay; `switch` waits for the plug's stat message to confirm."""

    def __init__(self, link: MqttLink, events: queue.Queue[LinkEvent], topic: str, relay: str, timeout: float):
        self.name = f"tasmota:{topic}"
        self.link = link
        self.events = events
        self.command_topic = f"cmnd/{topic}/{relay}"
        self.stat_topic = f"stat/{topic}/{relay}"
        self.timeout = timeout
        self.known: bool | None = None
        self._started = False

    def _start(self) -> None:
        if not self._started:
            self.link.subscribe(self.stat_topic, qos=1)
            self.link.start()
            self._started = True
        if not self.link.wait_connected(self.timeout):
            raise BackendError(f"{self.name}: broker {self.link.broker.host}:{self.link.broker.port} not reachable")

    def _drain(self, wait: float) -> bool | None:
        """Read stat messages until one arrives (or `wait` passes); the last state heard."""
        deadline = time.monotonic() + wait
        heard: bool | None = None
        while True:
            left = deadline - time.monotonic()
            try:
                event = self.events.get(timeout=max(0.0, left)) if left > 0 else self.events.get_nowait()
            except queue.Empty:
                return heard
            if event.kind == "message" and event.topic == self.stat_topic:
                word = event.payload.decode("utf-8", "replace").strip().upper()
                if word in ("ON", "OFF"):
                    heard = self.known = word == "ON"
                    return heard

    def switch(self, on: bool) -> None:
        self._start()
        self._drain(0.0)
        self.link.publish(self.command_topic, b"ON" if on else b"OFF", qos=1)
        heard = self._drain(self.timeout)
        if heard is None:
            raise BackendError(f"{self.name}: no answer on {self.stat_topic} within {self.timeout:.0f}s")
        if heard != on:
            raise BackendError(
                f"{self.name}: the plug reports {'ON' if heard else 'OFF'} after {'ON' if on else 'OFF'}"
            )

    def state(self) -> bool | None:
        self._start()
        # An empty POWER command asks the plug to say where it stands.
        self.link.publish(self.command_topic, b"", qos=1)
        heard = self._drain(self.timeout)
        return heard if heard is not None else self.known

    def close(self) -> None:
        if self._started:
            self.link.stop()


def build(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> TasmotaPlug:
    topic = text(spec, "topic")
    if any(c in topic for c in "/#+"):
        raise BackendConfigError(f"topic {topic!r} must be the plug's Topic setting, without / # +")
    url = text(spec, "mqtt", agent.get("mqtt"))
    try:
        broker = parse_broker_url(url)
    except ValueError as exc:
        raise BackendConfigError(f"mqtt: {exc}") from None
    events: queue.Queue[LinkEvent] = queue.Queue()
    link = MqttLink(
        f"kepu-power-{agent.get('exhibit', 'exhibit')}-{topic}"[:64],
        broker,
        events,
        username=spec.get("username"),
        password=spec.get("password"),
    )
    relay = text(spec, "relay", "POWER")
    return TasmotaPlug(link, events, topic, relay, number(spec, "timeout", 5.0))
