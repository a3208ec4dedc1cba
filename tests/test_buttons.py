"""Physical buttons end to end: `BTN name` on a real pseudo-terminal → agent → DATA/buttons.jsonl → kiosk → events."""

from __future__ import annotations

import json
import os
import time

import pygame
import pytest

from content_packs import PackError, load_pack
from content_packs.testing import make_pack
from exhibit_agent.serial_counter import DoorCounter, SerialReader
from kepu_contracts.clock import ManualClock, SystemClock
from kepu_contracts.datadir import DataDir
from kepu_contracts.outbox import Outbox
from kiosk.app import KioskConfig
from kiosk.buttons import ButtonFeed
from kiosk.host import HostOptions, KioskHost
from kiosk.packs import prepare
from kiosk.recorder import Recorder
from tests.support.agent import wait_until

BUTTONS = """
[buttons]
green = "start"
red = "next"
blue = "back"
lang = "language"
big = "senior"
yellow = { "*" = "home", quiz = "choice:1" }
white = "choice:2"
"""


def pack_with_buttons(root, extra=BUTTONS):
    folder = make_pack(root)
    toml = folder / "pack.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return folder


def test_pack_toml_maps_buttons_to_actions(tmp_path):
    pack = load_pack(pack_with_buttons(tmp_path / "p"))
    assert pack.button_action("green", None) == "start"
    assert pack.button_action("yellow", "quiz") == "choice:1"
    assert pack.button_action("yellow", "intro") == "home"
    assert pack.button_action("purple", "intro") is None


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[buttons]\nred = "explode"\n', "'explode' is not one of start, next"),
        ('[buttons]\nred = { nowhere = "next" }\n', "'nowhere' is not the id of any scene"),
        ('[buttons]\n"a b" = "next"\n', "a button name is letters"),
        ('buttons = "next"\n', "must be a table"),
    ],
)
def test_bad_button_mappings_are_clear_pack_errors(tmp_path, extra, message):
    folder = make_pack(tmp_path / "p")
    toml = folder / "pack.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(extra + text if not extra.startswith("[") else text + extra, encoding="utf-8")
    with pytest.raises(PackError, match=message):
        load_pack(folder)


class Pty:
    def __init__(self, link):
        self.link = link
        self.master, self.slave = os.openpty()
        os.symlink(os.ttyname(self.slave), link)

    def send(self, text):
        os.write(self.master, text.encode())

    def close(self):
        os.unlink(self.link)
        os.close(self.master)
        os.close(self.slave)


def test_buttons_from_a_pseudo_terminal_drive_the_kiosk_and_count_as_interactions(tmp_path):
    pygame.init()
    data = tmp_path / "data"
    data.mkdir()
    outbox = Outbox(DataDir(data).outbox)
    counter = DoorCounter(outbox, data, "ex-btn", SystemClock(), lambda: "v-1")
    pty = Pty(tmp_path / "ttyBUTTONS")
    reader = SerialReader(str(pty.link), 9600, counter.handle, retry=0.05).start()
    pack = load_pack(pack_with_buttons(tmp_path / "pack").resolve())
    clock = ManualClock(start=time.time())
    recorder = Recorder(outbox, clock)
    host = KioskHost(
        data, pack, prepare(pack), recorder, clock, (1280, 720), KioskConfig(), HostOptions(audio=False)
    ).start()
    app = host.app

    def taps():
        recorder.flush()
        return [r for r in outbox.pending(limit=10_000) if r.type == "tap"]

    def press(name: str, until) -> None:
        count = len(taps())
        pty.send(f"BTN {name}\r\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            host.tick(0.05)
            if len(taps()) > count and until():
                return
            time.sleep(0.02)
        raise AssertionError(f"button {name} did not take effect")

    try:
        assert wait_until(lambda: reader.connected, 5)
        press("green", lambda: app.mode == "visit")
        press("lang", lambda: app.lang == "en")
        press("big", lambda: app.theme.senior)
        press("white", lambda: app.screen.scene_id == "quiz")  # choice:2 on home = the second scene
        press("yellow", lambda: True)  # in the quiz, yellow is its first answer
        recorder.flush()
        answers = [r for r in outbox.pending(limit=10_000) if r.type == "quiz_answer"]
        assert len(answers) == 1 and answers[0].data["correct"] is True
        press("yellow", lambda: True)  # "next" after the answer is the quiz's first target now
        press("blue", lambda: True)
        rows = taps()
        assert all(r.data.get("via") == "button" for r in rows), "every press is a tap: an interaction"
        assert [r.data["button"] for r in rows] == ["green", "lang", "big", "white", "yellow", "yellow", "blue"]
        assert counter.buttons == 7
        # Malformed and unmapped presses change nothing and crash nothing.
        pty.send("BTN purple\r\nBTN a/b\r\n")
        time.sleep(0.3)
        host.tick(0.05)
        assert app.mode == "visit"
    finally:
        host.stop()
        reader.stop()
        pty.close()
        recorder.close()
        outbox.close()


def test_feed_follows_a_new_file_and_drops_stale_presses(tmp_path):
    path = tmp_path / "buttons.jsonl"
    now = [1000.0]
    path.write_text(json.dumps({"name": "old", "ts": 990.0}) + "\n")
    feed = ButtonFeed(path, clock=lambda: now[0])
    assert feed.check() == 0, "what was there before the kiosk started is not replayed"
    with open(path, "a") as f:
        f.write(json.dumps({"name": "red", "ts": 1000.0}) + "\n" + '{"name": "half"')
    assert feed.check() == 1 and feed.take() == ["red"]
    with open(path, "a") as f:
        f.write(', "ts": 1000.0}\n')
    os.replace(path, tmp_path / "buttons.jsonl.1")  # what the agent does when the file grows
    path.write_text(
        json.dumps({"name": "blue", "ts": 1000.0}) + "\nnot json\n" + json.dumps({"name": "x", "ts": 1.0}) + "\n"
    )
    assert feed.check() == 2 and feed.take() == ["half", "blue"]
    feed.stop()
