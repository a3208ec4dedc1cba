"""The MQTT edge: the only module that imports paho. Subscribes, hands messages to the ingester, publishes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from controller.ingest.ingester import Outcome, Outgoing
from kepu_contracts.protocol import exhibit_subscription, parse_broker_url

log = logging.getLogger(__name__)

SUBSCRIPTIONS = [
    exhibit_subscription("events"),
    exhibit_subscription("state"),
    exhibit_subscription("health"),
    exhibit_subscription("reported"),
    exhibit_subscription("command_results"),
    exhibit_subscription("footfall"),
]
# Kept across restarts (an exhibit's batches queue at the broker while we are down): the
# MQTT 5 form of MQTT 3's clean_session=False.
SESSION_EXPIRY = 0xFFFFFFFF


class MqttBridge:
    """Keeps one paho client connected; subscriptions are (re)made in on_connect so they survive reconnects."""

    def __init__(
        self, url: str, handler: Callable[[str, bytes, bool], Outcome], client_id: str = "kepu-controller"
    ) -> None:
        self.url = parse_broker_url(url)
        self.handler = handler
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # set once the broker confirmed our subscriptions
        # MQTT 5 for "retain as published": a retained batch is told apart from a live one, even when
        # it arrives while we are subscribed, so it can be ignored instead of replayed at every restart.
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if self.url.username:
            self.client.username_pw_set(self.url.username, self.url.password)
        if self.url.tls:
            self.client.tls_set()
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def start(self, timeout: float = 10.0) -> MqttBridge:
        """Connect in the background; wait up to `timeout` for the first connection."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY
        self.client.connect_async(self.url.host, self.url.port, keepalive=30, clean_start=False, properties=properties)
        self.client.loop_start()
        if not self.subscribed.wait(timeout):
            log.warning("MQTT broker %s:%s not reachable yet; retrying in the background", self.url.host, self.url.port)
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, message: Outgoing) -> None:
        """Queue a message (paho retries QoS 1 across reconnects of this persistent session)."""
        self.client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        options = SubscribeOptions(qos=1, retainAsPublished=True)
        client.subscribe([(topic, options) for topic in SUBSCRIPTIONS])
        self.connected.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if reason_code != 0:
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        outcome = self.handler(message.topic, message.payload, bool(message.retain))
        # The handler returns only after its transaction committed: acks are never early.
        for out in outcome.outgoing:
            self.publish(out)
