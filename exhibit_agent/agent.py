"""The agent process: one loop that ties the outbox drain, the MQTT link and the reconciler together.

All decisions happen on the loop thread; paho, the serial reader and the installer run on
their own threads and talk to the loop through a queue, so no state is shared.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

from exhibit_agent import __version__
from exhibit_agent.config import AgentConfig
from exhibit_agent.drain import Drainer
from exhibit_agent.messages import parse_ack, state_offline, state_online
from exhibit_agent.mqtt_link import LinkEvent, MqttLink
from exhibit_agent.protocol import ProtocolError, decode, encode, exhibit_topic, parse_broker_url, parse_topic, venue_topic
from kiosk.outbox import Outbox

log = logging.getLogger(__name__)

TICK = 0.05


def installed_pack(data: Path) -> dict[str, str] | None:
    """{id, version} of the pack `DATA/packs/current` points at, or None."""
    try:
        doc = json.loads((data / "packs" / "current" / "manifest.json").read_bytes())
        return {"id": str(doc["id"]), "version": str(doc["version"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Agent:
    """One exhibit's agent; build it from an AgentConfig, call run(stop_event)."""

    def __init__(self, config: AgentConfig, *, wall: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.monotonic):
        self.config = config
        self.wall = wall
        self.mono = mono
        config.data.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(config.outbox_path)
        self.inbox: "queue.Queue[LinkEvent]" = queue.Queue()
        self.venue: str | None = None
        self.started_wall = wall()
        self.started_mono = mono()
        ex = config.exhibit
        self.topics = {name: exhibit_topic(ex, name) for name in ("events", "ack", "state", "health", "desired", "reported", "commands", "command_results")}
        self.link = MqttLink(
            f"kepu-agent-{ex}",
            parse_broker_url(config.mqtt),
            self.inbox,
            username=config.username,
            password=config.password,
            will=(self.topics["state"], encode(state_offline(ex, "lost"))),
            keepalive=config.keepalive,
        )
        common = dict(max_events=config.batch_max_events, max_bytes=config.batch_max_bytes,
                      window=config.inflight_batches, ack_timeout=config.ack_timeout, clock=mono)
        self.events = Drainer(self.outbox, "events", ex, lambda: self.topics["events"], self.link, **common)
        self.footfall = Drainer(self.outbox, "footfall", ex, self._footfall_topic, self.link,
                                venue=lambda: self.venue, **common)
        self._last_pump = 0.0
        for channel in ("ack", "desired", "commands"):
            self.link.subscribe(self.topics[channel])

    # -- lifecycle ---------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set, then say goodbye cleanly."""
        self.link.start()
        try:
            while not stop.is_set():
                self.step()
                stop.wait(TICK)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.link.stop(last=(self.topics["state"], encode(state_offline(self.config.exhibit, "shutdown"))))
        self.outbox.close()

    def step(self) -> None:
        """One turn of the loop: handle what arrived, then send what is due."""
        while True:
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                break
            self.handle(event)
        now = self.mono()
        if self.link.connected and now - self._last_pump >= self.config.flush_interval:
            self._last_pump = now
            self.events.pump()
            self.footfall.pump()

    def handle(self, event: LinkEvent) -> None:
        if event.kind == "connected":
            self._on_connected()
        elif event.kind == "disconnected":
            log.info("broker connection lost; events stay in the outbox")
        elif event.kind == "message":
            try:
                self._on_message(event.topic, decode(event.payload))
            except ProtocolError as exc:
                # Bad input changes nothing; it is logged, never fatal.
                log.warning("ignored message on %s: %s", event.topic, exc)

    def _on_connected(self) -> None:
        log.info("connected to %s", self.config.mqtt)
        # Whatever was in flight may be lost with the old connection: resend from the oldest unacked row.
        self.events.reset()
        self.footfall.reset()
        self.publish_state()

    def publish_state(self) -> None:
        payload = state_online(self.config.exhibit, __version__, self.wall(), installed_pack(self.config.data))
        self.link.publish(self.topics["state"], encode(payload), qos=1, retain=True)

    def _on_message(self, topic: str, payload: dict[str, Any]) -> None:
        parts = parse_topic(topic)
        if topic == self.topics["ack"]:
            self.events.on_ack(parse_ack(payload), trust_unknown=True)
        elif parts.kind == "venues" and parts.channel == "footfall_ack":
            self.footfall.on_ack(parse_ack(payload), trust_unknown=False)
        else:
            self.on_other_message(parts.channel, payload)

    def on_other_message(self, channel: str, payload: dict[str, Any]) -> None:
        """Desired state and commands (extended by the reconcile part)."""
        log.debug("unhandled %s message", channel)

    def set_venue(self, venue: str | None) -> None:
        """Follow the exhibit to a new venue: footfall goes to, and acks come from, its topics."""
        if venue == self.venue:
            return
        if self.venue:
            self.link.unsubscribe(venue_topic(self.venue, "footfall_ack"))
        self.venue = venue
        self.footfall.reset()
        if venue:
            self.link.subscribe(venue_topic(venue, "footfall_ack"))

    def _footfall_topic(self) -> str | None:
        return venue_topic(self.venue, "footfall") if self.venue else None
