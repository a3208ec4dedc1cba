"""The serial door counter and physical buttons; the only module that imports pyserial.

Line protocol (ASCII, one message per line, `\\n` or `\\r\\n`, case-insensitive keyword):

    IN n      n visitors entered since the previous line
    OUT n     n visitors left
    TOTAL n   cumulative entries since the counter powered on (a drop means it restarted)
    BTN name  a physical button was pressed (name: letters, digits, - and _)

Anything else is counted as malformed and ignored. Footfall is written to the outbox's
"footfall" stream before it counts, so the drain's id/seq/ack guarantees apply. For TOTAL,
each visitor gets a deterministic event id (exhibit, counter epoch, running number), so a
line re-read after a crash is deduplicated by INSERT OR IGNORE here and at the controller.
Button presses are appended to `DATA/buttons.jsonl` (one JSON object per line, fsynced)
for the kiosk to follow.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import serial

from kepu_contracts.clock import Clock
from kepu_contracts.datadir import DataDir, read_json, write_json_atomic
from kepu_contracts.events import Event, EventType
from kepu_contracts.outbox import Outbox

log = logging.getLogger(__name__)

_LINE = re.compile(r"^\s*(IN|OUT|TOTAL|BTN)\s+([A-Za-z0-9_-]{1,64})\s*$", re.IGNORECASE)
BUTTONS_ROTATE_BYTES = 256 * 1024
MAX_PER_LINE = 10_000  # a garbled "IN 99999999" must not create a billion visitors


@dataclass(frozen=True)
class SensorLine:
    kind: str  # in, out, total, btn
    value: int | str


def parse_line(line: str) -> SensorLine | None:
    """Parse one line of the counter protocol, or None when it is malformed."""
    m = _LINE.match(line)
    if not m:
        return None
    kind, arg = m.group(1).lower(), m.group(2)
    if kind == "btn":
        return SensorLine(kind, arg)
    if not arg.isdigit():
        return None
    return SensorLine(kind, int(arg))


class DoorCounter:
    """Turns parsed lines into durable footfall events and button presses."""

    def __init__(self, outbox: Outbox, data: Path, exhibit: str, clock: Clock, venue: Callable[[], str | None]):
        self.outbox = outbox
        self.data = data
        self.exhibit = exhibit
        self.clock = clock
        self.venue = venue
        self.state_path = data / "serial.json"
        state = read_json(self.state_path, {}) or {}
        self.epoch: str = state.get("epoch") or uuid.uuid4().hex[:12]
        self.last_total: int | None = state.get("last_total")
        self.malformed = 0
        self.counted = 0
        self.buttons = 0

    def handle(self, raw: str) -> None:
        line = parse_line(raw)
        if line is None:
            if raw.strip():
                self.malformed += 1
                log.warning("serial: ignored malformed line %r", raw[:80])
            return
        if line.kind == "btn":
            self._button(str(line.value))
        elif line.kind in ("in", "out"):
            n = int(line.value)
            if 0 < n <= MAX_PER_LINE:
                self._footfall([(uuid.uuid4().hex, line.kind, n)])
        else:
            self._total(int(line.value))

    def _total(self, total: int) -> None:
        if self.last_total is None or total < self.last_total:
            # First reading, or the counter restarted: a new epoch, saved before any event uses it.
            first = self.last_total is None
            self.epoch = uuid.uuid4().hex[:12]
            self.last_total = 0 if not first else total
            self._save()
            if first:
                return
        delta = total - self.last_total
        if delta <= 0:
            return
        start = self.last_total
        if delta <= MAX_PER_LINE:
            entries = [(f"{self.exhibit}:door:{self.epoch}:{k}", "in", 1) for k in range(start + 1, total + 1)]
        else:
            entries = [(f"{self.exhibit}:door:{self.epoch}:{start + 1}-{total}", "in", delta)]
        self._footfall(entries, total=total)
        self.last_total = total
        self._save()

    def _footfall(self, entries: list[tuple[str, str, int]], total: int | None = None) -> None:
        venue = self.venue()
        events = []
        for event_id, direction, count in entries:
            data = {"direction": direction, "count": count, "venue": venue, "source": "door"}
            if total is not None:
                data["total"] = total
            events.append(Event(type=EventType.FOOTFALL, stamp=self.clock.stamp(), data=data, id=event_id))
        self.outbox.append(events, stream="footfall")
        self.counted += sum(c for _, d, c in entries if d == "in")

    def _button(self, name: str) -> None:
        stamp = self.clock.stamp()
        line = json.dumps({"id": uuid.uuid4().hex, "name": name, "ts": stamp.ts, "mono": stamp.mono}) + "\n"
        path = DataDir(self.data).buttons
        try:
            if path.stat().st_size > BUTTONS_ROTATE_BYTES:
                # A fresh file keeps it small; the kiosk finishes the old one before following the new.
                os.replace(path, path.with_name(path.name + ".1"))
        except FileNotFoundError:
            pass
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.buttons += 1

    def _save(self) -> None:
        write_json_atomic(self.state_path, {"epoch": self.epoch, "last_total": self.last_total})


class SerialReader:
    """Reads lines from a serial device on its own thread; survives unplug and replug."""

    def __init__(self, device: str, baud: int, on_line: Callable[[str], None], retry: float = 0.5):
        self.device = device
        self.baud = baud
        self.on_line = on_line
        self.retry = retry
        self.connected = False
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serial", daemon=True)

    def start(self) -> SerialReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                port = serial.Serial(self.device, self.baud, timeout=0.2)
            except (serial.SerialException, OSError):
                self._stop.wait(self.retry)  # unplugged: keep looking for it
                continue
            self.connected = True
            self.reconnects += 1
            try:
                self._read(port)
            except (serial.SerialException, OSError) as exc:
                log.warning("serial device %s went away: %s", self.device, exc)
            finally:
                self.connected = False
                try:
                    port.close()
                except (serial.SerialException, OSError):
                    pass

    def _read(self, port: serial.Serial) -> None:
        buffer = b""
        while not self._stop.is_set():
            chunk = port.read(256)
            if not chunk:
                if not os.path.exists(self.device):
                    raise OSError("device path disappeared")
                continue
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                try:
                    self.on_line(raw.decode("ascii", "replace").rstrip("\r"))
                except Exception:
                    log.exception("serial: failed to handle a line")
            if len(buffer) > 4096:
                buffer = b""  # no newline in 4 KiB: line noise
