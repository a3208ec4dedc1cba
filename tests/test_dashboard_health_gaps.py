"""Health is whatever a device sent: missing or non-numeric fields must not break the pages."""

from __future__ import annotations

from tests.support.controller import ADMIN


def test_fleet_page_survives_health_without_disk_free(stack):
    """Found by benchmarks/fleet.py: a health message lacking `disk_free` made /fleet answer 500."""
    from controller.domain import fleet
    from kepu_contracts.protocol import encode, exhibit_topic

    with stack.controller.store.write() as db:
        for exhibit in ("ex-a", "ex-b"):
            fleet.register(db, exhibit, stack.clock.now(), enrolled=True)
    for exhibit, health in (
        ("ex-a", {"uptime": 5.0, "fps": 30.0}),
        ("ex-b", {"uptime": 5.0, "disk_free": "full", "cpu_temp": "hot"}),
    ):
        stack.controller.ingester.handle(exhibit_topic(exhibit, "health"), encode(health))
    page = stack.client(None)
    assert page.post("/login", data={"token": ADMIN}, follow_redirects=False).status_code == 303
    response = page.get("/fleet")
    assert response.status_code == 200, response.text[-2000:]
    assert "ex-a" in response.text and "ex-b" in response.text
    for exhibit in ("ex-a", "ex-b"):
        assert page.get(f"/exhibits/{exhibit}").status_code == 200
