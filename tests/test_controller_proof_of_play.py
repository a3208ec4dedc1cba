"""Proof of play from media_start / media_end: rollups by item, exhibit, venue and day; signage 使用率; files."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from kepu_contracts.protocol import encode
from tests.support.controller import at, batch

SIGNAGE_HOURS = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def media(exhibit: str, seq: int, ts: float, item: str, seconds: float, completed: bool, **data) -> list[dict]:
    common = {"item": item, "pack": "screen", "language": "zh", "kind": "video", "source": "signage", **data}

    def event(offset: int, kind: str, extra: dict) -> dict:
        return {
            "id": f"{exhibit}-{uuid.uuid4().hex}",
            "seq": seq + offset,
            "ts": ts + (seconds if kind == "media_end" else 0),
            "mono": float(seq + offset),
            "boot": "b",
            "synced": True,
            "type": kind,
            "session": None,
            "scene": "signage",
            "data": {**common, **extra},
        }

    return [event(0, "media_start", {}), event(1, "media_end", {"seconds": seconds, "completed": completed})]


@pytest.fixture
def screen(make_stack):
    stack = make_stack("2025-05-12 20:00")
    c = stack.controller
    c.handle_message("kepu/v1/exhibits/ex-screen/state", encode({"online": True, "exhibit": "ex-screen"}))
    region = "guangdong/shenzhen/nanshan/yuehai"
    venue = {"id": "v-hall", "name": "粤海科普大厅", "region": region, "opening_hours": SIGNAGE_HOURS}
    stack.ok("POST", "/api/v1/venues", json=venue)
    stay = stack.ok(
        "POST",
        "/api/v1/rotations",
        json={
            "exhibit": "ex-screen",
            "venue": "v-hall",
            "starts": "2025-05-12T00:00:00",
            "ends": "2025-06-01T00:00:00",
        },
    )
    events = []
    seq = 1
    # 09:00-10:00: a 60 s film six times (five completed, one cut short at 20 s), and a 30 s picture twice.
    for i in range(6):
        events += media("ex-screen", seq, at("2025-05-12 09:00") + i * 70, "films/quake.mp4", 60 if i else 20, i > 0)
        seq += 2
    for i in range(2):
        events += media("ex-screen", seq, at("2025-05-12 09:30") + i * 40, "poster-fire", 30, True, kind="picture")
        seq += 2
    # 19:00 (closed): played, counted as plays, but not as opening-hours usage.
    events += media("ex-screen", seq, at("2025-05-12 19:00"), "films/quake.mp4", 60, True)
    c.handle_message("kepu/v1/exhibits/ex-screen/events", encode(batch("ex-screen", events)))
    c.ingester.tick()
    return stack, stay


def test_plays_completed_and_minutes_by_item_and_day(screen):
    stack, _ = screen
    rows = stack.ok("GET", "/api/v1/stats/media", params={"group": "item"})
    by_item = {r["item"]: r for r in rows}
    film, poster = by_item["films/quake.mp4"], by_item["poster-fire"]
    assert (film["plays"], film["completed"], film["minutes"]) == (7, 6, round((20 + 60 * 6) / 60, 1))
    assert film["kind"] == "video" and film["pack"] == "screen" and film["completion_rate"] == round(6 / 7, 4)
    assert (poster["plays"], poster["completed"], poster["minutes"], poster["kind"]) == (2, 2, 1.0, "picture")
    [day] = stack.ok("GET", "/api/v1/stats/media", params={"group": "day"})
    assert (day["day"], day["plays"]) == ("2025-05-12", 9)
    [venue] = stack.ok("GET", "/api/v1/stats/media", params={"group": "venue", "region": "guangdong"})
    assert venue["venue"] == "v-hall" and venue["plays"] == 9
    assert stack.ok("GET", "/api/v1/stats/media", params={"source": "scene"}) == []


def test_signage_usage_counts_minutes_played_in_opening_hours_only(screen):
    stack, _ = screen
    figures = stack.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-12", "end": "2025-05-12"})
    signage = figures["signage"]
    # Open 09:00-17:00 = 480 minutes; played 7 + 1 = 8 minutes inside them (the 19:00 play is outside).
    assert signage["screens"] == 1 and signage["opening_minutes"] == 480.0
    assert signage["played_minutes"] == pytest.approx((20 + 60 * 5 + 60) / 60, abs=0.05)
    assert signage["usage_rate"] == pytest.approx(((20 + 60 * 5 + 60) / 60) / 480, abs=1e-3)


def test_cancelling_the_stay_moves_the_plays_to_in_transit(screen):
    stack, stay = screen
    stack.ok("DELETE", f"/api/v1/rotations/{stay['id']}")
    rows = stack.ok("GET", "/api/v1/stats/media", params={"group": "venue"})
    assert [(r["venue"], r["plays"]) for r in rows] == [("", 9)]


def test_proof_of_play_as_csv_and_xlsx(screen):
    stack, _ = screen
    text = stack.http.get("/api/v1/stats/media", params={"format": "csv", "lang": "en"}).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["Pack", "Item", "Kind", "Plays", "Completed plays", "Completion rate %", "Minutes played"]
    assert table[1][:4] == ["screen", "films/quake.mp4", "video", "7"] and table[1][5] == "85.7"
    book = load_workbook(io.BytesIO(stack.http.get("/api/v1/stats/media", params={"format": "xlsx"}).content))
    sheet = book.active
    assert sheet.title == "播放证明" and sheet.cell(row=3, column=2).value == "films/quake.mp4"
    assert sheet.cell(row=3, column=6).number_format == "0.0%"


def test_malformed_media_events_change_nothing(screen):
    stack, _ = screen
    before = stack.ok("GET", "/api/v1/stats/media")
    bad = media("ex-screen", 900, at("2025-05-12 10:00"), "", 60, True)  # no item
    bad += media("ex-screen", 910, at("2025-05-12 10:00"), "x", float("inf"), True)[1:]  # end without a start, inf
    stack.controller.handle_message("kepu/v1/exhibits/ex-screen/events", encode(batch("ex-screen", bad)))
    after = {r["item"]: r for r in stack.ok("GET", "/api/v1/stats/media")}
    assert {r["item"]: r for r in before}["films/quake.mp4"] == after["films/quake.mp4"]
    assert after.get("x", {"minutes": 0})["minutes"] <= 6 * 60


def test_the_proof_of_play_page_and_its_downloads(screen):
    stack, _ = screen
    page = stack.client(None)
    assert page.post("/login", data={"token": stack.settings.admin_token}, follow_redirects=False).status_code == 303
    for lang, title, row in (("zh", "播放证明", "视频"), ("en", "Proof of play", "video")):
        html = page.get("/media", params={"days": 30, "lang": lang}).text
        assert title in html and "films/quake.mp4" in html and row in html
        assert 'data-testid="media-plays">9<' in html
    by_venue = page.get("/media", params={"group": "venue", "region": "guangdong/shenzhen"}).text
    assert "v-hall" in by_venue
    text = page.get("/media.csv", params={"lang": "zh"}).content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("资源包,内容,类型,播放次数")
    assert page.get("/media", params={"group": "nonsense"}).status_code == 422


def test_the_monthly_report_has_a_proof_of_play_section(screen):
    stack, _ = screen
    rows = stack.ok("GET", "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong"})
    hall = next(r for r in rows if r["venue"] == "v-hall")
    assert (hall["media_plays"], hall["media_completed"]) == (9, 8) and rows[-1]["media_plays"] == 9
    xlsx = stack.http.get(
        "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(xlsx.content))["播放证明"]
    assert [c.value for c in sheet[1]][:4] == ["资源包", "内容", "类型", "播放次数"]
    assert sheet.cell(row=2, column=2).value == "films/quake.mp4" and sheet.cell(row=2, column=4).value == 7


def test_the_exhibit_page_says_which_usage_rate_applies(screen, make_stack):
    stack, _ = screen
    page = stack.client(None)
    page.post("/login", data={"token": stack.settings.admin_token})
    html = page.get("/exhibits/ex-screen", params={"lang": "en"}).text
    assert 'data-usage="signage"' in html and "minutes played in opening hours" in html
    stack.controller.handle_message("kepu/v1/exhibits/ex-touch/state", encode({"online": True, "exhibit": "ex-touch"}))
    html = page.get("/exhibits/ex-touch", params={"lang": "zh"}).text
    assert 'data-usage="interactive"' in html and "有访客的开放小时" in html
