"""From a visitor's touch to a number on the dashboard: kiosk → outbox → agent → Mosquitto → controller."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import SAMPLES
from tests.support.e2e import Controller, agent, last_json_line, run_cli, wait_until

EXHIBIT = "ex-e2e-01"


def outbox_rows(data) -> int:
    with sqlite3.connect(data / "outbox.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def copy_database(source, target) -> None:
    """A consistent copy of a WAL-mode SQLite file, through SQLite's backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@pytest.fixture
def controller(tmp_path, broker):
    service = Controller(tmp_path / "controller", broker.url).start()
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


def test_simulated_visits_arrive_exactly_once_and_replay_changes_nothing(tmp_path, broker, controller):
    pack = sorted(p for p in SAMPLES.iterdir() if (p / "pack.toml").is_file())[0]
    exhibit_data = tmp_path / "exhibit"
    truth = last_json_line(
        run_cli(
            "kiosk", "simulate", "--pack", str(pack), "--data", str(exhibit_data), "--sessions", "150", "--seed", "11"
        )
    )
    assert truth["sessions"] == 150 and truth["events"] > 150 * 3
    assert outbox_rows(exhibit_data) == truth["events"]
    # Keep a copy of the full outbox: replaying it later must not change any count.
    replay = tmp_path / "replay.db"
    copy_database(exhibit_data / "outbox.db", replay)

    def counts() -> dict:
        response = controller.get(f"/api/v1/exhibits/{EXHIBIT}/counts")
        return response.json() if response.status_code == 200 else {}

    drain = agent(EXHIBIT, exhibit_data, broker.url, controller.url).start()
    try:
        wait_until(
            lambda: counts().get("events") == truth["events"] and outbox_rows(exhibit_data) == 0,
            120,
            lambda: f"counts {counts()} vs truth {truth}; outbox {outbox_rows(exhibit_data)}\n{drain.tail()}",
        )
    finally:
        drain.stop()
    first = counts()
    assert first["events"] == truth["events"]
    assert first["sessions"] == truth["sessions"]
    listed = controller.get("/api/v1/exhibits").json()
    assert EXHIBIT in [e["id"] for e in listed]

    # Replay every event: the controller ignores what it already has, and acks it all.
    for name in ("outbox.db", "outbox.db-wal", "outbox.db-shm"):
        (exhibit_data / name).unlink(missing_ok=True)
    copy_database(replay, exhibit_data / "outbox.db")
    assert outbox_rows(exhibit_data) == truth["events"]
    again = agent(EXHIBIT, exhibit_data, broker.url, controller.url).start()
    try:
        wait_until(lambda: outbox_rows(exhibit_data) == 0, 120, lambda: f"replay not acked\n{again.tail()}")
    finally:
        again.stop()
    assert counts() == first


def test_api_requires_a_token(controller):
    import httpx

    assert httpx.get(f"{controller.url}/api/v1/exhibits", timeout=5).status_code == 401
    assert (
        httpx.get(f"{controller.url}/api/v1/exhibits", headers={"Authorization": "Bearer wrong"}, timeout=5).status_code
        == 401
    )
