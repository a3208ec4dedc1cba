"""Issue 11, finding 14: the p90 dwell the API reports is on the dashboard too."""

from __future__ import annotations

import json
import re

import httpx

from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, at, batch, session_cookies, session_events


def test_the_exhibit_page_shows_the_p90_dwell(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 18:00")), serve=True)
    try:
        events = []
        for n, interactions in enumerate((2, 2, 3, 4, 6, 10, 20, 40)):
            events += session_events("ex-1", 1 + n * 100, at("2025-05-12 10:00") + n * 600, interactions=interactions)
        outcome = stack.controller.handle_message(
            "kepu/v1/exhibits/ex-1/events", json.dumps({"v": 1, **batch("ex-1", events)}).encode()
        )
        assert outcome.rejected == 0
        metrics = stack.ok("GET", "/api/v1/stats/metrics", params={"exhibit": "ex-1"})
        assert metrics["dwell_p90"] and metrics["dwell_p90"] > metrics["dwell_p50"]
        page = httpx.get(
            f"{stack.server.url}/exhibits/ex-1", cookies={**session_cookies(stack.server.url, ADMIN), "kepu_lang": "en"}
        ).text
        shown = re.search(r'data-testid="dwell-p90">Dwell p90 ([0-9.,]+) s<', page)
        assert shown, page[page.find("ex-cards") : page.find("ex-cards") + 2000]
        assert float(shown.group(1).replace(",", "")) == round(metrics["dwell_p90"], 1)
    finally:
        stack.close()
