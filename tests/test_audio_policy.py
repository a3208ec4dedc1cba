"""Volume and quiet hours as a contract (issue 10): parsing, round trips through every seam, quiet-hours logic."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kepu_contracts.audio import AudioError, AudioPolicy, QuietRange, parse_audio, parse_range
from kepu_contracts.clock import ManualClock
from kepu_contracts.control import ControlError, parse_control, write_control
from kepu_contracts.messages import desired, parse_desired, parse_reported, reported
from kepu_contracts.protocol import ProtocolError, decode, encode
from kiosk.volume import Loudness


def local(text: str, tz: str = "Asia/Shanghai") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


NAP = {"volume": 70, "quiet": ["12:00-13:30"], "quiet_volume": 0}


# -- the wire ----------------------------------------------------------------------------


def test_desired_audio_round_trips_through_the_wire():
    body = desired("ex-1", {"id": "v-a", "name": "A"}, None, None, None, {"timezone": "Asia/Shanghai"}, NAP)
    parsed = parse_desired(decode(encode(body)))
    assert parsed.audio == AudioPolicy(70, (QuietRange(720, 810),), 0, "Asia/Shanghai")
    assert parsed.audio.doc() == NAP


def test_desired_without_audio_still_parses_and_means_not_managed():
    old = {"v": 1, "exhibit": "ex-1", "venue": None, "pack": None, "emergency": None, "config": {}}
    assert parse_desired(old).audio is None
    assert "audio" not in desired("ex-1", None, None, None, None, {}), "unchanged bytes when nothing sets audio"


@pytest.mark.parametrize(
    "audio, words",
    [
        ({"volume": 150}, "volume must be a whole percent"),
        ({"volume": 50, "quiet": ["12-13"]}, "is not a time range"),
        ({"volume": 50, "quiet": "12:00-13:00"}, "quiet must be a list"),
        ({"volume": True}, "volume must be a whole percent"),
    ],
)
def test_bad_desired_audio_is_a_protocol_error_naming_the_field(audio, words):
    with pytest.raises(ProtocolError, match=f"desired.audio: .*{words}"):
        parse_desired({"config": {"timezone": "Asia/Shanghai"}, "audio": audio})


def test_control_file_round_trip_carries_the_zone(tmp_path):
    policy = parse_audio(NAP, "Asia/Shanghai")
    path = tmp_path / "control.json"
    write_control(path, None, {}, 1_747_000_000.0, audio=policy.doc(with_zone=True))
    assert parse_control(json.loads(path.read_text())).audio == policy
    write_control(path, None, {}, 1_747_000_000.0)
    assert parse_control(json.loads(path.read_text())).audio is None
    assert parse_control({"v": 1, "emergency": None}).audio is None, "an older agent's file"
    with pytest.raises(ControlError, match=r"audio: .*unknown time zone"):
        parse_control({"audio": {**NAP, "timezone": "Mars/Olympus"}})


def test_reported_audio_is_optional_and_lenient():
    assert parse_reported(reported(None, None, None, audio={"volume": 40, "quiet": True})).audio.volume == 40
    assert parse_reported({"installed": None}).audio is None
    assert parse_reported({"audio": {"volume": "loud"}}).audio is None
    assert parse_reported({"audio": {"volume": 400}}).audio is None


# -- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, message",
    [
        (None, "audio must be an object"),
        ({"volume": -1}, "volume must be a whole percent from 0 to 100, got -1"),
        ({"volume": 101}, "got 101"),
        ({"volume": 50.5}, "got 50.5"),
        ({"quiet_volume": 200}, "quiet_volume must be a whole percent"),
        ({"quiet": ["25:00-26:00"]}, "'25:00-26:00' is not a time range"),
        ({"quiet": ["12:00-12:00"]}, "starts and ends at the same time"),
        ({"quiet": [1200]}, "1200 is not a time range"),
        ({"quiet": ["12:00-13:00"] * 13}, "at most 12 ranges"),
        ({"loudness": 3}, "unknown field 'loudness'"),
    ],
)
def test_bad_policies_are_refused_with_the_part_named(raw, message):
    with pytest.raises(AudioError, match=message.replace("(", r"\(")):
        parse_audio(raw, "Asia/Shanghai")


def test_ranges_are_normalised():
    assert parse_range(" 12:00 - 13:30 ").text() == "12:00-13:30"
    assert parse_range("21:30–08:00").text() == "21:30-08:00"  # an en dash, as people type it
    assert parse_range("00:00-24:00").holds(0) and parse_range("00:00-24:00").holds(1439.9)


def test_quiet_hours_follow_a_manual_clock_through_nap_time():
    policy = parse_audio(NAP, "Asia/Shanghai")
    clock = ManualClock(local("2025-05-12 11:59:30"))
    assert policy.percent_at(clock.now()) == 70
    clock.advance(30)  # 12:00:00 sharp
    assert policy.quiet_at(clock.now()) and policy.percent_at(clock.now()) == 0
    clock.advance(89 * 60 + 59)  # 13:29:59
    assert policy.percent_at(clock.now()) == 0
    clock.advance(1)  # 13:30: the end is not quiet
    assert policy.percent_at(clock.now()) == 70


def test_a_range_across_midnight_covers_late_evening_and_early_morning():
    policy = parse_audio({"volume": 80, "quiet": ["21:30-08:00"], "quiet_volume": 20}, "Asia/Shanghai")
    for text, quiet in [
        ("2025-05-12 21:29", False),
        ("2025-05-12 21:30", True),
        ("2025-05-12 23:59", True),
        ("2025-05-13 00:00", True),
        ("2025-05-13 07:59", True),
        ("2025-05-13 08:00", False),
        ("2025-05-13 12:00", False),
    ]:
        assert policy.quiet_at(local(text)) is quiet, text
    assert policy.percent_at(local("2025-05-13 03:00")) == 20


def test_quiet_hours_are_local_to_the_venue_zone():
    instant = local("2025-05-12 12:30", "Asia/Shanghai")  # 06:30 in Berlin (summer time), 04:30 UTC
    assert parse_audio(NAP, "Asia/Shanghai").quiet_at(instant)
    assert not parse_audio(NAP, "Europe/Berlin").quiet_at(instant)
    assert not parse_audio(NAP, "UTC").quiet_at(instant)
    berlin_nap = local("2025-05-12 12:30", "Europe/Berlin")
    assert parse_audio(NAP, "Europe/Berlin").quiet_at(berlin_nap)


def test_quiet_hours_never_make_an_exhibit_louder():
    policy = parse_audio({"volume": 30, "quiet": ["12:00-13:30"], "quiet_volume": 60}, "UTC")
    assert policy.percent_at(local("2025-05-12 12:10", "UTC")) == 30


def test_the_kiosk_loudness_follows_the_clock_and_pushes_changes_only():
    heard: list[float] = []
    loud = Loudness([heard.append], interval=0.5)
    clock = ManualClock(local("2025-05-12 11:59:00"))
    policy = parse_audio(NAP, "Asia/Shanghai")
    assert loud.follow(policy, clock.now(), clock.monotonic()) and heard == [0.7]
    clock.advance(0.2)
    assert not loud.follow(policy, clock.now(), clock.monotonic())
    clock.advance(60)  # 12:00:00.2
    assert loud.follow(policy, clock.now(), clock.monotonic())
    assert heard == [0.7, 0.0] and loud.report() == {"volume": 0, "quiet": True}
    assert loud.follow(None, clock.now(), clock.monotonic()), "setting removed: full volume at once"
    assert heard[-1] == 1.0 and loud.report() == {"volume": 100, "quiet": False}


def test_the_agent_keeps_quiet_hours_across_a_restart_without_rewriting(tmp_path):
    from exhibit_agent.control_file import ControlFile

    path = tmp_path / "control.json"
    first = ControlFile(path)
    first.set_audio(parse_audio(NAP, "Asia/Shanghai"))
    assert first.refresh(1_747_000_000.0)
    written = json.loads(path.read_text())["audio"]
    assert written == {**NAP, "timezone": "Asia/Shanghai"}
    again = ControlFile(path)  # the agent restarted, no broker yet
    assert again.audio == parse_audio(NAP, "Asia/Shanghai")
    assert not again.refresh(1_747_000_100.0), "nothing changed: no rewrite"
    again.set_audio(None)
    assert again.refresh(1_747_000_200.0) and json.loads(path.read_text())["audio"] is None


def test_a_bad_audio_block_keeps_the_kiosk_on_the_last_good_setting(tmp_path):
    from kepu_contracts.datadir import write_json_atomic
    from kiosk.control_watcher import ControlWatcher

    path = tmp_path / "control.json"
    write_json_atomic(path, {"v": 1, "emergency": None, "audio": {**NAP, "timezone": "Asia/Shanghai"}})
    watcher = ControlWatcher(path)
    assert watcher.check() and watcher.latest.audio == parse_audio(NAP, "Asia/Shanghai")
    write_json_atomic(path, {"v": 1, "emergency": None, "audio": {"volume": 300}, "pad": 1})
    assert not watcher.check()
    assert watcher.problems == 1 and "volume must be a whole percent" in (watcher.problem or "")
    assert watcher.latest.audio == parse_audio(NAP, "Asia/Shanghai"), "the last good setting stays"
