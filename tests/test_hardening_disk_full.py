"""Issue 11, finding 2: a full disk pauses ingest (no acks, retried), is reported, and resumes by itself.

The controller's data directory is a real, tiny tmpfs; a real Mosquitto carries the batches.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from controller.devtools.broker import Broker
from kepu_contracts.clock import ManualClock
from tests.support.alerts import WebhookReceiver
from tests.support.controller import ADMIN, Device, Stack, at, batch, session_cookies, session_events


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MiB tmpfs, mounted for this test only (needs root; skipped elsewhere)."""
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a filler file until the filesystem is full."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):  # big blocks, then the last few bytes too
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_full_disk_pauses_ingest_reports_it_and_resumes_with_exactly_the_ground_truth(tmp_path, small_disk):
    with Broker(workdir=tmp_path / "broker") as broker:
        stack = Stack(small_disk / "ctl", ManualClock(at("2025-05-12 10:00")), mqtt_url=broker.url)
        device = Device(broker.url, "ex-1")
        hook = WebhookReceiver()
        try:
            # The province's on-call robot hears the controller's own alerts (root region).
            stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": "", "rules": []})
            stack.ok("PATCH", "/api/v1/alerts/rules/storage_unwritable", json={"after_seconds": 30})
            sent: list[dict] = []

            def send(n: int) -> None:
                events = session_events("ex-1", 1 + n * 100, at("2025-05-12 09:00") + n * 10)
                sent.extend(events)
                device.publish(batch("ex-1", events))

            cookies = session_cookies(stack.server.url, ADMIN)  # staff logged in before the disk filled
            for n in range(3):
                send(n)
                assert device.next("ack")["upto_seq"] == n * 100 + 4
            filler = fill(small_disk)
            for n in range(3, 40):
                send(n)  # ~40 KB of events each round: the WAL cannot grow
            with pytest.raises(queue.Empty):
                while True:  # whatever was committed before the disk filled is acked; then nothing
                    device.next("ack", timeout=3)
            health = stack.ok("GET", "/api/v1/ingest")
            assert health["storage"]["ok"] is False, health["storage"]
            assert "full" in health["storage"]["error"]
            assert health["storage"]["pending"] >= 1
            page = httpx.get(f"{stack.server.url}/", cookies=cookies, follow_redirects=False)
            assert page.status_code == 200 and 'data-testid="storage-alert"' in page.text
            # The rest of the controller still answers; a write says why it cannot be done (no 500).
            assert stack.http.get("/api/v1/exhibits").status_code == 200
            refused = stack.http.post("/api/v1/venues", json={"id": "v-x", "name": "x", "region": "guangdong"})
            assert refused.status_code == 503 and "full" in refused.json()["detail"]
            # The alert: the queue of notices is in the database, so this one goes out directly.
            assert wait_until(lambda: stack.controller.storage_watch.failure is not None, 10)
            assert hook.messages() == []  # not before the rule's 30 s
            stack.clock.advance(31)
            assert wait_until(lambda: len(hook.messages()) == 1, 15), hook.messages()
            alert = hook.messages()[0]
            assert "Controller database cannot be written" in alert["title"] and "full" in alert["message"]
            os.unlink(filler)  # a technician frees the disk: no restart
            seqs = {e["seq"] for e in sent}

            def stored() -> set[int]:
                rows = stack.controller.store.db.execute("SELECT seq FROM events WHERE exhibit = 'ex-1'")
                return {r[0] for r in rows}

            assert wait_until(lambda: stored() == seqs, 60), sorted(seqs - stored())[:10]
            count = stack.controller.store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            assert count == len(sent)
            sessions = stack.controller.store.db.execute("SELECT COALESCE(SUM(sessions), 0) FROM rollup_hourly")
            assert sessions.fetchone()[0] == 40
            assert wait_until(lambda: stack.ok("GET", "/api/v1/ingest")["storage"]["ok"] is True, 10)
            # Recorded once writes work, and the all-clear goes out through the ordinary queue.
            assert wait_until(lambda: len(hook.messages()) == 2, 15), hook.messages()
            assert "Resolved" in hook.messages()[1]["title"]
            (record,) = stack.ok("GET", "/api/v1/alerts", params={"rule": "storage_unwritable"})
            assert record["state"] == "resolved" and "full" in record["detail"]["error"]
            page = httpx.get(f"{stack.server.url}/alerts?state=resolved", cookies=cookies)
            assert page.status_code == 200 and 'data-testid="alert-controller"' in page.text
            # And the loop is alive: a new batch is acked at once.
            send(40)
            assert device.latest("ack", lambda a: a["upto_seq"] == 40 * 100 + 4, timeout=10)
        finally:
            hook.close()
            device.close()
            stack.close()
