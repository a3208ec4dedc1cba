"""The agent's one connection to the broker; the only module that imports paho.

Callbacks run on paho's network thread, so they do nothing but put `LinkEvent`s on a queue
the agent's loop reads. Subscriptions are (re)made inside on_connect so they survive
reconnects and broker restarts.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from kepu_contracts.protocol import BrokerUrl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkEvent:
    """`kind` is "connected", "disconnected" or "message" (with topic and payload)."""

    kind: str
    topic: str = ""
    payload: bytes = b""
    retained: bool = False


class MqttLink:
    """A persistent-session paho client with a retained LWT, auto-reconnect and a subscription set."""

    def __init__(
        self,
        client_id: str,
        broker: BrokerUrl,
        events: queue.Queue[Any],  # the agent's inbox: link events beside its other messages
        *,
        username: str | None = None,
        password: str | None = None,
        will: tuple[str, bytes] | None = None,
        keepalive: int = 30,
    ):
        self.broker = broker
        self.events = events
        self.keepalive = keepalive
        self._topics: dict[str, int] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        # clean_session=False: the broker keeps our subscriptions and queues acks and desired
        # state while we are away, so an ack sent during a blip is not lost.
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        # paho types the delays as int but sleeps on floats: 0.2 s gets a blip reconnected at once.
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=5)  # type: ignore[arg-type]
        self.client.max_queued_messages_set(0)
        if username or broker.username:
            self.client.username_pw_set(username or broker.username, password or broker.password)
        if broker.tls:
            self.client.tls_set()
        if will:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until stop()."""
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.keepalive)
        self.client.loop_start()

    def subscribe(self, topic: str, qos: int = 1) -> None:
        """Add a subscription now (if connected) and on every future connect."""
        with self._lock:
            if self._topics.get(topic) == qos:
                return
            self._topics[topic] = qos
        if self.connected:
            self.client.subscribe(topic, qos)

    def unsubscribe(self, topic: str) -> None:
        with self._lock:
            if self._topics.pop(topic, None) is None:
                return
        if self.connected:
            self.client.unsubscribe(topic)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Queue a message; paho sends it now or after the next reconnect."""
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    def stop(self, last: tuple[str, bytes] | None = None, timeout: float = 3.0) -> None:
        """Publish a last retained message (the clean offline state), then disconnect."""
        if last and self.connected:
            info = self.client.publish(last[0], last[1], qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                log.warning("could not publish the offline state: %s", exc)
        # A clean DISCONNECT tells the broker not to send the LWT; we already said goodbye.
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    # -- paho callbacks (network thread) -------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        with self._lock:
            topics = list(self._topics.items())
        if topics:
            client.subscribe(topics)
        self._connected.set()
        self.events.put(LinkEvent("connected"))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was:
            self.events.put(LinkEvent("disconnected"))

    def _on_message(self, client, userdata, message) -> None:
        self.events.put(LinkEvent("message", message.topic, bytes(message.payload), bool(message.retain)))
