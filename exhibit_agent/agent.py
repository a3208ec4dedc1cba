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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content_packs.signing import KeyLike
from exhibit_agent import __version__
from exhibit_agent.config import AgentConfig
from exhibit_agent.control_file import ControlFile
from exhibit_agent.drain import Drainer
from exhibit_agent.fetch import Fetcher
from exhibit_agent.health import snapshot
from exhibit_agent.installer import Installer, InstallOutcome
from exhibit_agent.mqtt_link import LinkEvent, MqttLink
from exhibit_agent.power.backends import build_backends
from exhibit_agent.power.keeper import PowerKeeper
from exhibit_agent.power.schedule import schedule_from
from exhibit_agent.screenshot import CommandResult, screenshot

if TYPE_CHECKING:  # pyserial is imported only where a serial device is configured
    from exhibit_agent.serial_counter import SerialReader
from exhibit_agent.sneakernet.lock import install_lock
from exhibit_agent.sneakernet.watch import UsbVisit, UsbWatcher
from kepu_contracts.audio import audio_report, parse_audio_report
from kepu_contracts.clock import SystemClock
from kepu_contracts.datadir import DataDir, read_json, write_json_atomic
from kepu_contracts.events import Event, EventType
from kepu_contracts.heartbeat import KioskStatus, read_kiosk_status
from kepu_contracts.messages import (
    Desired,
    PackRef,
    command_result,
    install_result,
    parse_ack,
    parse_command,
    parse_desired,
    reported,
    state_offline,
    state_online,
)
from kepu_contracts.outbox import Outbox
from kepu_contracts.protocol import (
    ProtocolError,
    decode,
    encode,
    exhibit_topic,
    parse_broker_url,
    parse_topic,
)

log = logging.getLogger(__name__)

TICK = 0.05


OVER_CAP_CHECK = 5.0  # seconds between outbox size checks
KIOSK_CHECK = 1.0  # seconds between looks at the kiosk's heartbeat for changes worth reporting
KIOSK_STALE = 10.0  # a heartbeat older than this means the kiosk is not showing anything


def trusted_key_items(keys: tuple[str, ...]) -> list[KeyLike]:
    """Config keys are file paths or one-line base64 keys; the signing module takes paths or bytes."""
    return [Path(k) if Path(k).exists() else k.encode("ascii") for k in keys]


class Agent:
    """One exhibit's agent; build it from an AgentConfig, call run(stop_event)."""

    def __init__(
        self, config: AgentConfig, *, wall: Callable[[], float] = time.time, mono: Callable[[], float] = time.monotonic
    ):
        self.config = config
        self.wall = wall
        self.mono = mono
        config.data.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(config.outbox_path)
        # Everything the loop reacts to: link events, command results and install outcomes.
        self.inbox: queue.Queue[LinkEvent | CommandResult | InstallOutcome] = queue.Queue()
        self.venue: str | None = None
        self.started_wall = wall()
        self.started_mono = mono()
        ex = config.exhibit
        self.topics = {
            name: exhibit_topic(ex, name)
            for name in (
                "events",
                "ack",
                "footfall",
                "footfall_ack",
                "state",
                "health",
                "desired",
                "reported",
                "commands",
                "command_results",
            )
        }
        self.link = MqttLink(
            f"kepu-agent-{ex}",
            parse_broker_url(config.mqtt),
            self.inbox,
            username=config.username,
            password=config.password,
            will=(self.topics["state"], encode(state_offline(ex, "lost"))),
            keepalive=config.keepalive,
        )
        # Door counts go on the exhibit's own topic (only this device may write it); the controller
        # books them at the venue where its rotations say the exhibit stood.

        def drainer(stream: str, topic: Callable[[], str | None], venue: Callable[[], str | None] | None) -> Drainer:
            return Drainer(
                self.outbox,
                stream,
                ex,
                topic,
                self.link,
                venue=venue,
                max_events=config.batch_max_events,
                max_bytes=config.batch_max_bytes,
                window=config.inflight_batches,
                ack_timeout=config.ack_timeout,
                clock=mono,
            )

        self.events = drainer("events", lambda: self.topics["events"], None)
        self.footfall = drainer("footfall", self._footfall_topic, lambda: self.venue)
        self._last_pump = 0.0
        self.connected_since = self.started_wall
        self.clock = SystemClock()
        self.control = ControlFile(DataDir(config.data).control)
        self.fetcher = (
            Fetcher(config.controller, timeout=config.http_timeout, token=config.controller_token)
            if config.controller
            else None
        )
        self.screenshot_timeout = 10.0  # s for the kiosk to answer a screenshot request
        self.installer = Installer(
            config.data, trusted_key_items(config.trusted_keys), self.fetcher, kiosk_timeout=config.kiosk_load_timeout
        )
        self.desired: Desired | None = None
        self.last_install: dict[str, Any] | None = read_json(config.data / "last_install.json")
        self.over_cap = False
        self._next_cap_check = 0.0
        self._next_kiosk_check = 0.0
        self._kiosk_seen: tuple[Any, ...] | None = None
        self._next_health = mono() + min(5.0, config.health_interval)
        self._stop = threading.Event()
        self._install_wake = threading.Event()
        self._install_cancel = threading.Event()
        self._installing: PackRef | None = None
        self.serial: SerialReader | None = None
        self.power = PowerKeeper(build_backends(config.power_backends, {"exhibit": ex, "mqtt": config.mqtt}))
        self.usb = UsbWatcher(
            config.usb_roots,
            config.data,
            ex,
            config.controller_token,
            trusted_key_items(config.trusted_keys),
            self.inbox.put,  # type: ignore[arg-type]
            kiosk_timeout=config.kiosk_load_timeout,
        )
        self._wake_seen = _mtime(DataDir(config.data).wake_request)
        self._next_wake_check = 0.0
        for channel in ("ack", "footfall_ack", "desired", "commands"):
            self.link.subscribe(self.topics[channel])
        # The last desired state is cached so that, after a restart without the broker, footfall
        # still names its venue; the retained message replaces it as soon as we connect.
        cached = read_json(DataDir(config.data).desired)
        if isinstance(cached, dict):
            try:
                self._adopt(parse_desired(cached), persist=False)
            except ProtocolError:
                pass

    # -- lifecycle ---------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set, then say goodbye cleanly."""
        self.start()
        try:
            while not stop.is_set():
                self.step()
                stop.wait(TICK)
        finally:
            self.shutdown()

    def start(self) -> None:
        """Start the threads: MQTT, the installer, the serial reader."""
        self._follow_power()
        self.control.refresh(self.wall())
        self.power.start()
        self.link.start()
        threading.Thread(target=self._install_loop, name="installer", daemon=True).start()
        if self.config.serial_device:
            from exhibit_agent.serial_counter import DoorCounter, SerialReader

            counter = DoorCounter(self.outbox, self.config.data, self.config.exhibit, self.clock, lambda: self.venue)
            self.counter = counter
            self.serial = SerialReader(self.config.serial_device, self.config.serial_baud, counter.handle).start()

    def shutdown(self) -> None:
        self._stop.set()
        self._install_cancel.set()
        self._install_wake.set()
        if self.serial:
            self.serial.stop()
        self.power.stop()
        self.link.stop(last=(self.topics["state"], encode(state_offline(self.config.exhibit, "shutdown"))))
        if self.fetcher:
            self.fetcher.close()
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
        self._follow_power()
        self.usb.poll(now)
        if self.control.refresh(self.wall()):
            active = self.control.active(self.wall())
            log.info("control.json updated (emergency %s)", active.id if active else None)
            self.publish_reported()
        if now >= self._next_kiosk_check:
            self._next_kiosk_check = now + KIOSK_CHECK
            self._watch_kiosk()
        if now >= self._next_cap_check:
            self._next_cap_check = now + OVER_CAP_CHECK
            self._check_cap()
        if now >= self._next_health:
            self._next_health = now + self.config.health_interval
            if self.link.connected:
                self.publish_health()

    def handle(self, event: LinkEvent | InstallOutcome | CommandResult | UsbVisit) -> None:
        if isinstance(event, UsbVisit):
            # A stick installed packs or took events: say so to the controller as soon as we are online.
            self.last_install = read_json(self.config.data / "last_install.json") or self.last_install
            if self.link.connected:
                self.publish_state()
                self.publish_reported()
            self.events.reset()  # rows an ack file removed are no longer in flight
        elif isinstance(event, InstallOutcome):
            self._on_install(event)
        elif isinstance(event, CommandResult):
            self._answer(event.payload)
        elif event.kind == "connected":
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
        self.connected_since = self.wall()
        self.publish_state()
        self.publish_reported()

    def _follow_power(self) -> None:
        """The schedule (or an override, or a touch) decides; the kiosk hears it through control.json."""
        now = self.wall()
        wake = DataDir(self.config.data).wake_request
        seen = _mtime(wake) if now >= self._next_wake_check else self._wake_seen
        if seen != self._wake_seen:
            self._wake_seen = seen
            if self.power.touch_wake(now):
                log.info("a visitor touched the dark screen: display on for a while")
        if now >= self._next_wake_check:
            self._next_wake_check = now + 0.25
        self.power.tick(now)
        self.control.set_display(self.power.wanted(now), self.power.schedule.wake_on_touch)

    def publish_state(self) -> None:
        payload = state_online(self.config.exhibit, __version__, self.connected_since, self.installer.installed())
        self.link.publish(self.topics["state"], encode(payload), qos=1, retain=True)

    def _watch_kiosk(self) -> None:
        """Republish `reported` when what the kiosk shows changes (pack on screen, emergency)."""
        kiosk = read_kiosk_status(DataDir(self.config.data).heartbeat)
        seen = (
            _shown_emergency(kiosk),
            json.dumps(kiosk.raw.get("playing"), sort_keys=True) if kiosk else None,
            json.dumps(_applied_audio(kiosk), sort_keys=True),
        )
        if seen != self._kiosk_seen and self.link.connected:
            self._kiosk_seen = seen
            self.publish_reported()

    def publish_reported(self) -> None:
        kiosk = read_kiosk_status(DataDir(self.config.data).heartbeat)
        active = self.control.active(self.wall())
        playing = (kiosk.raw.get("playing") or kiosk.pack) if kiosk else None
        payload = reported(
            self.installer.installed(),
            playing,
            self.last_install,
            outbox_over_cap=self.over_cap,
            emergency=active.id if active else None,
            emergency_shown=_shown_emergency(kiosk),
            audio=_applied_audio(kiosk),
        )
        self.link.publish(self.topics["reported"], encode(payload), qos=1, retain=True)

    def publish_health(self) -> None:
        body = snapshot(
            self.config.data,
            uptime=self.mono() - self.started_mono,
            now=self.wall(),
            backlog={"events": self.outbox.count("events"), "footfall": self.outbox.count("footfall")},
            outbox_bytes=self.outbox.size_bytes(),
            outbox_over_cap=self.over_cap,
            display=self.power.status(self.wall()),
        )
        self.link.publish(
            self.topics["health"], encode({"exhibit": self.config.exhibit, "at": self.wall(), **body}), qos=0
        )

    def record(self, type_: str, **data: Any) -> None:
        """The agent's own events go through the outbox like the kiosk's, with every clock."""
        self.outbox.append([Event(type=type_, stamp=self.clock.stamp(), data=data)])

    def _check_cap(self) -> None:
        size = self.outbox.size_bytes()
        over = size > self.config.outbox_cap_bytes
        if over == self.over_cap:
            return
        self.over_cap = over
        if over:
            # Policy: nothing is dropped. The kiosk keeps writing; we say so, loudly, once per crossing.
            log.error(
                "outbox is %d bytes, over the %d-byte cap; still keeping every event",
                size,
                self.config.outbox_cap_bytes,
            )
            self.record(EventType.ERROR, code="outbox_over_cap", bytes=size, cap=self.config.outbox_cap_bytes)
        else:
            log.info("outbox back under its cap (%d bytes)", size)
        self.publish_reported()

    def _on_message(self, topic: str, payload: dict[str, Any]) -> None:
        parts = parse_topic(topic)
        if topic == self.topics["ack"]:
            self.events.on_ack(parse_ack(payload), trust_unknown=True)
        elif topic == self.topics["footfall_ack"]:
            self.footfall.on_ack(parse_ack(payload), trust_unknown=True)
        else:
            self.on_other_message(parts.channel, payload)

    def on_other_message(self, channel: str, payload: dict[str, Any]) -> None:
        """Desired state and commands."""
        if channel == "desired":
            self._adopt(parse_desired(payload), persist=True)
            self.control.refresh(self.wall())
        elif channel == "commands":
            self._command(payload)

    def _adopt(self, desired: Desired, persist: bool) -> None:
        self.desired = desired
        if persist:
            write_json_atomic(DataDir(self.config.data).desired, _desired_doc(desired))
        self.set_venue(desired.venue)
        self.control.set(desired.emergency, desired.config)
        self.control.set_audio(desired.audio)
        self.power.set_schedule(schedule_from(_desired_doc(desired)))
        if self._installing and desired.pack != self._installing:
            self._install_cancel.set()
        self._install_wake.set()

    def _command(self, payload: dict[str, Any]) -> None:
        parsed = parse_command(payload)
        command_id, kind = parsed.id, parsed.type
        if kind == "report":
            self.publish_state()
            self.publish_reported()
            self.publish_health()
            result = command_result(command_id, True)
        elif kind == "screenshot":
            # Waiting for the kiosk and uploading take seconds: a thread, answered through the inbox.
            def work() -> None:
                payload = screenshot(
                    self.config.data,
                    self.config.exhibit,
                    command_id,
                    self.fetcher,
                    self.screenshot_timeout,
                    stop=self._stop,
                )
                self.inbox.put(CommandResult(payload))

            threading.Thread(target=work, name=f"screenshot-{command_id[:16]}", daemon=True).start()
            return
        elif kind in ("display_on", "display_off"):
            on = kind == "display_on"

            def reply(ok: bool, error: str | None) -> None:
                self.inbox.put(CommandResult(command_result(command_id, ok, error, display="on" if on else "off")))

            # Holds until the next schedule boundary, then the schedule rules again.
            self.power.command(on, self.wall(), reply)
            self._follow_power()
            self.control.refresh(self.wall())
            return
        elif kind == "restart_kiosk":
            # One supervisor: systemd restarts the kiosk (WatchdogSec, Restart=always), the agent never does.
            result = command_result(
                command_id,
                False,
                "unsupported command 'restart_kiosk': the kiosk is restarted by systemd"
                " (kepu-kiosk.service WatchdogSec/Restart=always), not by the agent;"
                " use `systemctl restart kepu-kiosk` on the exhibit",
            )
        else:
            result = command_result(command_id, False, f"unsupported command {kind!r}")
        self._answer(result)

    def _answer(self, result: dict[str, Any]) -> None:
        if not result.get("ok"):
            log.warning("command %s failed: %s", result.get("id"), result.get("error"))
        self.link.publish(self.topics["command_results"], encode(result), qos=1)

    # -- install worker (its own thread) -----------------------------------------

    def _install_loop(self) -> None:
        outcome = self.installer.recover()
        if outcome:
            self.inbox.put(outcome)
        backoff = 0.0
        while not self._stop.is_set():
            self._install_wake.wait(backoff or None)
            self._install_wake.clear()
            desired = self.desired
            ref = desired.pack if desired else None
            if self._stop.is_set() or ref is None:
                continue
            if not self.installer.needs(ref):
                backoff = 0.0
                continue
            self._install_cancel = threading.Event()
            self._installing = ref
            try:
                with install_lock(self.config.data):  # a USB install may be running (install-from)
                    outcome = self.installer.install(ref, self._install_cancel)
            except Exception as exc:
                log.exception("install of %s %s failed", ref.id, ref.version)
                outcome = InstallOutcome(ref.brief(), "retrying", f"internal error: {exc}", ref.manifest_sha256)
            finally:
                self._installing = None
            self.inbox.put(outcome)
            backoff = min(60.0, backoff * 2 or 2.0) if outcome.result == "retrying" else 0.0
            if outcome.result != "retrying":
                self._install_wake.set()  # the desired pack may have changed meanwhile

    def _on_install(self, outcome: InstallOutcome) -> None:
        if outcome.reason == "already installed":
            return
        log.info(
            "install %s %s: %s %s", outcome.pack["id"], outcome.pack["version"], outcome.result, outcome.reason or ""
        )
        if outcome.result != "retrying" or self.last_install is None or self.last_install.get("result") != "retrying":
            self.record(f"pack_install_{outcome.result}", pack=outcome.pack, reason=outcome.reason)
        self.last_install = install_result(outcome.pack, outcome.result, outcome.reason, self.wall())
        write_json_atomic(self.config.data / "last_install.json", self.last_install)
        if self.link.connected:
            self.publish_state()
            self.publish_reported()

    def set_venue(self, venue: str | None) -> None:
        """Follow the exhibit to a new venue: door counts name it (the controller checks the claim)."""
        if venue != self.venue:
            self.venue = venue
            self.footfall.reset()  # resend unacked batches naming the new venue

    def _footfall_topic(self) -> str | None:
        # Counts wait in the outbox until the exhibit knows its venue, so every batch names one.
        return self.topics["footfall"] if self.venue else None


def _desired_doc(desired: Desired) -> dict[str, Any]:
    pack = desired.pack
    return {
        "venue": desired.venue,
        "opening_hours": desired.opening_hours,
        "pack": None
        if pack is None
        else {"id": pack.id, "version": pack.version, "manifest_sha256": pack.manifest_sha256, "url": pack.url},
        "emergency": desired.emergency.raw if desired.emergency else None,
        "config": desired.config,
        "audio": desired.audio.doc() if desired.audio else None,
    }


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _applied_audio(kiosk: KioskStatus | None) -> dict[str, Any] | None:
    """The volume the kiosk says it applies now (`{volume, quiet}`); None if unknown or the kiosk is not alive."""
    if kiosk is None or kiosk.age > KIOSK_STALE:
        return None
    report = parse_audio_report(kiosk.raw.get("audio"))
    return None if report is None else audio_report(report.volume, report.quiet)


def _shown_emergency(kiosk: KioskStatus | None) -> str | None:
    """The emergency the kiosk says is on its screen; None if none or the kiosk is not alive."""
    if kiosk is None or kiosk.age > KIOSK_STALE:
        return None
    shown = kiosk.raw.get("emergency")
    return str(shown) if shown not in (None, "") else None
