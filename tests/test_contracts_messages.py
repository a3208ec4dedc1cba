"""Every message on the kepu topics round-trips through its builder, the codec and its parser."""

from __future__ import annotations

import pytest

from kepu_contracts import messages
from kepu_contracts.clock import ManualClock
from kepu_contracts.events import EVENT_TYPES, Event, EventType
from kepu_contracts.outbox import Outbox
from kepu_contracts.protocol import (
    ProtocolError,
    decode,
    encode,
    exhibit_topic,
    parse_broker_url,
    parse_event_batch,
    parse_topic,
    validate_event,
    venue_topic,
)
from kepu_contracts.times import iso, parse_instant

SHA = "ab" * 32
T0 = 1_767_225_600.0


def wire(payload):
    """What the other side sees: encoded, sent, decoded."""
    return decode(encode(payload))


def test_topics_are_built_and_parsed_by_the_same_rules():
    for channel in ("events", "ack", "state", "health", "desired", "reported", "commands", "command_results"):
        parts = parse_topic(exhibit_topic("ex-quake-01", channel))
        assert (parts.kind, parts.ident, parts.channel) == ("exhibits", "ex-quake-01", channel)
    assert parse_topic(venue_topic("v-futian", "footfall")).kind == "venues"
    for bad in ("kepu/v2/exhibits/a/events", "kepu/v1/exhibits/../events", "kepu/v1/other/a/b", "kepu/v1/exhibits/a"):
        with pytest.raises(ProtocolError):
            parse_topic(bad)
    with pytest.raises(ValueError, match="unknown exhibit channel"):
        exhibit_topic("ex-1", "secrets")


def test_the_codec_carries_the_version_and_refuses_anything_else():
    assert wire({"a": "科普"}) == {"v": 1, "a": "科普"}
    for raw, reason in ((b"\xff", "UTF-8"), (b"[1]", "object"), (b'{"v": 2}', "version"), (b"{", "JSON")):
        with pytest.raises(ProtocolError, match=reason):
            decode(raw)


def test_an_outbox_row_is_a_valid_wire_event_and_a_batch_round_trips(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    clock = ManualClock(T0)
    outbox.append([Event(EventType.TAP, clock.stamp(), session="s1", scene="home", data={"target": "quiz"})])
    [row] = outbox.pending()
    event = row.to_wire()
    assert validate_event(event) is None
    batch = parse_event_batch(wire(messages.event_batch("ex-1", "b-1", [event])), "ex-1")
    assert batch.events == [event] and batch.events[0]["type"] == "tap"
    with pytest.raises(ProtocolError, match="does not match the topic"):
        parse_event_batch(wire(messages.event_batch("ex-1", "b-1", [event])), "ex-2")
    footfall = wire(messages.event_batch("ex-door", "b-2", [event], venue="v-1"))
    assert parse_event_batch(footfall, "v-1", id_field="venue").exhibit == "v-1"


def test_malformed_events_are_named():
    good = {"id": "e1", "seq": 1, "ts": T0, "mono": 1.0, "boot": "b", "synced": True, "type": "tap"}
    assert validate_event(good) is None
    assert "seq" in validate_event({**good, "seq": "1"})
    assert "synced" in validate_event({**good, "synced": 1})
    assert "must be positive" in validate_event({**good, "seq": 0})
    assert "data" in validate_event({**good, "data": []})
    assert "not an object" in validate_event([good])


def test_ack_round_trip_and_nonsense_ranges():
    ack = messages.parse_ack(wire(messages.ack("b-1", 3, 9)))
    assert (ack.batch, ack.from_seq, ack.upto_seq) == ("b-1", 3, 9)
    for bad in ({"upto_seq": -1}, {"upto_seq": 2, "from_seq": 5}, {"upto_seq": True}, {}):
        with pytest.raises(ProtocolError):
            messages.parse_ack(bad)


def test_desired_round_trip_from_the_controllers_builder_to_the_agents_parser():
    pack = messages.pack_ref("quake", "1.2.0", SHA, "http://ctl:8080")
    emergency = messages.emergency_ref(7, "请撤离", "Please evacuate", T0, T0 + 3600, "Asia/Shanghai")
    doc = messages.desired(
        "ex-1", {"id": "v-1", "name": "福田"}, {"mon": ["09:00-17:00"]}, pack, emergency, {"timezone": "Asia/Shanghai"}
    )
    parsed = messages.parse_desired(wire(doc))
    assert parsed.venue == "v-1"
    assert parsed.pack == messages.PackRef("quake", "1.2.0", SHA, "http://ctl:8080/api/v1/packs/quake/1.2.0/manifest")
    assert parsed.emergency is not None and parsed.emergency.id == "7"
    assert (parsed.emergency.starts, parsed.emergency.expires) == (T0, T0 + 3600)
    assert parsed.emergency.active(T0) and not parsed.emergency.active(T0 + 3600)
    assert parsed.opening_hours == {"mon": ["09:00-17:00"]} and parsed.config == {"timezone": "Asia/Shanghai"}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"venue": "../x"}, "venue"),
        ({"pack": "quake"}, "pack"),
        ({"pack": {"id": "q", "version": "1", "manifest_sha256": "XYZ", "url": "u"}}, "manifest_sha256"),
        ({"emergency": {"message": {}}}, "emergency"),
        ({"emergency": {"id": 1, "message": {"zh": 3}}}, "message"),
        ({"emergency": {"id": 1, "starts": "soon"}}, "starts"),
        ({"config": []}, "config"),
    ],
)
def test_bad_desired_fields_are_named(change, field):
    with pytest.raises(ProtocolError, match=field):
        messages.parse_desired({**messages.desired("ex-1", None, None, None, None, {}), **change})


def test_state_reported_and_install_results_round_trip():
    online = wire(messages.state_online("ex-1", "0.1.0", T0, {"id": "quake", "version": "1.0.0"}, "0.1.0"))
    assert online["online"] is True and parse_instant(online["since"]) == T0 and online["since"].endswith("Z")
    assert wire(messages.state_offline("ex-1"))["online"] is False
    result = messages.install_result({"id": "quake", "version": "1.0.1"}, "rolled_back", "font broken", T0)
    doc = wire(messages.reported({"id": "quake", "version": "1.0.0"}, None, result, emergency="7", emergency_shown="7"))
    assert doc["last_install"]["result"] == "rolled_back" and parse_instant(doc["last_install"]["at"]) == T0
    assert doc["emergency_shown"] == "7"


def test_commands_keep_their_id_and_type_whatever_the_args_say():
    sent = messages.command("c-1", "screenshot", {"id": "evil", "type": "restart_kiosk", "scale": 0.5})
    parsed = messages.parse_command(wire(sent))
    assert (parsed.id, parsed.type, parsed.args) == ("c-1", "screenshot", {"scale": 0.5})
    for bad in ({"type": "screenshot"}, {"id": "c", "type": ""}, {"id": "x" * 65, "type": "screenshot"}):
        with pytest.raises(ProtocolError):
            messages.parse_command(bad)
    assert wire(messages.command_result("c-1", False, "no kiosk")) == {
        "v": 1,
        "id": "c-1",
        "ok": False,
        "error": "no kiosk",
    }


def test_one_time_format_for_wire_and_api():
    assert iso(T0) == "2026-01-01T00:00:00Z"
    assert iso(T0, "Asia/Shanghai") == "2026-01-01T08:00:00+08:00"
    assert iso(T0 + 0.25, timespec="milliseconds") == "2026-01-01T00:00:00.250Z"
    for text in (iso(T0), iso(T0, "Asia/Shanghai"), "2026-01-01T00:00:00"):
        assert parse_instant(text) == T0
    assert parse_instant(None) is None and parse_instant(5) == 5.0
    with pytest.raises(ValueError):
        parse_instant("tomorrow")
    with pytest.raises(ValueError):
        parse_instant(True)


def test_one_clock_interface_for_every_process():
    clock = ManualClock(T0)
    clock.advance(1.5)
    assert clock.now() == T0 + 1.5 and clock.monotonic() == 1.5 and clock.stamp().ts == T0 + 1.5
    clock.set(T0 + 60)
    assert clock.now() == T0 + 60 and clock.monotonic() == 60
    clock.set(T0)  # the wall clock may be set back (NTP); monotonic time never goes back
    assert clock.now() == T0 and clock.monotonic() == 60


def test_event_types_are_the_enum_and_serialise_as_plain_text():
    assert tuple(t.value for t in EventType) == EVENT_TYPES
    assert encode({"type": EventType.SESSION_END}) == b'{"v":1,"type":"session_end"}'


def test_broker_urls():
    url = parse_broker_url("mqtts://ex%2D1:p%40ss@broker.local")
    assert (url.host, url.port, url.username, url.password, url.tls) == ("broker.local", 8883, "ex-1", "p@ss", True)
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883
    with pytest.raises(ValueError, match="mqtt://"):
        parse_broker_url("http://x")


def test_device_numbers_are_finite_numbers_or_nothing():
    assert messages.number(3) == 3.0 and messages.number(2.5) == 2.5
    for bad in (True, "3", None, float("nan"), float("inf"), -float("inf"), 10**400, [1]):
        assert messages.number(bad) is None, bad
