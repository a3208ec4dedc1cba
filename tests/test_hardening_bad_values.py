"""Issue 11, findings 7 and 6: one bad value quarantines its event, not its batch; sizes are capped."""

from __future__ import annotations

import json

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, at, session_events


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")))
    yield stack
    stack.close()


def raw_batch(events_json: list[str]) -> bytes:
    # Written by hand: NaN, Infinity and 2**64 are what a broken or hostile sender puts on the wire.
    return ('{"v":1,"exhibit":"ex-1","batch":"b-1","events":[' + ",".join(events_json) + "]}").encode()


def event_json(seq, ts="1747015200.0", data="{}", kind="tap") -> str:
    return (
        f'{{"id":"e-{seq}","seq":{seq},"ts":{ts},"mono":1.0,"boot":"b","synced":true,'
        f'"type":"{kind}","session":null,"scene":null,"data":{data}}}'
    )


def count(stack: Stack, sql: str) -> int:
    return stack.controller.store.db.execute(sql).fetchone()[0]


def test_one_bad_value_quarantines_that_event_and_the_rest_is_stored_and_acked(stack):
    good = [json.dumps(e) for e in session_events("ex-1", 1, at("2025-05-12 09:00"))]  # seq 1-4
    bad = [
        event_json(5, ts="1e20"),
        event_json(6, ts="NaN"),
        event_json(7, ts="Infinity"),
        event_json(8, ts="-Infinity"),
        event_json(2**64),
        event_json(9, data='{"duration":NaN}', kind="session_end"),
        event_json(10, data=f'{{"interactions":{2**70}}}', kind="session_end"),
        event_json(11, data='{"nested":[1,{"x":Infinity}]}'),
    ]
    outcome = stack.controller.handle_message("kepu/v1/exhibits/ex-1/events", raw_batch(good + bad))
    assert (outcome.stored, outcome.rejected) == (4, len(bad))
    [ack] = [json.loads(o.payload) for o in outcome.outgoing]
    assert (ack["from_seq"], ack["upto_seq"]) == (1, 11)  # a seq no outbox can hold is not acked
    assert count(stack, "SELECT COUNT(*) FROM events") == 4
    assert count(stack, "SELECT COUNT(*) FROM quarantine") == len(bad)
    assert count(stack, "SELECT SUM(sessions) FROM rollup_hourly") == 1
    # The same batch again changes nothing (and is acked again).
    again = stack.controller.handle_message("kepu/v1/exhibits/ex-1/events", raw_batch(good + bad))
    assert again.duplicates == 4 and again.outgoing
    assert stack.ok("GET", "/api/v1/ingest")["rejected"] == 2 * len(bad)


def test_sizes_are_capped_and_quarantine_storage_is_bounded(stack, monkeypatch):
    from controller.ingest import ingester
    from kepu_contracts.limits import BATCH_MAX_BYTES, EVENT_MAX_BYTES

    handle = stack.controller.handle_message
    huge = event_json(1, data=json.dumps({"blob": "x" * EVENT_MAX_BYTES}))
    fine = json.dumps(session_events("ex-1", 2, at("2025-05-12 09:00"))[0])
    outcome = handle("kepu/v1/exhibits/ex-1/events", raw_batch([huge, fine]))
    assert (outcome.stored, outcome.rejected) == (1, 1) and outcome.outgoing  # the big one is not stored
    stored = stack.controller.store.db.execute("SELECT MAX(LENGTH(data)) FROM events").fetchone()[0]
    assert stored < 1000
    # A message over the batch cap is refused before it is parsed.
    too_big = b'{"v":1,"exhibit":"ex-1","batch":"b","events":[],"pad":"' + b"x" * BATCH_MAX_BYTES + b'"}'
    assert handle("kepu/v1/exhibits/ex-1/events", too_big).rejected == 1
    health = b'{"v":1,"exhibit":"ex-1","pad":"' + b"x" * 100_000 + b'"}'
    assert handle("kepu/v1/exhibits/ex-1/health", health).rejected == 1
    assert handle("kepu/v1/exhibits/ex-1/health", b'{"v":1,"cpu_temp":NaN}').rejected == 1
    # Quarantine keeps the newest rows, a bounded excerpt of each, and counts what it dropped.
    longest = stack.controller.store.db.execute("SELECT MAX(LENGTH(payload)) FROM quarantine").fetchone()[0]
    assert longest <= ingester.MAX_QUARANTINED_PAYLOAD
    monkeypatch.setattr(ingester, "QUARANTINE_MAX_ROWS", 10)
    for n in range(25):
        handle("kepu/v1/exhibits/ex-1/events", f"not json {n}".encode())
    assert count(stack, "SELECT COUNT(*) FROM quarantine") == 10
    newest = stack.controller.store.db.execute("SELECT payload FROM quarantine ORDER BY id DESC LIMIT 1").fetchone()
    assert newest[0] == "not json 24"
    body = stack.ok("GET", "/api/v1/ingest")
    assert body["quarantine_dropped"] == count(stack, "SELECT value FROM counters WHERE name = 'rejected'") - 10
