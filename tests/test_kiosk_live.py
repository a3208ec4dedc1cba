"""`kepu-kiosk simulate --live` is a real exhibit for the demo: the same file seams as `run`.

Real processes, real files: the agent's side of each seam is played by the test
(switching `packs/current` atomically, writing control.json and screenshot requests).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pygame
import pytest

from kepu_contracts.datadir import write_json_atomic as write_atomic

SAMPLES = Path(__file__).resolve().parent.parent / "content_packs" / "samples"
FALLBACK, FIRST, SECOND = SAMPLES / "food-safety-home", SAMPLES / "low-carbon-living", SAMPLES / "phone-scam-seniors"


def start(data: Path, fallback: Path = FALLBACK) -> subprocess.Popen:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "simulate",
            "--live",
            "--sessions",
            "0",
            "--pack",
            str(fallback),
            "--data",
            str(data),
            "--idle",
            "1.5",
            "--mean-gap",
            "0.3",
            "--think",
            "0.2",
            "--size",
            "800x480",
            "--seed",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def stop(process: subprocess.Popen) -> tuple[int, str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"live simulate ignored SIGTERM\n{err[-2000:]}")
    return process.returncode, out, err


def wait_for(check, timeout: float, what: str, process: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if process.poll() is not None:
            pytest.fail(
                f"simulate exited ({process.returncode}) while waiting for {what}:\n{process.stderr.read()[-3000:]}"
            )
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout} s")


def heartbeat(data: Path) -> dict:
    try:
        return json.loads((data / "kiosk.json").read_text())
    except (OSError, ValueError):
        return {}


def outbox(data: Path, kind: str) -> list[dict]:
    if not (data / "outbox.db").exists():
        return []
    conn = sqlite3.connect(data / "outbox.db")
    try:
        return [json.loads(d) for (d,) in conn.execute("SELECT data FROM outbox WHERE type = ? ORDER BY seq", (kind,))]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def point_current(data: Path, target: Path) -> None:
    """What the agent does: a new link beside the old one, then rename over it."""
    packs = data / "packs"
    packs.mkdir(parents=True, exist_ok=True)
    tmp = packs / ".current.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, packs / "current")


def pack_id(path: Path) -> str:
    import tomllib

    return tomllib.loads((path / "pack.toml").read_text(encoding="utf-8"))["id"]


def test_live_simulate_follows_current_shows_emergencies_and_answers_screenshots(tmp_path):
    data = tmp_path / "data"
    process = start(data)
    try:
        # No packs/current yet: --pack is the fallback, reported loaded.
        beat = wait_for(
            lambda: heartbeat(data).get("pack", {}).get("status") == "loaded" and heartbeat(data),
            30,
            "first heartbeat",
            process,
        )
        assert beat["playing"]["id"] == pack_id(FALLBACK) and beat["pid"] == process.pid
        assert Path(beat["playing"]["path"]).is_absolute()

        # The agent installs a pack: it must show as loaded (after the current visitor leaves).
        point_current(data, FIRST)
        wait_for(
            lambda: heartbeat(data).get("pack", {}).get("id") == pack_id(FIRST), 5, "the new pack noticed", process
        )
        beat = wait_for(
            lambda: (
                (b := heartbeat(data)).get("pack", {}).get("status") == "loaded"
                and b.get("pack", {}).get("id") == pack_id(FIRST)
                and b
            ),
            20,
            "the new pack loaded",
            process,
        )
        assert beat["playing"]["id"] == pack_id(FIRST)
        assert any(e["id"] == pack_id(FIRST) for e in outbox(data, "pack_loaded"))

        # A screenshot request is answered with a PNG of the frame, and the request is consumed.
        request = data / "requests" / "screenshot-cmd-1.json"
        request.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(request, {"v": 1, "id": "cmd-1", "type": "screenshot"})
        shot = data / "screenshots" / "cmd-1.png"
        wait_for(shot.exists, 5, "the screenshot", process)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert pygame.image.load(str(shot)).get_size() == (800, 480)
        wait_for(lambda: not request.exists(), 2, "the request removed", process)
        assert not list((data / "screenshots").glob("*.tmp"))

        # An emergency broadcast written by the agent shows within a second or two.
        write_atomic(
            data / "control.json",
            {
                "v": 1,
                "emergency": {
                    "id": "em-live",
                    "message": {"zh": "请撤离", "en": "Please leave"},
                    "expires": time.time() + 600,
                },
            },
        )
        shown = wait_for(
            lambda: [e for e in outbox(data, "emergency_shown") if e.get("id") == "em-live"],
            5,
            "emergency_shown in the outbox",
            process,
        )
        assert shown[0]["expires"] > time.time()
        wait_for(
            lambda: heartbeat(data).get("mode") == "emergency" and heartbeat(data).get("emergency") == "em-live",
            3,
            "emergency in kiosk.json",
            process,
        )
    finally:
        code, out, err = stop(process)
    assert code == 0, err[-2000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["sessions"] >= 1 and summary["events"] > 0
    conn = sqlite3.connect(data / "outbox.db")
    try:
        stored = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        ends = conn.execute("SELECT COUNT(*) FROM outbox WHERE type = 'session_end'").fetchone()[0]
    finally:
        conn.close()
    assert summary["events"] == stored, "the last line is the ground truth, also after SIGTERM"
    assert summary["by_type"].get("session_end", 0) == ends == summary["sessions"]


def test_sigterm_mid_visit_ends_the_visit_in_the_outbox_and_the_summary(tmp_path):
    data = tmp_path / "data"
    process = start(data)
    try:
        wait_for(lambda: outbox(data, "session_start"), 30, "a visit", process)
    finally:
        code, out, err = stop(process)
    assert code == 0, err[-2000:]
    summary = json.loads(out.strip().splitlines()[-1])
    reasons = [e["reason"] for e in outbox(data, "session_end")]
    assert (
        reasons
        and reasons.count("shutdown") <= 1
        and len(reasons) == summary["sessions"] == summary["by_type"]["session_end"]
    )
    assert len(outbox(data, "session_start")) == len(reasons), "no visit left open"


def test_live_simulate_plays_current_before_its_fallback_and_reports_a_broken_one(tmp_path):
    data = tmp_path / "data"
    point_current(data, SECOND)
    process = start(data)
    try:
        beat = wait_for(lambda: heartbeat(data).get("pack") and heartbeat(data), 30, "first heartbeat", process)
        assert beat["playing"]["id"] == pack_id(SECOND) and beat["pack"]["status"] == "loaded"
    finally:
        assert stop(process)[0] == 0

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pack.toml").write_text('id = "broken-pack"\nversion = "2.0.0"\n', encoding="utf-8")
    point_current(data, broken)
    (data / "kiosk.json").unlink()
    process = start(data)
    try:
        beat = wait_for(lambda: heartbeat(data).get("pack") and heartbeat(data), 30, "first heartbeat", process)
        # The agent must see the failure (and roll back); the fallback keeps the screen alive.
        assert beat["pack"]["status"] == "failed" and beat["pack"]["id"] == "broken-pack" and beat["pack"]["reason"]
        assert beat["playing"]["id"] == pack_id(FALLBACK)
    finally:
        assert stop(process)[0] == 0
    assert any(e["id"] == "broken-pack" for e in outbox(data, "pack_failed"))
