"""Group commit (issue 15): many MQTT messages in one transaction, acked only after it committed.

Real store files; a real Mosquitto for the burst. The storage failure is raised inside the
transaction (as SQLite raises "database or disk is full"); tests/test_hardening_disk_full.py
fills a real tmpfs for the end-to-end case.
"""

from __future__ import annotations

import sqlite3

import pytest

from controller.ingest.storage import StorageUnavailable
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import encode, exhibit_topic
from tests.support.controller import Device, Stack, at, batch, session_events

T0 = at("2025-05-12 10:00")


def count(stack: Stack, sql: str) -> int:
    return stack.controller.store.db.execute(sql).fetchone()[0]


def test_one_transaction_holds_good_bad_and_replayed_messages_each_judged_on_its_own(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(T0))
    try:
        ex = "ex-group-01"
        events = session_events(ex, 1, T0 - 60)
        good = (exhibit_topic(ex, "events"), encode(batch(ex, events)), False)
        state = (exhibit_topic(ex, "state"), encode({"online": True}), False)
        garbage = (exhibit_topic(ex, "events"), b"{not json", False)
        outcomes = stack.controller.handle_messages([state, good, garbage, good])
        assert [o.stored for o in outcomes] == [0, len(events), 0, 0]
        assert [o.duplicates for o in outcomes] == [0, 0, 0, len(events)]  # the replay within the same group
        assert [o.rejected for o in outcomes] == [0, 0, 1, 0]
        assert [len(o.outgoing) for o in outcomes] == [0, 1, 0, 1]  # both copies of the batch are acked
        assert count(stack, "SELECT COUNT(*) FROM events") == len(events)
        assert count(stack, "SELECT COUNT(*) FROM quarantine") == 1
        assert count(stack, "SELECT SUM(sessions) FROM rollup_hourly") == 1
        assert count(stack, "SELECT online FROM exhibits WHERE id = 'ex-group-01'") == 1
    finally:
        stack.close()


def test_a_storage_error_in_the_group_stores_nothing_of_it_and_says_so(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(T0))
    try:
        ex = "ex-group-02"
        messages = [
            (exhibit_topic(ex, "events"), encode(batch(ex, session_events(ex, 1 + 10 * i, T0 - 60))), False)
            for i in range(5)
        ]

        def disk_full(_messages):
            raise sqlite3.OperationalError("database or disk is full")

        with pytest.raises(StorageUnavailable):
            stack.controller.ingester.handle_many(messages, before_commit=disk_full)
        assert count(stack, "SELECT COUNT(*) FROM events") == 0
        assert count(stack, "SELECT COUNT(*) FROM exhibits WHERE id = 'ex-group-02'") == 0
        # Retried (as the bridge does), the same group goes in whole.
        outcomes = stack.controller.ingester.handle_many(messages)
        assert sum(o.stored for o in outcomes) == count(stack, "SELECT COUNT(*) FROM events") > 0
    finally:
        stack.close()


def test_a_burst_through_the_broker_is_all_stored_and_every_batch_acked_once(tmp_path, broker):
    stack = Stack(tmp_path / "ctl", ManualClock(T0), mqtt_url=broker.url)
    devices = [Device(broker.url, f"ex-burst-{i:02d}", channels=("ack",)) for i in range(4)]
    try:
        sent: dict[str, set[str]] = {}
        for n in range(40):  # 160 batches, published without waiting for acks: groups form
            for device in devices:
                body = batch(device.exhibit, session_events(device.exhibit, 1 + 10 * n, T0 - 3600 + n))
                sent.setdefault(device.exhibit, set()).add(body["batch"])
                device.client.publish(exhibit_topic(device.exhibit, "events"), encode(body), qos=1)
        for device in devices:
            acked = {device.next("ack", timeout=60)["batch"] for _ in range(40)}
            assert acked == sent[device.exhibit]
        assert count(stack, "SELECT COUNT(*) FROM events") == 160 * 4  # start, two taps, end
        assert count(stack, "SELECT SUM(sessions) FROM rollup_hourly") == 160
    finally:
        for device in devices:
            device.close()
        stack.close()
