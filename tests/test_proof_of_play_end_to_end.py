"""Proof of play through the real chain: kiosk (films and a 科普大屏 playlist) → outbox → agent → Mosquitto → controller."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import REPO
from tests.support.e2e import Controller, agent, run_cli, wait_until

FILM_PACK = REPO / "content_packs" / "samples" / "earthquake-film"
SIGNAGE_PACK = REPO / "content_packs" / "samples-signage" / "community-screen"


def truth(data) -> dict:
    """What the kiosk recorded: plays, completed plays and seconds shown, straight from its outbox."""
    with sqlite3.connect(data / "outbox.db") as db:
        plays = db.execute("SELECT COUNT(*) FROM outbox WHERE type = 'media_start'").fetchone()[0]
        completed, seconds = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(json_extract(data, '$.seconds')), 0) FROM outbox"
            " WHERE type = 'media_end' AND json_extract(data, '$.completed') = 1"
        ).fetchone()
        all_seconds = db.execute(
            "SELECT COALESCE(SUM(json_extract(data, '$.seconds')), 0) FROM outbox WHERE type = 'media_end'"
        ).fetchone()[0]
    return {"plays": plays, "completed": completed, "minutes": round(all_seconds / 60, 1), "_done_s": seconds}


def outbox_rows(data) -> int:
    with sqlite3.connect(data / "outbox.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


@pytest.fixture
def controller(tmp_path, broker):
    service = Controller(tmp_path / "controller", broker.url).start()
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


def test_proof_of_play_counts_equal_what_the_kiosks_played(tmp_path, broker, controller):
    film, screen = tmp_path / "ex-film", tmp_path / "ex-screen"
    run_cli("kiosk", "simulate", "--pack", str(FILM_PACK), "--data", str(film), "--sessions", "40", "--seed", "5")
    # A 科普大屏 needs no visitors: an hour of its playlist during opening hours.
    run_cli(
        "kiosk",
        "simulate",
        "--pack",
        str(SIGNAGE_PACK),
        "--data",
        str(screen),
        "--sessions",
        "0",
        "--seed",
        "5",
        "--start",
        "2025-05-12T09:00:00+08:00",
        "--until",
        "2025-05-12T10:00:00+08:00",
        "--opening",
        "9-17",
    )
    expected = {"ex-film": truth(film), "ex-screen": truth(screen)}
    assert expected["ex-film"]["plays"] > 10 and expected["ex-screen"]["plays"] > 100

    def by_exhibit() -> dict:
        response = controller.get("/api/v1/stats/media?group=exhibit")
        rows = response.json() if response.status_code == 200 else []
        return {r["exhibit"]: {k: r[k] for k in ("plays", "completed", "minutes")} for r in rows}

    drains = [
        agent("ex-film", film, broker.url, controller.url).start(),
        agent("ex-screen", screen, broker.url, controller.url).start(),
    ]
    want = {e: {k: v for k, v in t.items() if not k.startswith("_")} for e, t in expected.items()}
    try:
        wait_until(
            lambda: by_exhibit() == want and outbox_rows(film) == outbox_rows(screen) == 0,
            120,
            lambda: f"controller {by_exhibit()} vs kiosks {want}\n{drains[0].tail()}",
        )
    finally:
        for drain in drains:
            drain.stop()
    signage = controller.get("/api/v1/stats/media?source=signage").json()
    assert {r["pack"] for r in signage} == {"community-screen"}
    assert sum(r["plays"] for r in signage) == expected["ex-screen"]["plays"]
