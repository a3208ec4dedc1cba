"""Volume and quiet hours set through the API and the dashboard (issue 10): scope, audit, bad input, desired state."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from controller.domain import fleet
from kepu_contracts.messages import parse_desired
from kepu_contracts.protocol import encode, exhibit_topic
from tests.support.controller import ADMIN, Stack, at

NANSHAN = "guangdong/shenzhen/nanshan"
FUTIAN = "guangdong/shenzhen/futian"
NAP = {"volume": 70, "quiet": ["12:00-13:30"], "quiet_volume": 0}


@pytest.fixture
def kindergarten(make_stack):
    """Two venues in two districts; ex-1 stands at the kindergarten in Nanshan, ex-2 in Futian."""
    stack = make_stack("2025-05-12 12:15", serve=True)
    stack.ok("POST", "/api/v1/venues", json={"id": "v-kg", "name": "蓓蕾幼儿园", "region": f"{NANSHAN}/yuehai"})
    stack.ok("POST", "/api/v1/venues", json={"id": "v-lh", "name": "莲花少年宫", "region": f"{FUTIAN}/lianhua"})
    with stack.controller.store.write() as db:
        fleet.register(db, "ex-1", stack.clock.now(), name="地震逃生", region=NANSHAN, enrolled=True)
        fleet.register(db, "ex-2", stack.clock.now(), name="防诈骗", region=FUTIAN, enrolled=True)
    for exhibit, venue in (("ex-1", "v-kg"), ("ex-2", "v-lh")):
        stack.ok(
            "POST",
            "/api/v1/rotations",
            json={"exhibit": exhibit, "venue": venue, "starts": "2025-05-01T00:00", "ends": "2025-07-01T00:00"},
        )
    return stack


def desired_audio(stack: Stack, exhibit: str = "ex-1") -> dict | None:
    body = stack.ok("GET", f"/api/v1/exhibits/{exhibit}/desired")
    return body.get("audio")


def test_an_exhibit_setting_reaches_desired_state_and_the_audit_log(kindergarten):
    stack = kindergarten
    assert desired_audio(stack) is None, "nothing set: no audio in desired state (full volume)"
    view = stack.ok("PUT", "/api/v1/exhibits/ex-1/audio", json=NAP)
    assert view["effective"] == {**NAP, "source": "exhibit", "timezone": "Asia/Shanghai", "quiet_now": True}
    assert view["exhibit_setting"]["updated_by"] == "admin"
    assert desired_audio(stack) == NAP
    parsed = parse_desired(stack.ok("GET", "/api/v1/exhibits/ex-1/desired"))
    assert parsed.audio is not None and parsed.audio.percent_at(stack.clock.now()) == 0  # 12:15: nap time
    entry = stack.ok("GET", "/api/v1/audit", params={"action": "exhibit.audio"})[0]
    assert (entry["actor"], entry["target"], entry["detail"]) == ("admin", "ex-1", NAP)
    assert desired_audio(stack, "ex-2") is None, "only that exhibit"


def test_a_venue_default_applies_until_the_exhibit_has_its_own(kindergarten):
    stack = kindergarten
    stack.ok("PUT", "/api/v1/venues/v-kg/audio", json={"volume": 50, "quiet": ["12:00-14:00"]})
    assert desired_audio(stack) == {"volume": 50, "quiet": ["12:00-14:00"], "quiet_volume": 0}
    assert stack.ok("GET", "/api/v1/exhibits/ex-1/audio")["effective"]["source"] == "venue"
    stack.ok("PUT", "/api/v1/exhibits/ex-1/audio", json={"volume": 90})
    assert desired_audio(stack) == {"volume": 90, "quiet": [], "quiet_volume": 0}
    view = stack.ok("DELETE", "/api/v1/exhibits/ex-1/audio")
    assert view["effective"]["source"] == "venue" and view["exhibit_setting"] is None
    assert desired_audio(stack)["volume"] == 50
    stack.ok("DELETE", "/api/v1/venues/v-kg/audio")
    assert desired_audio(stack) is None
    actions = [a["action"] for a in stack.ok("GET", "/api/v1/audit", params={"action": "venue.audio"})]
    assert actions == ["venue.audio.clear", "venue.audio"]


def test_a_district_technician_sets_only_exhibits_in_their_scope(kindergarten):
    stack = kindergarten
    nanshan = stack.user("wang.nanshan", "technician", NANSHAN)
    viewer = stack.user("li.viewer", "viewer", "guangdong/shenzhen")
    ok = stack.client(nanshan).put("/api/v1/exhibits/ex-1/audio", json=NAP)
    assert ok.status_code == 200, ok.text
    other = stack.client(nanshan).put("/api/v1/exhibits/ex-2/audio", json=NAP)
    assert other.status_code == 404, "outside the scope: existence does not leak"
    assert stack.client(nanshan).put("/api/v1/venues/v-lh/audio", json=NAP).status_code == 404
    looking = stack.client(viewer)
    assert looking.get("/api/v1/exhibits/ex-1/audio").status_code == 200
    refused = looking.put("/api/v1/exhibits/ex-1/audio", json={"volume": 10})
    assert refused.status_code == 403 and "technician" in refused.json()["detail"]
    assert desired_audio(stack) == NAP and desired_audio(stack, "ex-2") is None


@pytest.mark.parametrize(
    "body, words",
    [
        ({"volume": 150}, "less than or equal to 100"),
        ({"volume": -5}, "greater than or equal to 0"),
        ({"volume": 50, "quiet_volume": 101}, "less than or equal to 100"),
        ({"volume": 50, "quiet": ["12:00-25:00"]}, "'12:00-25:00' is not a time range like"),
        ({"volume": 50, "quiet": ["noon"]}, "'noon' is not a time range like"),
        ({"volume": 50, "quiet": ["12:00-12:00"]}, "starts and ends at the same time"),
        ({"volume": 50, "quiet": "12:00-13:00"}, "valid list"),
        ({"volume": 50, "loud": True}, "Extra inputs are not permitted"),
        ({"quiet": []}, "Field required"),
    ],
)
def test_bad_input_is_a_422_naming_the_problem_and_changes_nothing(kindergarten, body, words):
    stack = kindergarten
    stack.ok("PUT", "/api/v1/exhibits/ex-1/audio", json=NAP)
    audit_before = len(stack.ok("GET", "/api/v1/audit"))
    response = stack.http.put("/api/v1/exhibits/ex-1/audio", json=body)
    assert response.status_code == 422, response.text
    assert words in response.text
    assert desired_audio(stack) == NAP
    assert stack.ok("GET", "/api/v1/exhibits/ex-1/audio")["exhibit_setting"]["volume"] == 70
    assert len(stack.ok("GET", "/api/v1/audit")) == audit_before


def test_the_exhibit_page_reports_what_the_kiosk_applies(kindergarten):
    stack = kindergarten
    stack.ok("PUT", "/api/v1/exhibits/ex-1/audio", json=NAP)
    topic = exhibit_topic("ex-1", "reported")
    outcome = stack.controller.handle_message(topic, encode({"installed": None, "audio": {"volume": 0, "quiet": True}}))
    assert outcome.rejected == 0
    assert stack.ok("GET", "/api/v1/exhibits/ex-1/audio")["reported"] == {"volume": 0, "quiet": True}
    with page_client(stack) as c:
        html = c.get("/exhibits/ex-1").text
    assert 'data-testid="audio-reported" data-volume="0"' in html
    assert 'data-testid="audio-quiet-now"' in html


@contextlib.contextmanager
def page_client(stack: Stack, token: str = ADMIN) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.server.url, timeout=20, follow_redirects=True) as c:
        assert c.post("/login", data={"token": token}).status_code == 200
        yield c


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _form(c: httpx.Client) -> str:
    page = c.get("/exhibits/ex-1")
    assert page.status_code == 200 and 'data-testid="audio-form"' in page.text
    return csrf(page.text)


def test_the_dashboard_form_saves_clears_and_refuses_bad_input(kindergarten):
    stack = kindergarten
    stack.ok("PUT", "/api/v1/venues/v-kg/audio", json={"volume": 40})
    with page_client(stack) as c:
        token = _form(c)
        saved = c.post(
            "/exhibits/ex-1/audio",
            data={"csrf": token, "volume_pct": "65", "quiet": "12:00-13:30\n21:30-08:00", "quiet_volume": "10"},
        )
        assert 'data-testid="flash-ok"' in saved.text
        assert 'data-testid="audio-source" data-source="exhibit"' in saved.text
        assert "12:00-13:30, 21:30-08:00" in saved.text
        assert desired_audio(stack) == {"volume": 65, "quiet": ["12:00-13:30", "21:30-08:00"], "quiet_volume": 10}

        bad = c.post("/exhibits/ex-1/audio", data={"csrf": token, "volume_pct": "150", "quiet": ""})
        assert 'data-testid="flash-error"' in bad.text and "volume must be a whole percent from 0 to 100" in bad.text
        bad = c.post("/exhibits/ex-1/audio", data={"csrf": token, "volume_pct": "50", "quiet": "lunch"})
        assert "&#39;lunch&#39; is not a time range" in bad.text or "'lunch' is not a time range" in bad.text
        forged = c.post("/exhibits/ex-1/audio", data={"csrf": "0" * 64, "volume_pct": "5"})
        assert "the form is out of date" in forged.text
        assert desired_audio(stack)["volume"] == 65, "refused forms changed nothing"

        cleared = c.post("/exhibits/ex-1/audio", data={"csrf": token, "action": "clear"})
        assert 'data-testid="audio-source" data-source="venue"' in cleared.text
        assert desired_audio(stack) == {"volume": 40, "quiet": [], "quiet_volume": 0}
        english = c.get("/exhibits/ex-1?lang=en").text
        assert "Sound and quiet hours" in english and "the venue&#39;s default" in english


def test_the_form_is_hidden_from_viewers_and_refused_out_of_scope(kindergarten):
    stack = kindergarten
    token = stack.user("zhou.futian", "technician", FUTIAN)
    with page_client(stack, token) as c:
        page = c.get("/exhibits/ex-2")
        assert 'data-testid="audio-form"' in page.text
        out = c.post("/exhibits/ex-1/audio", data={"csrf": csrf(page.text), "volume_pct": "5"})
        assert 'data-testid="flash-error"' in out.text or out.status_code == 404
    viewer = stack.user("li.viewer", "viewer", "guangdong/shenzhen")
    with page_client(stack, viewer) as c:
        page = c.get("/exhibits/ex-1").text
        assert 'data-testid="audio-card"' in page and 'data-testid="audio-form"' not in page
    assert desired_audio(stack) is None


def test_desired_state_is_unchanged_for_exhibits_without_a_setting(kindergarten):
    """Old agents and the retained message of an exhibit nobody configured see the same bytes as before."""
    stack = kindergarten
    row = stack.controller.store.db.execute("SELECT desired FROM exhibits WHERE id = 'ex-2'").fetchone()
    assert "audio" not in json.loads(row[0])
    assert at("2025-05-12 12:15") == stack.clock.now()
