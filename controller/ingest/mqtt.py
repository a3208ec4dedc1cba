"""The MQTT edge: the only module that imports paho. Subscribes, hands messages to the ingester, publishes."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from controller.ingest.ingester import Outcome, Outgoing
from controller.ingest.storage import StorageHealth, StorageUnavailable
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
# At most this many delivered-but-unacked messages: while the store cannot be written, the rest
# wait at the broker (persisted there), not in our memory. Also the most one group commit can hold.
RECEIVE_MAXIMUM = 512
# One transaction (one fsync) takes whatever is queued, up to these: many small status messages per
# commit at fleet scale, while a few big batches still commit (and are acked) promptly.
GROUP_MAX_MESSAGES = 512
GROUP_MAX_BYTES = 8 * 1024 * 1024
RETRY_FIRST, RETRY_MAX = 0.5, 30.0  # seconds between attempts on a storage error (doubling)


_STOPPED = object()


@dataclass(frozen=True)
class Delivery:
    topic: str
    payload: bytes
    retained: bool
    mid: int
    qos: int


class MqttBridge:
    """Keeps one paho client connected; subscriptions are (re)made in on_connect so they survive reconnects."""

    def __init__(
        self,
        url: str,
        handler: Callable[[list[tuple[str, bytes, bool]]], list[Outcome]],
        client_id: str = "kepu-controller",
        storage: StorageHealth | None = None,
    ) -> None:
        self.url = parse_broker_url(url)
        # With `use_username_as_clientid` (our broker config) the broker names the session after
        # the username anyway; asking for the same id keeps the persistent session one and the same.
        client_id = self.url.username or client_id
        self.handler = handler
        self.storage = storage or StorageHealth()
        # paho's network thread only queues; one worker handles messages in order, a group per
        # transaction, so a slow or failing store never blocks (or kills) the connection, and PUBACK
        # waits for the commit. `handler` takes (topic, payload, retained) triples, returns their outcomes.
        self._deliveries: queue.Queue[Delivery | None] = queue.Queue()
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._work, name="kepu-ingest", daemon=True)
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # set once the broker confirmed our subscriptions
        # MQTT 5 for "retain as published": a retained batch is told apart from a live one, even when
        # it arrives while we are subscribed, so it can be ignored instead of replayed at every restart.
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
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
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(self.url.host, self.url.port, keepalive=30, clean_start=False, properties=properties)
        self._worker.start()
        self.client.loop_start()
        if not self.subscribed.wait(timeout):
            log.warning("MQTT broker %s:%s not reachable yet; retrying in the background", self.url.host, self.url.port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._deliveries.put(None)
        if self._worker.is_alive():
            self._worker.join(timeout=10)
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
        delivery = Delivery(message.topic, bytes(message.payload), bool(message.retain), message.mid, message.qos)
        self._deliveries.put(delivery)
        self.storage.set_pending(self._deliveries.qsize())

    def _work(self) -> None:
        while not self._stopping.is_set():
            group = self._next_group()
            if group is None:
                return
            outcomes = self._handle(group)
            if outcomes is _STOPPED:
                return  # not acked: the broker redelivers them to our next session
            # The handler returns only after its transaction committed: acks are never early.
            if isinstance(outcomes, list):
                for outcome in outcomes:
                    for out in outcome.outgoing:
                        self.publish(out)
            for delivery in group:
                self.client.ack(delivery.mid, delivery.qos)
            self.storage.set_pending(self._deliveries.qsize())

    def _next_group(self) -> list[Delivery] | None:
        """Wait for a message, then take whatever else is queued (bounded); None once stopping."""
        first = self._deliveries.get()
        if first is None:
            return None
        group, size = [first], len(first.payload)
        while len(group) < GROUP_MAX_MESSAGES and size < GROUP_MAX_BYTES:
            try:
                delivery = self._deliveries.get_nowait()
            except queue.Empty:
                break
            if delivery is None:
                self._deliveries.put(None)  # handle what we hold, then stop
                break
            group.append(delivery)
            size += len(delivery.payload)
        return group

    def _handle(self, group: list[Delivery]) -> list[Outcome] | object | None:
        """Handle a group in one transaction, retrying with backoff while the store cannot be written."""
        delay = RETRY_FIRST
        messages = [(d.topic, d.payload, d.retained) for d in group]
        while True:
            try:
                outcomes = self.handler(messages)
            except StorageUnavailable as exc:
                if not self.storage.report().ok and self.storage.report().failures % 10:
                    log.debug("store still unavailable: %s", exc)
                else:
                    log.error("cannot store ingest (%s); holding messages and retrying", exc)
                self.storage.failed(exc, time.time())
                self.storage.set_pending(self._deliveries.qsize() + len(group))
                if self._stopping.wait(delay):
                    return _STOPPED
                delay = min(delay * 2, RETRY_MAX)
                continue
            except Exception:  # nothing a device sends may stop the worker
                if len(group) > 1:  # one at a time, so one message's trouble costs only that message
                    log.exception("ingest failed for a group of %d messages; handling them one by one", len(group))
                    return self._one_by_one(group)
                log.exception("ingest failed for %s", group[0].topic)
                return None
            if not self.storage.report().ok:
                log.warning("store writable again; ingest resumed")
            self.storage.succeeded(time.time())
            return outcomes

    def _one_by_one(self, group: list[Delivery]) -> list[Outcome] | object:
        outcomes: list[Outcome] = []
        for delivery in group:
            outcome = self._handle([delivery])
            if outcome is _STOPPED:
                return _STOPPED
            if isinstance(outcome, list):
                outcomes.extend(outcome)
        return outcomes
