"""The kiosk's file seams with real files: control.json (emergency), packs/current (hot swap), kiosk.json."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pygame
import pytest

from content_packs import load_pack
from kepu_contracts.clock import ManualClock
from kepu_contracts.datadir import write_json_atomic as write_atomic
from kepu_contracts.outbox import Outbox
from kiosk.app import KioskConfig
from kiosk.control_watcher import ControlWatcher
from kiosk.host import HostOptions, KioskHost
from kiosk.packs import prepare
from kiosk.recorder import Recorder
from kiosk.screens.attract import AttractScreen
from kiosk.screens.emergency import EmergencyScreen
from kiosk.showcase import write_showcase_pack
from kiosk.touch import Pointer

WALL0 = 1_767_225_600.0  # ManualClock's wall time at mono 0


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    pygame.init()
    root = tmp_path_factory.mktemp("packs")
    v1 = write_showcase_pack(root / "showcase-1.0.0")
    v2 = write_showcase_pack(root / "showcase-2.0.0")
    text = (v2 / "pack.toml").read_text(encoding="utf-8")
    (v2 / "pack.toml").write_text(text.replace('version = "1.0.0"', 'version = "2.0.0"', 1), encoding="utf-8")
    bad = write_showcase_pack(root / "showcase-3.0.0")
    text = (bad / "pack.toml").read_text(encoding="utf-8")
    (bad / "pack.toml").write_text(
        text.replace('version = "1.0.0"', 'version = "3.0.0"', 1).replace("answer = 1", "answer = 7", 1),
        encoding="utf-8",
    )
    return {"v1": v1, "v2": v2, "bad": bad}


class Rig:
    """A host over a real data dir, outbox and recorder, with time injected."""

    def __init__(self, data: Path, pack_dir: Path, threads: bool = False, damage=None):
        self.data = data
        self.clock = ManualClock(start=WALL0)
        self.outbox = Outbox(data / "outbox.db")
        self.recorder = Recorder(self.outbox, self.clock)
        pack = load_pack(pack_dir.resolve())
        if damage is not None:
            damage()  # a file broken after validation (a failing SD card)
        self.host = KioskHost(
            data,
            pack,
            prepare(pack),
            self.recorder,
            self.clock,
            (1280, 720),
            KioskConfig(),
            HostOptions(threads=threads, audio=False),
        ).start()
        self.app = self.host.app

    def tick(self, seconds: float = 0.1) -> None:
        self.clock.advance(seconds)
        self.host.tick(seconds)

    def touch(self, name: str) -> None:
        target = next(t for t in self.app.targets() if t.name == name)
        self.app.pointer(Pointer("down", *target.rect.center))
        self.app.pointer(Pointer("up", *target.rect.center))
        self.tick(0.5)

    def events(self, kind: str | None = None) -> list:
        self.recorder.flush()
        rows = self.outbox.pending(limit=100_000)
        return [r for r in rows if kind is None or r.type == kind]

    def heartbeat(self) -> dict:
        """What the heartbeat thread writes next (the file itself is tested below)."""
        return json.loads(json.dumps(self.host.heartbeat.snapshot()))

    def close(self) -> None:
        self.host.stop()
        self.recorder.close()
        self.outbox.close()


@pytest.fixture
def rig(tmp_path, packs):
    made = []

    def make(pack="v1", threads=False, link=True):
        data = tmp_path / "data"
        (data / "packs").mkdir(parents=True, exist_ok=True)
        if link:
            (data / "packs" / "current").symlink_to(packs[pack])
        r = Rig(data, data / "packs" / "current" if link else packs[pack], threads)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def write_control(data: Path, emergency: dict | None) -> None:
    write_atomic(data / "control.json", {"emergency": emergency, "v": 1})


def switch_current(data: Path, target: Path) -> None:
    """What the agent does: a new symlink beside the old one, renamed over it (atomic)."""
    tmp = data / "packs" / ".current.tmp"
    tmp.symlink_to(target)
    os.replace(tmp, data / "packs" / "current")


# -- emergency ---------------------------------------------------------------------


def test_emergency_preempts_a_visit_and_reverts_when_it_expires(rig):
    r = rig()
    r.touch("start")
    r.touch("scene:quiz")
    session = r.app.session_id
    now = r.clock.stamp().ts
    write_control(
        r.data,
        {"id": "em-7", "message": {"zh": "请立即撤离", "en": "Please leave now"}, "starts": now, "expires": now + 120},
    )
    r.host.control.check()  # what the watcher thread does every 0.5 s
    r.tick()
    assert isinstance(r.app.screen, EmergencyScreen) and r.app.mode == "emergency"
    ends = r.events("session_end")
    assert len(ends) == 1 and ends[0].session == session and ends[0].data["reason"] == "emergency"
    shown = r.events("emergency_shown")
    assert len(shown) == 1 and shown[0].data["id"] == "em-7"
    # Touches do nothing while the notice shows; no new session starts.
    r.app.pointer(Pointer("down", 50, 50))
    r.app.pointer(Pointer("up", 50, 50))
    assert r.app.session_id is None and not r.events("session_start")[1:]
    assert r.heartbeat()["emergency"] == "em-7"
    # The kiosk honours `expires` on its own clock, even if the agent never rewrites the file.
    r.tick(118.8)  # 118.9 s after it was written
    assert r.app.mode == "emergency"
    r.tick(1.2)
    assert r.app.mode == "attract" and isinstance(r.app.screen, AttractScreen)
    cleared = r.events("emergency_cleared")
    assert [c.data for c in cleared] == [{"id": "em-7", "reason": "expired"}]


def test_emergency_waits_for_its_start_and_ends_when_the_agent_clears_it(rig):
    r = rig()
    write_control(
        r.data,
        {
            "id": "em-8",
            "message": {"zh": "演练通知", "en": "Drill notice"},
            "starts": "2026-01-01T00:00:30Z",
            "expires": None,
        },
    )
    r.host.control.check()
    r.tick(10)
    assert r.app.mode == "attract", "not yet: starts is in 20 s"
    r.tick(21)
    assert r.app.mode == "emergency" and r.app.screen.notice.en == "Drill notice"
    write_control(r.data, None)
    r.host.control.check()
    r.tick()
    assert r.app.mode == "attract"
    assert [c.data["reason"] for c in r.events("emergency_cleared")] == ["ended"]


def test_a_broken_control_file_keeps_the_last_good_state_and_is_reported(rig):
    r = rig()
    write_control(r.data, {"id": "em-9", "message": {"zh": "停电", "en": "Power cut"}})
    r.host.control.check()
    r.tick()
    assert r.app.mode == "emergency"
    (r.data / "control.json").write_text('{"emergency": {"id": ', encoding="utf-8")
    r.host.control.check()
    r.tick()
    assert r.app.mode == "emergency", "a bad write must not flicker the notice off"
    errors = r.events("error")
    assert errors and errors[-1].data["kind"] == "control"
    (r.data / "control.json").unlink()
    r.host.control.check()
    r.tick()
    assert r.app.mode == "attract"


def test_the_watcher_thread_shows_an_emergency_within_a_second(rig):
    r = rig(threads=True)
    assert r.host.control._thread is not None
    write_control(r.data, {"id": "em-live", "message": {"zh": "紧急", "en": "Urgent"}})
    started = time.monotonic()
    while r.app.mode != "emergency" and time.monotonic() - started < 3:
        r.tick(1 / 60)
        time.sleep(1 / 60)
    assert r.app.mode == "emergency"
    assert time.monotonic() - started <= 1.0


def test_control_watcher_rereads_only_on_change(tmp_path):
    path = tmp_path / "control.json"
    watcher = ControlWatcher(path)
    assert not watcher.check() and watcher.latest.emergency is None
    write_atomic(path, {"emergency": {"id": "a", "message": {"zh": "甲", "en": "A"}}})
    assert watcher.check() and watcher.latest.emergency.id == "a"
    assert not watcher.check()  # same file: a stat, no read
    write_atomic(path, {"emergency": {"id": "a", "message": {"zh": "甲", "en": "A2"}}})
    assert watcher.check() and watcher.latest.emergency.en == "A2"


# -- hot swap ---------------------------------------------------------------------


def test_new_pack_waits_for_the_visitor_then_switches_at_attract(rig, packs):
    r = rig("v1")
    assert r.heartbeat()["pack"] == {
        "id": "kiosk-showcase",
        "version": "1.0.0",
        "status": "loaded",
        "path": str(packs["v1"]),
    }
    r.touch("start")
    r.touch("scene:basics")
    switch_current(r.data, packs["v2"])
    assert r.host.packs.check()
    r.tick()
    assert r.app.pack.version == "1.0.0" and r.app.screen.scene_id == "basics", "never in a visitor's face"
    beat = r.heartbeat()
    assert beat["pack"]["status"] == "pending" and beat["pack"]["version"] == "2.0.0"
    assert beat["playing"]["version"] == "1.0.0"
    r.tick(61)  # the visitor leaves; the reset is the attract moment
    r.tick()
    assert r.app.pack.version == "2.0.0" and r.app.mode == "attract"
    assert r.heartbeat()["pack"] == {
        "id": "kiosk-showcase",
        "version": "2.0.0",
        "status": "loaded",
        "path": str(packs["v2"]),
    }
    loaded = r.events("pack_loaded")
    assert [e.data["version"] for e in loaded] == ["1.0.0", "2.0.0"]
    # The switch happened after the visit had ended.
    end = r.events("session_end")[0]
    assert loaded[-1].seq > end.seq


def test_a_pack_that_fails_to_load_leaves_the_old_one_playing(rig, packs):
    r = rig("v1")
    switch_current(r.data, packs["bad"])
    r.host.packs.check()
    r.tick()
    r.tick()
    assert r.app.pack.version == "1.0.0"
    failed = r.events("pack_failed")
    assert len(failed) == 1 and failed[0].data["version"] == "3.0.0" and "answer" in failed[0].data["reason"]
    beat = r.heartbeat()
    assert (
        beat["pack"]["status"] == "failed"
        and beat["pack"]["id"] == "kiosk-showcase"
        and beat["pack"]["version"] == "3.0.0"
    )
    assert "answer" in beat["pack"]["reason"]
    assert beat["playing"]["version"] == "1.0.0"
    # The agent rolls back to the old pack: the kiosk reports it loaded again.
    switch_current(r.data, packs["v1"])
    r.host.packs.check()
    r.tick()
    assert r.heartbeat()["pack"]["status"] == "loaded" and r.heartbeat()["pack"]["version"] == "1.0.0"


def test_kiosk_json_is_written_by_the_heartbeat_thread(rig):
    r = rig("v1")
    r.tick()
    deadline = time.monotonic() + 3
    beat = None
    while time.monotonic() < deadline:
        try:
            beat = json.loads((r.data / "kiosk.json").read_text())
            if beat.get("pack"):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    assert beat and beat["pid"] == os.getpid() and beat["pack"]["status"] == "loaded" and beat["mode"] == "attract"
    assert isinstance(beat["last_frame"], float)


# -- robustness ---------------------------------------------------------------------


def test_broken_image_and_missing_audio_become_error_events_not_crashes(tmp_path):
    pygame.init()
    pack_dir = write_showcase_pack(tmp_path / "pack")
    data = tmp_path / "data"
    # Validation decodes every picture, so the picture breaks after it (as on a failing SD card).
    cover = pack_dir / "media" / "cover.png"
    r = Rig(data, pack_dir, damage=lambda: cover.write_bytes(cover.read_bytes()[:60]))
    try:
        r.host.narrator.enabled = True
        r.touch("start")
        r.touch("scene:basics")
        (pack_dir / "audio" / "drop-en.wav").unlink()  # vanished after validation
        r.touch("chrome:lang")  # narration in English: the file is gone
        r.host.narrator.flush()
        r.touch("next")  # the broken picture
        surface = pygame.Surface(r.app.size)
        r.app.draw(surface)  # draws a placeholder
        r.app.draw(surface)
        r.tick()
        errors = [e.data for e in r.events("error")]
        kinds = sorted(e["kind"] for e in errors)
        assert "image" in kinds and "audio" in kinds
        assert sum(1 for e in errors if e["kind"] == "image") == 1, "reported once, not every frame"
        assert any("drop-en.wav" in e["detail"] for e in errors if e["kind"] == "audio")
        assert r.app.mode == "visit"
    finally:
        r.close()
