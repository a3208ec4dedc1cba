"""The controller process's core: store, clock, ingest, desired state and the MQTT link, built from Settings."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from controller.domain import alerts, notify
from controller.domain.rollups import backfill_online_spans
from controller.domain.storage_alert import StorageWatch
from controller.ingest.ingester import Ingester, Outcome, Outgoing
from controller.ingest.storage import StorageHealth
from controller.settings import Settings
from controller.store.db import Store
from kepu_contracts.clock import Clock, SystemClock

if TYPE_CHECKING:  # paho is imported only when the controller connects
    from controller.ingest.mqtt import MqttBridge

log = logging.getLogger(__name__)

HEALTH_ALERT_SECONDS = 30.0  # health arrives every few seconds: judge it at most this often per exhibit


class Controller:
    """One per process (or per test). `start()` connects MQTT and the scheduler; the API works without them."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.store = Store(settings.db_path)
        self.storage = StorageHealth()  # can the store be written? (ingest reports, API and dashboard show)
        with self.store.write() as db:
            backfill_online_spans(db, settings.timezone)
        self.ingester = Ingester(self.store, self.clock, settings.timezone, on_new_exhibit=self._exhibit_appeared)
        self.bridge: MqttBridge | None = None
        self.sent: list[Outgoing] = []  # what was published (kept only without a bridge, for tests)
        self._lock = threading.RLock()
        from controller.domain.desired import DesiredStates
        from controller.domain.scheduler import Scheduler

        self.desired = DesiredStates(self)
        self.scheduler = Scheduler(self)
        self.storage_watch = StorageWatch(self.store, self.clock, settings.timezone, self.storage.report)
        self.notifier = notify.Notifier(self.store, self.clock, watches=[self.storage_watch.check])
        self._health_checked: dict[str, float] = {}

    # -- lifecycle ---------------------------------------------------------------

    def start(self, scheduler: bool = True) -> Controller:
        if self.settings.mqtt_url:
            from controller.ingest.mqtt import MqttBridge

            self.bridge = MqttBridge(
                self.settings.mqtt_url, self.handle_message, self.settings.mqtt_client_id, storage=self.storage
            ).start()
        self.changed()
        self.notifier.start()
        if scheduler:
            self.scheduler.start()
        return self

    def stop(self) -> None:
        self.scheduler.stop()
        self.notifier.stop()
        if self.bridge:
            self.bridge.stop()
            self.bridge = None
        self.store.close()

    # -- messages ----------------------------------------------------------------

    def handle_message(self, topic: str, raw: bytes, retained: bool = False) -> Outcome:
        """Ingest one MQTT message (the bridge publishes the returned acks); status changes are judged for alerts."""
        outcome = self.ingester.handle(topic, raw, retained)
        parts = topic.split("/")
        if len(parts) == 5 and parts[2] == "exhibits" and parts[4] in ("state", "health", "reported"):
            exhibit, channel = parts[3], parts[4]
            if channel == "health":
                now = self.clock.now()
                if now - self._health_checked.get(exhibit, -HEALTH_ALERT_SECONDS) < HEALTH_ALERT_SECONDS:
                    return outcome
                self._health_checked[exhibit] = now
            self.check_alerts([exhibit])
        return outcome

    def check_alerts(self, exhibits: list[str] | None = None) -> list[alerts.Change]:
        """Run the alert rules (all exhibits, or some) and queue the notices; never raises into ingest."""
        tz = self.settings.timezone
        try:
            with self.store.write() as db:
                now = self.clock.now()
                changes = alerts.evaluate(db, now, tz, exhibits)
                notify.enqueue(db, changes, now, tz)
        except Exception:
            log.exception("alert evaluation failed")
            return []
        if changes:
            self.notifier.wake()
        return changes

    def publish(self, message: Outgoing) -> None:
        if self.bridge:
            self.bridge.publish(message)
        else:
            self.sent.append(message)

    def changed(self) -> None:
        """Something that shapes desired state changed: republish what differs, re-plan the next boundary."""
        with self._lock:
            for message in self.desired.refresh():
                self.publish(message)
        self.check_alerts()
        self.scheduler.wake()

    def _exhibit_appeared(self, exhibit: str) -> None:
        # A newly seen exhibit gets its (possibly empty) desired state at once.
        with self._lock:
            for message in self.desired.refresh([exhibit]):
                self.publish(message)
