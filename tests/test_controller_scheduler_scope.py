"""The scheduler recomputes only the exhibits a boundary touches (issue 15), with an injected clock."""

from __future__ import annotations

import json

from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, at


def desired(stack: Stack, exhibit: str) -> dict:
    return json.loads(
        stack.controller.store.db.execute("SELECT desired FROM exhibits WHERE id = ?", [exhibit]).fetchone()[0]
    )


def test_a_stay_ending_recomputes_only_its_exhibit_and_a_regional_campaign_only_its_region(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")))
    try:
        stack.ok("POST", "/api/v1/venues", json={"id": "v-ns", "name": "南山科普室", "region": "gd/sz/nanshan/yuehai"})
        stack.ok("POST", "/api/v1/venues", json={"id": "v-ft", "name": "福田科普馆", "region": "gd/sz/futian/lianhua"})
        stays = {
            "ex-short": ("v-ns", "2025-05-12T10:30"),  # leaves at 10:30
            "ex-stays": ("v-ns", "2025-07-01T00:00"),
            "ex-futian": ("v-ft", "2025-07-01T00:00"),
        }
        for exhibit, (venue, ends) in stays.items():
            stack.controller.handle_message(f"kepu/v1/exhibits/{exhibit}/state", b'{"v": 1, "online": true}')
            stack.ok(
                "POST",
                "/api/v1/rotations",
                json={"exhibit": exhibit, "venue": venue, "starts": "2025-05-01T00:00", "ends": ends},
            )
        scheduler = stack.controller.scheduler
        stack.move_to(at("2025-05-12 10:10"))  # the first tick brings everyone up to date
        stack.move_to(at("2025-05-12 10:20"))
        assert scheduler.recomputed == [], "no boundary in 10:10-10:20: nobody is recomputed"
        assert desired(stack, "ex-short")["venue"]["id"] == "v-ns"

        stack.move_to(at("2025-05-12 10:31"))
        assert scheduler.recomputed == ["ex-short"]
        assert desired(stack, "ex-short")["venue"] is None  # in transit now
        assert desired(stack, "ex-stays")["venue"]["id"] == "v-ns"

        # A campaign for Futian starting later: only the exhibit standing there is recomputed at 11:00.
        # Written straight into the store, so no API call's `changed()` recomputes everyone first.
        with stack.controller.store.write() as db:
            db.execute(
                "INSERT INTO campaigns (name, region, pack_id, pack_version, starts, ends, priority)"
                " VALUES ('福田周', 'gd/sz/futian', 'p', '1.0.0', ?, ?, 1)",
                [at("2025-05-12 11:00"), at("2025-05-13 00:00")],
            )
        stack.move_to(at("2025-05-12 11:01"))
        assert scheduler.recomputed == ["ex-futian"]
        stack.move_to(at("2025-05-12 12:00"))
        assert scheduler.recomputed == []
    finally:
        stack.close()
