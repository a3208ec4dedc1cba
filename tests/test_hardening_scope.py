"""Issue 11, finding 4: district scope holds for stays, overlap messages, pack resolution, packs and ingest."""

from __future__ import annotations

import json

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, at, signed_pack

NANSHAN = "guangdong/shenzhen/nanshan"
FUTIAN = "guangdong/shenzhen/futian"


@pytest.fixture
def world(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")))
    for venue, region in (("venue-n", f"{NANSHAN}/yuehai"), ("venue-f", f"{FUTIAN}/lianhua")):
        stack.ok("POST", "/api/v1/venues", json={"id": venue, "name": venue, "region": region})
    for exhibit, region in (("ex-n", NANSHAN), ("ex-f", FUTIAN)):
        stack.controller.handle_message(f"kepu/v1/exhibits/{exhibit}/state", b'{"v":1,"online":true}')
        stack.ok("PATCH", f"/api/v1/exhibits/{exhibit}", json={"region": region})
    tokens = {
        name: stack.user(name, role, region)
        for name, role, region in (
            ("n.tech", "technician", NANSHAN),
            ("n.rev", "reviewer", NANSHAN),
            ("f.tech", "technician", FUTIAN),
            ("f.rev", "reviewer", FUTIAN),
        )
    }
    yield stack, tokens, tmp_path
    stack.close()


def upload(stack: Stack, tmp, tech: str, reviewer: str, pack_id: str, version: str) -> None:
    kpack, public = signed_pack(tmp, pack_id, version)
    trusted = stack.settings.data_dir / "trusted_keys"
    trusted.mkdir(parents=True, exist_ok=True)
    (trusted / "signer.pub").write_bytes(public.read_bytes())
    with kpack.open("rb") as f:
        stack.ok("POST", "/api/v1/packs", token=tech, files={"file": (kpack.name, f, "application/octet-stream")})
    stack.ok("POST", f"/api/v1/packs/{pack_id}/{version}/review", token=reviewer, json={"status": "approved"})


def stay(exhibit: str, venue: str, starts: str, ends: str, **extra) -> dict:
    return {"exhibit": exhibit, "venue": venue, "starts": starts, "ends": ends, **extra}


def test_a_district_cannot_plan_another_districts_exhibit_or_learn_its_plans(world):
    stack, tokens, _ = world
    n = stack.client(tokens["n.tech"])
    r = n.post("/api/v1/rotations", json=stay("ex-f", "venue-n", "2025-06-01T00:00", "2025-07-01T00:00"))
    assert r.status_code == 404, r.text  # another district's exhibit: not even its existence
    assert n.get("/api/v1/exhibits/ex-f").status_code == 404
    assert n.post("/api/v1/exhibits/ex-f/commands", json={"type": "report"}).status_code == 404
    # ex-n is lent to Futian in June (planned by the city); Nanshan's clash message does not say where or when.
    stack.ok("POST", "/api/v1/rotations", json=stay("ex-n", "venue-f", "2025-06-03T00:00", "2025-06-20T00:00"))
    r = n.post("/api/v1/rotations", json=stay("ex-n", "venue-n", "2025-06-01T00:00", "2025-07-01T00:00"))
    assert r.status_code == 409
    assert "venue-f" not in r.text and "06-03" not in r.text and "06-20" not in r.text, r.text
    # Its own clash is told in full.
    stack.ok("POST", "/api/v1/rotations", json=stay("ex-n", "venue-n", "2025-07-01T00:00", "2025-08-01T00:00"))
    r = n.post("/api/v1/rotations", json=stay("ex-n", "venue-n", "2025-07-10T00:00", "2025-07-20T00:00"))
    assert r.status_code == 409 and "venue-n" in r.text


def test_packs_resolve_and_list_within_the_region_and_its_ancestors(world):
    stack, tokens, tmp = world
    upload(stack, tmp, tokens["n.tech"], tokens["n.rev"], "quake", "1.0.0")
    upload(stack, tmp, tokens["f.tech"], tokens["f.rev"], "quake", "9.0.0")  # Futian's own, newer
    upload(stack, tmp, stack.settings.admin_token, stack.settings.admin_token, "city", "2.0.0")  # national
    n = stack.client(tokens["n.tech"])
    listed = {(p["id"], p["version"]) for p in n.get("/api/v1/packs").json()}
    assert listed == {("quake", "1.0.0"), ("city", "2.0.0")}
    assert n.get("/api/v1/packs/quake/9.0.0").status_code == 404
    assert n.get("/api/v1/packs/quake/1.0.0").status_code == 200
    # Nanshan may not pin Futian's version, and an unpinned id resolves among its own and its ancestors' packs.
    r = n.post(
        "/api/v1/rotations",
        json=stay("ex-n", "venue-n", "2025-05-01T00:00", "2025-06-01T00:00", pack={"id": "quake", "version": "9.0.0"}),
    )
    assert r.status_code == 404, r.text
    n.post(
        "/api/v1/rotations", json=stay("ex-n", "venue-n", "2025-05-01T00:00", "2025-06-01T00:00", pack={"id": "quake"})
    ).raise_for_status()
    stack.controller.changed()
    desired = [json.loads(m.payload) for m in stack.controller.sent if m.topic == "kepu/v1/exhibits/ex-n/desired"][-1]
    assert desired["pack"]["version"] == "1.0.0", desired["pack"]
    f = stack.client(tokens["f.tech"])
    assert {(p["id"], p["version"]) for p in f.get("/api/v1/packs").json()} == {("quake", "9.0.0"), ("city", "2.0.0")}


def test_ingest_health_shows_a_district_only_its_own_exhibits(world):
    stack, tokens, _ = world
    for exhibit in ("ex-n", "ex-f"):
        stack.controller.handle_message(f"kepu/v1/exhibits/{exhibit}/events", b"not json")
    n = stack.client(tokens["n.tech"]).get("/api/v1/ingest").json()
    assert [q["topic"] for q in n["quarantine"]] == ["kepu/v1/exhibits/ex-n/events"]
    assert n["rejected"] == 1
    everything = stack.ok("GET", "/api/v1/ingest")
    assert len(everything["quarantine"]) == 2 and everything["rejected"] == 2
