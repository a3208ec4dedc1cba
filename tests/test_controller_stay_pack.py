"""PATCH /api/v1/rotations/{id} with `pack`: pin a pack on one exhibit's stay (or return it to the venue's default)."""

from __future__ import annotations

from tests.support.controller import Stack, approved_pack

NANSHAN = "guangdong/shenzhen/nanshan"
FUTIAN = "guangdong/shenzhen/futian"


def _desired_pack(stack: Stack, exhibit: str) -> str | None:
    pack = stack.ok("GET", f"/api/v1/exhibits/{exhibit}/desired").get("pack")
    return pack and f"{pack['id']}@{pack['version']}"


def test_pin_a_pack_on_a_stay_then_back_to_the_venues_default(stack, tmp_path):
    approved_pack(stack, tmp_path, "quake-basics")
    approved_pack(stack, tmp_path, "food-basics")
    stack.ok(
        "POST",
        "/api/v1/venues",
        json={"id": "v-a", "name": "A", "region": f"{NANSHAN}/yuehai", "default_pack": {"id": "quake-basics"}},
    )
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
    stay = stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    assert _desired_pack(stack, "ex-1") == "quake-basics@1.0.0"

    pinned = stack.ok(
        "PATCH", f"/api/v1/rotations/{stay['id']}", json={"pack": {"id": "food-basics", "version": "1.0.0"}}
    )
    assert pinned["pack"] == {"id": "food-basics", "version": "1.0.0"} and pinned["ends"] == stay["ends"]
    assert _desired_pack(stack, "ex-1") == "food-basics@1.0.0"  # desired state recomputed and republished
    log = stack.ok("GET", "/api/v1/audit")
    assert any(e["action"] == "rotation.pack" and e["target"] == f"stay #{stay['id']}" for e in log)

    # Moving the stay leaves the pin alone; pin and move together in one call also works.
    moved = stack.ok("PATCH", f"/api/v1/rotations/{stay['id']}", json={"ends": "2025-06-15T00:00"})
    assert moved["pack"] == {"id": "food-basics", "version": "1.0.0"}
    both = stack.ok("PATCH", f"/api/v1/rotations/{stay['id']}", json={"ends": "2025-06-20T00:00", "pack": None})
    assert both["pack"] is None and both["ends"].startswith("2025-06-20")
    assert _desired_pack(stack, "ex-1") == "quake-basics@1.0.0"


def test_pinning_is_refused_clearly_and_changes_nothing(stack, tmp_path):
    approved_pack(stack, tmp_path, "quake-basics")
    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "A", "region": f"{NANSHAN}/yuehai"})
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
    stay = stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    unknown = stack.http.patch(f"/api/v1/rotations/{stay['id']}", json={"pack": {"id": "no-such-pack"}})
    assert unknown.status_code in (404, 409) and "no-such-pack" in unknown.json()["detail"]
    futian = stack.client(stack.user("futian-tech", "technician", FUTIAN))
    assert futian.patch(f"/api/v1/rotations/{stay['id']}", json={"pack": {"id": "quake-basics"}}).status_code == 404
    viewer = stack.client(stack.user("nanshan-viewer", "viewer", NANSHAN))
    assert viewer.patch(f"/api/v1/rotations/{stay['id']}", json={"pack": {"id": "quake-basics"}}).status_code == 403
    # A pin and an overlapping move together: neither happens.
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-06-01T00:00", "ends": "2025-07-01T00:00"},
    )
    clash = stack.http.patch(
        f"/api/v1/rotations/{stay['id']}", json={"pack": {"id": "quake-basics"}, "ends": "2025-06-10T00:00"}
    )
    assert clash.status_code == 409
    assert stack.ok("GET", f"/api/v1/rotations/{stay['id']}")["pack"] is None
    futian.close()
    viewer.close()
