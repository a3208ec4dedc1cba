"""The controller process's core: store, clock, ingest, desired state and the MQTT link, built from Settings."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

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
ALERT_GATHER_SECONDS = 0.5  # the alert worker waits this long after a change, then judges all queued at once
ALERT_CHUNK = 500  # exhibits per alert transaction: the write lock is never held long for alerts


def _health_inputs(raw: bytes) -> tuple[Any, ...] | None:
    try:
        health = json.loads(raw)
    except ValueError:
        return None
    return alerts.health_inputs(health) if isinstance(health, dict) else None


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
        self._health_inputs: dict[str, tuple[Any, ...]] = {}  # what the rules last read from each exhibit's health
        self._pending_lock = threading.Lock()
        self._alert_pending: dict[str, float] = {}  # exhibit -> clock time of the change to judge
        # Held while judging: queued exhibits are always judged before a later evaluation runs.
        self._alerts_lock = threading.RLock()
        self._alerts_due = threading.Event()
        self._stopping = threading.Event()
        self._alert_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self, scheduler: bool = True) -> Controller:
        if self.settings.mqtt_url:
            from controller.ingest.mqtt import MqttBridge

            self._alert_thread = threading.Thread(target=self._alert_worker, name="kepu-alerts", daemon=True)
            self._alert_thread.start()
            self.bridge = MqttBridge(
                self.settings.mqtt_url, self.handle_messages, self.settings.mqtt_client_id, storage=self.storage
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
        self._stopping.set()
        self._alerts_due.set()
        if self._alert_thread:
            self._alert_thread.join(timeout=10)
            self._alert_thread = None
        self.store.close()

    # -- messages ----------------------------------------------------------------

    def handle_messages(self, messages: list[tuple[str, bytes, bool]]) -> list[Outcome]:
        """Ingest messages in one transaction (the bridge acks after it returns); their exhibits are queued for alerts.

        Alert rules run off the ingest path: the alert worker judges the queued exhibits shortly after,
        in its own transaction, so ingest never waits for them.
        """
        # Queued inside the ingest transaction: whoever judges them needs the write lock, so judges
        # only after this commit, and no later evaluation can overtake them (flush_alerts runs first).
        outcomes = self.ingester.handle_many(messages, before_commit=self._queue_for_alerts)
        if self._alert_pending:
            self._alerts_due.set()
        stale = sorted({exhibit for outcome in outcomes for exhibit in outcome.desired_stale})
        if stale:  # rare (install results): at once, rather than waiting for a boundary
            with self._lock:
                for message in self.desired.refresh(stale):
                    self.publish(message)
        return outcomes

    def handle_message(self, topic: str, raw: bytes, retained: bool = False) -> Outcome:
        """Ingest one message and judge its exhibit's alerts at once (tests and tools; MQTT uses handle_messages)."""
        outcome = self.handle_messages([(topic, raw, retained)])[0]
        self.flush_alerts()
        return outcome

    def _queue_for_alerts(self, messages: list[tuple[str, bytes, bool]]) -> None:
        """Note the exhibits whose status changed; health counts at most every HEALTH_ALERT_SECONDS per exhibit."""
        now = self.clock.now()
        with self._pending_lock:
            for topic, raw, _ in messages:
                parts = topic.split("/")
                if len(parts) != 5 or parts[2] != "exhibits" or parts[4] not in ("state", "health", "reported"):
                    continue
                exhibit = parts[3]
                if parts[4] == "health":
                    if now - self._health_checked.get(exhibit, -HEALTH_ALERT_SECONDS) < HEALTH_ALERT_SECONDS:
                        continue
                    inputs = _health_inputs(raw)
                    if inputs is not None and self._health_inputs.get(exhibit) == inputs:
                        continue  # nothing a rule reads changed: the scheduler's tick judges the holds
                    self._health_checked[exhibit] = now
                    if inputs is not None:
                        self._health_inputs[exhibit] = inputs
                self._alert_pending[exhibit] = now

    def flush_alerts(self) -> list[alerts.Change]:
        """Judge the queued exhibits now (the alert worker calls this; so do handle_message and the scheduler).

        Each is judged at the clock's time when its message was ingested, as if inline (ingest with
        the real clock is at most ALERT_GATHER_SECONDS earlier), and before any later evaluation.
        """
        with self._alerts_lock:
            with self._pending_lock:
                pending, self._alert_pending = self._alert_pending, {}
            ordered = sorted(pending.items(), key=lambda item: item[1])
            changes: list[alerts.Change] = []
            for i in range(0, len(ordered), ALERT_CHUNK):
                chunk = ordered[i : i + ALERT_CHUNK]
                changes += self.check_alerts([exhibit for exhibit, _ in chunk], at=chunk[-1][1])
            return changes

    def _alert_worker(self) -> None:
        while not self._stopping.is_set():
            self._alerts_due.wait()
            if self._stopping.wait(ALERT_GATHER_SECONDS):  # gather a burst (an emergency's confirmations)
                return
            self._alerts_due.clear()
            try:
                self.flush_alerts()
            except Exception:  # check_alerts logs its own failures; nothing may end this thread
                log.exception("alert worker failed")

    def check_alerts(self, exhibits: list[str] | None = None, at: float | None = None) -> list[alerts.Change]:
        """Run the alert rules (all exhibits, or some) at `at` (default now) and queue the notices; never raises."""
        tz = self.settings.timezone
        try:
            with self._alerts_lock:
                if exhibits is None:
                    self.flush_alerts()  # what ingest queued is judged first, at its own time
                    ids = [r[0] for r in self.store.db.execute("SELECT id FROM exhibits ORDER BY id")]
                else:
                    ids = exhibits
                now = self.clock.now() if at is None else at
                changes = []
                # In chunks, each its own transaction: ingest gets the write lock in between.
                for i in range(0, len(ids), ALERT_CHUNK):
                    with self.store.write() as db:
                        found = alerts.evaluate(db, now, tz, ids[i : i + ALERT_CHUNK])
                        notify.enqueue(db, found, now, tz)
                    changes += found
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
