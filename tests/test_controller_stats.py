"""Metrics from rollups with injected time: 开机率, 使用率, bounce, dwell, completion, 好评率, quiz items, reports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from controller.domain.metrics import dwell_percentile
from controller.store.schema import DWELL_COLUMNS
from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, approved_pack, at, batch, session_events

REGION = "guangdong/shenzhen/nanshan/yuehai"


@pytest.fixture
def day(tmp_path):
    """One Monday at venue A (open 09:00-17:00): online 08:00-12:00, four sessions."""
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 07:00")))
    approved_pack(stack, tmp_path, "quake-basics")
    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "粤海", "region": REGION})
    c = stack.controller

    def send(channel: str, payload: dict) -> None:
        outcome = c.handle_message(f"kepu/v1/exhibits/ex-1/{channel}", json.dumps({"v": 1, **payload}).encode())
        assert outcome.rejected == 0

    send("state", {"online": False, "pack": {"id": "quake-basics", "version": "1.0.0"}})
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    stack.clock.set(at("2025-05-12 08:00"))
    send("state", {"online": True, "pack": {"id": "quake-basics", "version": "1.0.0"}})
    events = (
        session_events(
            "ex-1",
            1,
            at("2025-05-12 10:15"),
            2,
            [
                ("scene_enter", {"_scene": "rate"}),
                ("rating", {"value": "up"}),
                ("quiz_answer", {"question": "q1", "choice": "0", "correct": True}),
            ],
        )
        + session_events(
            "ex-1",
            20,
            at("2025-05-12 10:40"),
            2,
            [("rating", {"value": "up"}), ("quiz_answer", {"question": "q1", "choice": "1", "correct": False})],
        )
        + session_events(
            "ex-1",
            40,
            at("2025-05-12 14:05"),
            1,
            [("rating", {"value": "down"}), ("quiz_answer", {"question": "q1", "choice": "0", "correct": True})],
        )
        + session_events(
            "ex-1", 60, at("2025-05-12 20:00"), 3
        )  # after closing: counts, but not as an opening hour used
    )
    send("events", batch("ex-1", events))
    stack.clock.set(at("2025-05-12 12:00"))
    send("state", {"online": False})
    stack.clock.set(at("2025-05-13 00:00"))
    yield stack
    stack.close()


def test_headline_metrics_for_a_day(day):
    m = day.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-12", "end": "2025-05-12", "venue": "v-a"})
    assert m["sessions"] == 4 and m["meaningful_sessions"] == 3
    assert m["bounce_rate"] == pytest.approx(0.25)
    assert m["interactions"] == 8
    assert m["completions"] == 1 and m["completion_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert (m["rating_up"], m["rating_down"]) == (2, 1) and m["satisfaction"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["opening_minutes"] == 480 and m["online_minutes"] == 240
    assert m["online_open_minutes"] == 180 and m["power_on_rate"] == pytest.approx(180 / 480)
    assert (m["used_hours"], m["opening_hours"]) == (2, 8) and m["usage_rate"] == 0.25
    assert 5 <= m["dwell_p50"] <= 15 and m["dwell_p90"] >= m["dwell_p50"]
    quiz = day.ok("GET", "/api/v1/stats/quiz", params={"venue": "v-a"})
    # Wording comes from the uploaded pack's own pack.toml: staff see what was asked and what misled.
    assert quiz == [
        {
            "pack": "quake-basics",
            "question": "q1",
            "prompt": {"zh": "地震时应该？", "en": "In an earthquake you should?"},
            "answers": 3,
            "correct_rate": pytest.approx(2 / 3, abs=1e-3),
            "most_chosen_wrong": "1",
            "most_chosen_wrong_text": {"zh": "B. 坐电梯", "en": "B. Take the lift"},
            "most_chosen_wrong_count": 1,
        }
    ]


def test_usage_grouped_by_topic_region_and_week(day):
    by_topic = day.ok("GET", "/api/v1/stats/usage", params={"group": "topic", "period": "month"})
    assert [(r["topic"], r["period"], r["sessions"]) for r in by_topic] == [("emergency", "2025-05", 4)]
    by_city = day.ok("GET", "/api/v1/stats/usage", params={"group": "region", "period": "week", "region_level": 2})
    assert [(r["region"], r["sessions"]) for r in by_city] == [("guangdong/shenzhen", 4)]
    assert day.ok("GET", "/api/v1/stats/usage", params={"group": "pack", "period": "day", "start": "2025-05-13"}) == []


def test_monthly_report_as_csv_and_xlsx(day):
    rows = day.ok("GET", "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong"})
    assert [r["venue"] for r in rows] == ["v-a", ""]
    assert rows[0]["sessions"] == 4 and rows[0]["exhibits"] == 1 and rows[-1]["sessions"] == 4
    # Over the month so far (May 1 → 13 00:00) the exhibit was online 3 of the 96 opening hours.
    assert rows[0]["power_on_rate"] == pytest.approx(180 / (12 * 480), abs=1e-4)
    csv_bytes = day.http.get(
        "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong", "format": "csv"}
    )
    assert csv_bytes.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(csv_bytes.content.decode("utf-8-sig"))))
    assert table[0][5] == "人次" and table[1][0] == "v-a" and table[1][5] == "4"
    english = day.http.get(
        "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong", "format": "csv", "lang": "en"}
    )
    assert english.content.decode("utf-8-sig").splitlines()[0].startswith("Venue id,Venue,Region,Exhibits")
    xlsx = day.http.get("/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=3, column=1).value == "v-a" and sheet.cell(row=3, column=6).value == 4
    assert sheet.cell(row=2, column=15).value == "开机率 %" and sheet.cell(row=3, column=15).number_format == "0.0%"


def test_dwell_percentiles_interpolate_inside_buckets():
    histogram = [0] * len(DWELL_COLUMNS)
    histogram[1] = 10  # ten sessions of 5-10 s
    assert dwell_percentile(histogram, 0.5) == 7.5
    assert dwell_percentile([0] * len(DWELL_COLUMNS), 0.5) is None


def test_door_counter_footfall_is_acked_on_the_exhibits_own_topic_and_counted(day):
    events = [
        {
            "id": f"door-{i}",
            "seq": i,
            "ts": at("2025-05-12 11:00") + i,
            "mono": 1.0,
            "boot": "b",
            "synced": True,
            "type": "footfall",
            "session": None,
            "scene": None,
            "data": {"count": 3},
        }
        for i in (1, 2)
    ]
    raw = json.dumps({"v": 1, "venue": "v-a", "exhibit": "ex-1", "batch": "door-1", "events": events}).encode()
    # Door counts travel on the exhibit's own topic (the venue topics are retired) and are booked
    # at the venue where the exhibit stands.
    outcome = day.controller.handle_message("kepu/v1/exhibits/ex-1/footfall", raw)
    assert [(m.topic, json.loads(m.payload)["upto_seq"]) for m in outcome.outgoing] == [
        ("kepu/v1/exhibits/ex-1/footfall_ack", 2)
    ]
    day.controller.handle_message("kepu/v1/exhibits/ex-1/footfall", raw)  # a resend counts nothing
    [row] = day.ok(
        "GET",
        "/api/v1/stats/usage",
        params={"group": "venue", "period": "day", "start": "2025-05-12", "end": "2025-05-12"},
    )
    assert row["footfall"] == 6 and row["sessions"] == 4


def test_a_visit_in_progress_that_reached_the_goal_counts_only_when_it_ends(day):
    """Completion ÷ meaningful sessions can never pass 100 %: both are counted at the session's end."""
    c = day.controller
    events = session_events("ex-1", 100, at("2025-05-12 15:00"), 3, [("scene_enter", {"_scene": "rate"})])
    *in_progress, end = events

    def metrics() -> dict:
        return day.ok(
            "GET", "/api/v1/stats/metrics", params={"start": "2025-05-12", "end": "2025-05-12", "venue": "v-a"}
        )

    c.handle_message("kepu/v1/exhibits/ex-1/events", json.dumps({"v": 1, **batch("ex-1", in_progress)}).encode())
    m = metrics()
    assert (m["completions"], m["meaningful_sessions"]) == (1, 3)  # the new visit has not ended yet
    c.handle_message("kepu/v1/exhibits/ex-1/events", json.dumps({"v": 1, **batch("ex-1", [end])}).encode())
    m = metrics()
    assert (m["completions"], m["meaningful_sessions"]) == (2, 4)
    assert m["completion_rate"] == pytest.approx(0.5)
