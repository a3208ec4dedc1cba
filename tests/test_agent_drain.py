"""The drain logic with a fake publisher: bounded batches, order, ack-only deletes, resends."""

from __future__ import annotations

import json

import pytest

from exhibit_agent.drain import Drainer
from kepu_contracts.messages import Ack
from kepu_contracts.outbox import Outbox
from tests.support.agent import write_events


class FakePublisher:
    def __init__(self):
        self.sent: list[tuple[str, dict]] = []

    def publish(self, topic, payload, qos=1, retain=False):
        assert qos == 1 and not retain
        self.sent.append((topic, json.loads(payload)))


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox.db")
    yield box
    box.close()


def drainer(outbox, pub, clock=None, **kw):
    return Drainer(outbox, "events", "ex-1", lambda: "kepu/v1/exhibits/ex-1/events", pub, clock=clock or Clock(), **kw)


def ack_of(batch: dict) -> Ack:
    seqs = [e["seq"] for e in batch["events"]]
    return Ack(batch["batch"], min(seqs), max(seqs))


def test_batches_are_bounded_in_count_and_in_seq_order(outbox):
    ids = write_events(outbox, 450)
    pub = FakePublisher()
    d = drainer(outbox, pub, window=10)
    assert d.pump() == 3
    sizes = [len(b["events"]) for _, b in pub.sent]
    assert sizes == [200, 200, 50]
    sent = [e for _, b in pub.sent for e in b["events"]]
    assert [e["id"] for e in sent] == ids
    assert [e["seq"] for e in sent] == sorted(e["seq"] for e in sent)
    first = pub.sent[0][1]
    assert first["v"] == 1 and first["exhibit"] == "ex-1" and len(first["batch"]) == 32
    assert set(sent[0]) == {"id", "seq", "ts", "mono", "boot", "synced", "type", "session", "scene", "data"}


def test_batches_are_bounded_in_bytes(outbox):
    write_events(outbox, 50)
    pub = FakePublisher()
    d = drainer(outbox, pub, window=100, max_bytes=2000)
    d.pump()
    assert len(pub.sent) > 5
    for _, batch in pub.sent:
        assert len(json.dumps(batch["events"])) <= 2000 + 200


def test_rows_are_deleted_only_on_ack(outbox):
    write_events(outbox, 10)
    pub = FakePublisher()
    d = drainer(outbox, pub)
    d.pump()
    assert outbox.count() == 10, "publishing must not delete anything"
    assert d.on_ack(ack_of(pub.sent[0][1]), trust_unknown=True) == 10
    assert outbox.count() == 0


def test_window_limits_unacked_batches_and_acks_open_it(outbox):
    write_events(outbox, 1000)
    pub = FakePublisher()
    d = drainer(outbox, pub, window=2)
    assert d.pump() == 2
    assert d.pump() == 0
    d.on_ack(ack_of(pub.sent[0][1]), trust_unknown=True)
    assert d.pump() == 1
    assert pub.sent[2][1]["events"][0]["seq"] == pub.sent[1][1]["events"][-1]["seq"] + 1


def test_unacked_batches_are_resent_after_timeout(outbox):
    ids = write_events(outbox, 5)
    pub, clock = FakePublisher(), Clock()
    d = drainer(outbox, pub, clock=clock, ack_timeout=10)
    d.pump()
    clock.t = 9.9
    d.pump()
    assert len(pub.sent) == 1
    clock.t = 10.1
    d.pump()
    assert len(pub.sent) == 2
    assert [e["id"] for e in pub.sent[1][1]["events"]] == ids
    assert pub.sent[1][1]["batch"] != pub.sent[0][1]["batch"]


def test_reset_resends_from_the_oldest_unacked_row_and_late_acks_still_count(outbox):
    write_events(outbox, 300)
    pub = FakePublisher()
    d = drainer(outbox, pub, window=10)
    d.pump()
    old_first, old_second = pub.sent[0][1], pub.sent[1][1]
    d.reset()  # e.g. reconnect
    d.pump()
    assert pub.sent[2][1]["events"][0]["seq"] == old_first["events"][0]["seq"]
    # An ack for a batch from before the reset still proves those rows are committed.
    assert d.on_ack(ack_of(old_first), trust_unknown=True) == 200
    assert d.on_ack(ack_of(old_second), trust_unknown=True) == 100
    assert outbox.count() == 0


def test_resumes_from_outbox_on_a_new_drainer(outbox):
    ids = write_events(outbox, 30)
    pub = FakePublisher()
    d = drainer(outbox, pub, max_events=10, window=1)
    d.pump()
    d.on_ack(ack_of(pub.sent[0][1]), trust_unknown=True)
    d.pump()  # sent, never acked: the agent "dies" here
    fresh_pub = FakePublisher()
    drainer(outbox, fresh_pub, max_events=10, window=5).pump()
    resent = [e["id"] for _, b in fresh_pub.sent for e in b["events"]]
    assert resent == ids[10:]


def test_foreign_footfall_acks_on_a_shared_venue_topic_delete_nothing(outbox):
    write_events(outbox, 5, stream="footfall")
    pub = FakePublisher()
    d = Drainer(
        outbox, "footfall", "ex-1", lambda: "kepu/v1/venues/v1/footfall", pub, venue=lambda: "v1", clock=Clock()
    )
    d.pump()
    assert pub.sent[0][1]["venue"] == "v1"
    # Another exhibit's ack at the same venue, with overlapping seq numbers.
    assert d.on_ack(Ack("someone-elses-batch", 1, 10**6, exhibit="ex-2"), trust_unknown=False) == 0
    assert outbox.count("footfall") == 5
    assert d.on_ack(ack_of(pub.sent[0][1]), trust_unknown=False) == 5


def test_footfall_waits_for_a_venue_and_streams_do_not_mix(outbox):
    write_events(outbox, 3, stream="footfall")
    write_events(outbox, 4, stream="events")
    pub = FakePublisher()
    venue = {"v": None}
    d = Drainer(
        outbox,
        "footfall",
        "ex-1",
        lambda: venue["v"] and f"kepu/v1/venues/{venue['v']}/footfall",
        pub,
        venue=lambda: venue["v"],
        clock=Clock(),
    )
    assert d.pump() == 0 and not pub.sent
    venue["v"] = "v1"
    d.pump()
    assert len(pub.sent[0][1]["events"]) == 3
    d.on_ack(Ack(pub.sent[0][1]["batch"], 1, 10**6), trust_unknown=False)
    assert outbox.count("events") == 4, "a footfall ack must not delete visitor events"
