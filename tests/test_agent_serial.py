"""The door counter and buttons over a real pseudo-terminal with pyserial; unplug and replug."""

from __future__ import annotations

import json
import os

import pytest

from exhibit_agent.serial_counter import DoorCounter, SerialReader, parse_line
from kepu_contracts.clock import ManualClock
from kepu_contracts.outbox import Outbox
from tests.support.agent import wait_until


@pytest.mark.parametrize(
    "line, kind, value",
    [
        ("IN 3", "in", 3),
        ("out 1\r", "out", 1),
        ("TOTAL 1042", "total", 1042),
        ("BTN next", "btn", "next"),
        ("  btn lang-toggle ", "btn", "lang-toggle"),
    ],
)
def test_parse_line(line, kind, value):
    parsed = parse_line(line)
    assert parsed.kind == kind and parsed.value == value


@pytest.mark.parametrize("line", ["", "IN", "IN -1", "IN 3x", "HELLO 4", "TOTAL 1 2", "BTN a/b", "\x00\xff"])
def test_malformed_lines_are_rejected(line):
    assert parse_line(line) is None


class Pty:
    """A fake USB counter: a pty whose slave is reached through a stable symlink that can vanish."""

    def __init__(self, link):
        self.link = link
        self.plug()

    def plug(self):
        self.master, self.slave = os.openpty()
        os.symlink(os.ttyname(self.slave), self.link)

    def unplug(self):
        os.unlink(self.link)
        os.close(self.master)
        os.close(self.slave)

    def send(self, text):
        os.write(self.master, text.encode())


@pytest.fixture
def rig(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    outbox = Outbox(data / "outbox.db")
    venue = {"v": "venue-1"}
    counter = DoorCounter(outbox, data, "ex-door", ManualClock(), lambda: venue["v"])
    pty = Pty(tmp_path / "ttyCOUNTER")
    reader = SerialReader(str(pty.link), 9600, counter.handle, retry=0.05).start()
    yield data, outbox, counter, pty, reader
    reader.stop()
    try:
        pty.unplug()
    except OSError:
        pass
    outbox.close()


def footfall(outbox):
    return [r for r in outbox.pending("footfall", limit=100000)]


def test_counter_lines_become_footfall_in_the_outbox_and_buttons_a_file(rig):
    data, outbox, counter, pty, reader = rig
    assert wait_until(lambda: reader.connected, 5)
    pty.send("IN 2\r\nOUT 1\nnonsense\nBTN next\n")
    assert wait_until(lambda: len(footfall(outbox)) == 2 and counter.buttons == 1, 5)
    rows = footfall(outbox)
    assert [(r.type, r.data["direction"], r.data["count"], r.data["venue"]) for r in rows] == [
        ("footfall", "in", 2, "venue-1"),
        ("footfall", "out", 1, "venue-1"),
    ]
    assert all(r.boot and r.mono >= 0 and r.ts > 0 for r in rows)
    assert counter.malformed == 1
    press = json.loads((data / "buttons.jsonl").read_text().splitlines()[0])
    assert press["name"] == "next" and press["id"]


def test_cumulative_totals_become_deltas_with_deterministic_ids(rig, tmp_path):
    data, outbox, counter, pty, reader = rig
    assert wait_until(lambda: reader.connected, 5)
    pty.send("TOTAL 100\nTOTAL 103\nTOTAL 103\n")
    assert wait_until(lambda: counter.last_total == 103, 5)
    assert sum(r.data["count"] for r in footfall(outbox)) == 3, "the first TOTAL is a baseline"
    ids = [r.id for r in footfall(outbox)]
    # The same reading re-processed after a crash (state file not yet saved) makes the same ids.
    replay = DoorCounter(outbox, data, "ex-door", ManualClock(), lambda: "venue-1")
    replay.last_total = 100
    replay.handle("TOTAL 103")
    assert [r.id for r in footfall(outbox)] == ids, "INSERT OR IGNORE deduplicated the replay"
    # The counter restarts (its total drops): counting continues under a new epoch.
    pty.send("TOTAL 2\n")
    assert wait_until(lambda: sum(r.data["count"] for r in footfall(outbox)) == 5, 5)


def test_unplug_and_replug_is_survived(rig):
    _data, outbox, _counter, pty, reader = rig
    assert wait_until(lambda: reader.connected, 5)
    pty.send("IN 1\n")
    assert wait_until(lambda: len(footfall(outbox)) == 1, 5)
    pty.unplug()
    assert wait_until(lambda: not reader.connected, 5)
    pty.plug()
    assert wait_until(lambda: reader.connected, 5)
    pty.send("IN 4\n")
    assert wait_until(lambda: len(footfall(outbox)) == 2, 5)
    assert footfall(outbox)[-1].data["count"] == 4
    assert reader.reconnects == 2
