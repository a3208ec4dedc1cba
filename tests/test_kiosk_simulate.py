"""Simulated visitors through the real code path leave exactly the ground truth in the outbox."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict

import pygame
import pytest

from kiosk.showcase import write_showcase_pack
from kiosk.simulate import simulate
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory):
    pygame.init()
    return write_showcase_pack(tmp_path_factory.mktemp("showcase"))


def rows(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, type, session, scene, data, mono FROM outbox ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_a_thousand_sessions_leave_exactly_the_ground_truth(pack_dir, tmp_path):
    result = simulate(pack_dir, tmp_path, 1000, seed=7, mean_gap=0.0)
    stored = rows(tmp_path / "outbox.db")
    assert result.sessions == 1000
    assert len(stored) == result.events
    assert Counter(r[1] for r in stored) == Counter(result.by_type)
    assert len({r[0] for r in stored}) == len(stored), "event ids are unique"
    by_session = defaultdict(list)
    for _, kind, session, _scene, data, mono in stored:
        if session:
            by_session[session].append((kind, json.loads(data), mono))
    assert len(by_session) == 1000
    for session, events in by_session.items():
        kinds = [k for k, _, _ in events]
        assert kinds.count("session_start") == 1 and kinds.count("session_end") == 1, session
        assert kinds[0] == "attract_interrupt" and kinds[-1] == "session_end"
        end = events[-1][1]
        taps = kinds.count("tap")
        assert end["interactions"] == taps, "every interaction is a logged tap"
        tap_times = [m for k, _, m in events if k == "tap"]
        assert end["duration"] == pytest.approx(tap_times[-1] - tap_times[0], abs=1e-3), "idle tail excluded"
        assert kinds.count("scene_enter") == kinds.count("scene_leave")
    for kind in ("quiz_answer", "rating", "hotspot", "language", "senior_mode"):
        assert result.by_type.get(kind, 0) > 0, f"the visitors never produced {kind}"
    answers = [json.loads(r[4]) for r in stored if r[1] == "quiz_answer"]
    assert all(set(a) == {"question", "choice", "correct"} for a in answers)
    assert {json.loads(r[4])["value"] for r in stored if r[1] == "rating"} == {"up", "down"}


def test_same_seed_same_visits(pack_dir, tmp_path):
    a = simulate(pack_dir, tmp_path / "a", 30, seed=3, mean_gap=0.0)
    b = simulate(pack_dir, tmp_path / "b", 30, seed=3, mean_gap=0.0)
    assert a.by_type == b.by_type and a.events == b.events


def test_cli_prints_json_last_and_saves_screenshots(pack_dir, tmp_path):
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    shots = tmp_path / "shots"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "simulate",
            "--pack",
            str(pack_dir),
            "--data",
            str(tmp_path / "data"),
            "--sessions",
            "12",
            "--seed",
            "1",
            "--screenshots",
            str(shots),
            "--size",
            "800x480",
            "--lang",
            "en",
            "--idle",
            "30",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["sessions"] == 12 and summary["events"] == len(rows(tmp_path / "data" / "outbox.db"))
    pngs = sorted(shots.glob("*.png"))
    assert len(pngs) == summary["screenshots"] > 5
    assert all(pygame.image.load(str(p)).get_size() == (800, 480) for p in pngs[:3])
    assert any("-en-" in p.name and "home" in p.name for p in pngs)


def test_backfilled_history_stays_within_opening_hours_and_is_adopted_once(tmp_path):
    """`simulate --start/--until` fills past days (visits only while the venue is open); `Outbox.adopt` takes them over."""
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from kepu_contracts.outbox import Outbox
    from tests.support.e2e import last_json_line, run_cli

    pack = sorted(p for p in SAMPLES.iterdir() if (p / "pack.toml").is_file())[0]
    history = tmp_path / "history"
    truth = last_json_line(
        run_cli(
            "kiosk",
            "simulate",
            "--pack",
            str(pack),
            "--data",
            str(history),
            "--sessions",
            "0",
            "--seed",
            "3",
            "--mean-gap",
            "600",
            "--start",
            "2026-11-20T00:00+08:00",
            "--until",
            "2026-11-21T00:00+08:00",
            "--opening",
            "9-17",
        )
    )
    assert 20 < truth["sessions"] < 80  # eight open hours, a visitor every ~10 minutes
    midnight = datetime(2026, 11, 20, tzinfo=timezone(timedelta(hours=8))).timestamp()
    with sqlite3.connect(history / "outbox.db") as db:
        starts = [ts for (ts,) in db.execute("SELECT ts FROM outbox WHERE type = 'session_start'")]
    assert len(starts) == truth["sessions"]
    # Raw seconds, not rounded datetimes: a start at 08:59:59.9999 would land in the 08 hour's rollup.
    assert all(9 * 3600 <= ts - midnight < 17 * 3600 for ts in starts)

    exhibit = Outbox(tmp_path / "exhibit" / "outbox.db")
    try:
        assert exhibit.adopt(history / "outbox.db") == truth["events"]
        assert exhibit.adopt(history / "outbox.db") == 0  # the same ids twice are ignored
        assert exhibit.count() == truth["events"]
    finally:
        exhibit.close()
