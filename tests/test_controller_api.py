"""The HTTP API: region scopes (分级), roles, plans refused with clear errors, packs served with Range."""

from __future__ import annotations

import hashlib
import json

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, approved_pack, at, batch, session_events, signed_pack

NANSHAN = "guangdong/shenzhen/nanshan"
FUTIAN = "guangdong/shenzhen/futian"


def test_a_district_user_can_neither_see_nor_change_another_district(stack):
    stack.ok("POST", "/api/v1/venues", json={"id": "v-nanshan", "name": "N", "region": f"{NANSHAN}/yuehai"})
    stack.ok("POST", "/api/v1/venues", json={"id": "v-futian", "name": "F", "region": f"{FUTIAN}/lianhua"})
    stack.controller.handle_message("kepu/v1/exhibits/ex-f/state", b'{"v":1,"online":true}')
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-f", "venue": "v-futian", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    tech = stack.client(stack.user("nanshan-tech", "technician", NANSHAN))

    assert [v["id"] for v in tech.get("/api/v1/venues").json()] == ["v-nanshan"]
    assert tech.get("/api/v1/venues/v-futian").status_code == 404  # existence does not leak
    assert tech.get("/api/v1/exhibits").json() == []
    assert tech.get("/api/v1/exhibits/ex-f/counts").status_code == 404
    assert tech.get("/api/v1/rotations").json() == []
    refused = tech.post("/api/v1/venues", json={"id": "v-new", "name": "x", "region": f"{FUTIAN}/other"})
    assert refused.status_code == 403 and "outside" in refused.json()["detail"]
    assert tech.patch("/api/v1/venues/v-futian", json={"name": "hijacked"}).status_code == 404
    assert tech.patch("/api/v1/venues/v-nanshan", json={"region": f"{FUTIAN}/moved"}).status_code == 403
    assert (
        tech.post(
            "/api/v1/rotations",
            json={"exhibit": "ex-f", "venue": "v-futian", "starts": "2025-06-01T00:00", "ends": "2025-07-01T00:00"},
        ).status_code
        == 404
    )
    # Statistics and reports are scoped the same way.
    stack.controller.handle_message(
        "kepu/v1/exhibits/ex-f/events",
        json.dumps({"v": 1, **batch("ex-f", session_events("ex-f", 1, at("2025-05-10 10:00")))}).encode(),
    )
    assert stack.ok("GET", "/api/v1/stats/usage", params={"group": "venue", "period": "all"})[0]["sessions"] == 1
    assert tech.get("/api/v1/stats/usage", params={"group": "venue", "period": "all"}).json() == []
    assert tech.get("/api/v1/reports/monthly", params={"month": "2025-05", "region": FUTIAN}).status_code == 403
    own = tech.get("/api/v1/reports/monthly", params={"month": "2025-05", "region": NANSHAN}).json()
    assert [r["venue"] for r in own] == ["v-nanshan", ""]
    # The change that did happen is in the audit log, with who and when.
    log = stack.ok("GET", "/api/v1/audit")
    assert {(e["actor"], e["action"]) for e in log} >= {
        ("admin", "venue.create"),
        ("admin", "rotation.create"),
        ("admin", "user.create"),
    }
    assert all(e["action"] != "venue.update" for e in log)
    tech.close()


def test_a_city_wide_broadcast_is_listed_for_a_district_but_only_the_city_can_end_it(stack):
    """Staff in Nanshan must see what is on their screens, including the city's emergency; they cannot cancel it."""
    city = stack.ok(
        "POST",
        "/api/v1/emergencies",
        json={
            "region": "guangdong/shenzhen",
            "message": {"zh": "台风红色预警", "en": "Typhoon red alert"},
            "expires": "2025-05-12T12:00",
        },
    )
    other = stack.ok(
        "POST",
        "/api/v1/emergencies",
        json={"region": FUTIAN, "message": {"zh": "福田停水", "en": "Futian water cut"}, "expires": "2025-05-12T12:00"},
    )
    reviewer = stack.client(stack.user("nanshan-reviewer", "reviewer", NANSHAN))
    listed = {e["id"]: e for e in reviewer.get("/api/v1/emergencies").json()}
    assert set(listed) == {city["id"]}  # the city's reaches Nanshan; Futian's does not
    assert listed[city["id"]]["inherited"] is True
    assert reviewer.post(f"/api/v1/emergencies/{city['id']}/cancel").status_code in (403, 404)
    assert stack.ok("GET", f"/api/v1/emergencies/{city['id']}")["region"] == "guangdong/shenzhen"
    assert other["id"] not in listed
    reviewer.close()


def test_roles_are_ordered_and_viewers_cannot_write(stack, tmp_path):
    viewer = stack.client(stack.user("v1", "viewer", ""))
    assert viewer.get("/api/v1/venues").status_code == 200
    denied = viewer.post("/api/v1/venues", json={"id": "v", "name": "x", "region": "a/b"})
    assert denied.status_code == 403 and "technician" in denied.json()["detail"]
    tech = stack.client(stack.user("t1", "technician", ""))
    kpack, public = signed_pack(tmp_path, "quake-basics")
    (stack.settings.data_dir / "trusted_keys").mkdir()
    (stack.settings.data_dir / "trusted_keys" / "k.pub").write_bytes(public.read_bytes())
    with kpack.open("rb") as f:
        assert tech.post("/api/v1/packs", files={"file": ("p.kpack", f)}).status_code == 201
    assert tech.post("/api/v1/packs/quake-basics/1.0.0/review", json={"status": "approved"}).status_code == 403
    assert viewer.get("/api/v1/users").status_code == 403
    assert (
        stack.client(stack.user("r1", "reviewer", ""))
        .post("/api/v1/packs/quake-basics/1.0.0/review", json={"status": "approved"})
        .status_code
        == 200
    )


def test_overlapping_stays_are_refused_with_the_clash_named(stack):
    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "A", "region": NANSHAN})
    stack.ok("POST", "/api/v1/venues", json={"id": "v-b", "name": "B", "region": FUTIAN})
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
    first = stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    clash = stack.http.post(
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-b", "starts": "2025-05-31T00:00", "ends": "2025-07-01T00:00"},
    )
    assert clash.status_code == 409
    assert "v-a" in clash.json()["detail"] and f"#{first['id']}" in clash.json()["detail"]
    # Back to back is fine: stays are half-open [starts, ends).
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-b", "starts": "2025-06-01T00:00", "ends": "2025-07-01T00:00"},
    )
    assert stack.http.patch(f"/api/v1/rotations/{first['id']}", json={"ends": "2025-06-02T00:00"}).status_code == 409
    assert (
        stack.http.post(
            "/api/v1/rotations",
            json={"exhibit": "ex-1", "venue": "v-b", "starts": "2025-08-01T00:00", "ends": "2025-07-01T00:00"},
        ).status_code
        == 422
    )
    assert (
        stack.http.post(
            "/api/v1/rotations",
            json={"exhibit": "ex-nope", "venue": "v-b", "starts": "2025-08-01T00:00", "ends": "2025-09-01T00:00"},
        ).status_code
        == 404
    )
    assert len(stack.ok("GET", "/api/v1/rotations", params={"exhibit": "ex-1"})) == 2


def test_packs_are_verified_reviewed_and_served_with_range(stack, tmp_path):
    kpack, public = signed_pack(tmp_path, "quake-basics")
    with kpack.open("rb") as f:
        refused = stack.http.post("/api/v1/packs", files={"file": ("p.kpack", f)})
    assert refused.status_code == 422 and "trusted" in refused.json()["detail"]
    pack = approved_pack(stack, tmp_path, "quake-basics")
    assert pack["status"] == "approved" and pack["goal_scene"] == "rate"
    with kpack.open("rb") as f:  # the same bytes again: nothing new, 200 not 201
        assert stack.http.post("/api/v1/packs", files={"file": ("p.kpack", f)}).status_code == 200
    tampered = tmp_path / "tampered.kpack"
    tampered.write_bytes(kpack.read_bytes().replace(b"Test exhibit", b"Evil exhibit"))
    with tampered.open("rb") as f:
        bad = stack.http.post("/api/v1/packs", files={"file": ("t.kpack", f)})
    assert bad.status_code == 422 and "refused" in bad.json()["detail"]

    anonymous = stack.client(None)
    manifest = anonymous.get("/api/v1/packs/quake-basics/1.0.0/manifest")
    assert hashlib.sha256(manifest.content).hexdigest() == pack["manifest_sha256"]
    from content_packs.manifest import read_signed_manifest

    signature = anonymous.get("/api/v1/packs/quake-basics/1.0.0/manifest.sig").content
    parsed = read_signed_manifest(manifest.content, signature, [public])
    entry = max(parsed.files, key=lambda f: f.size)
    whole = anonymous.get(f"/api/v1/blobs/{entry.sha256}")
    assert whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == entry.sha256
    tail = anonymous.get(f"/api/v1/blobs/{entry.sha256}", headers={"Range": "bytes=100-"})
    assert tail.status_code == 206 and tail.content == whole.content[100:]
    assert anonymous.get(f"/api/v1/blobs/{'0' * 64}").status_code == 404
    assert anonymous.get("/api/v1/blobs/not-a-sha").status_code == 422

    retired = stack.ok("POST", "/api/v1/packs/quake-basics/1.0.0/review", json={"status": "retired"})
    assert retired["status"] == "retired"
    back = stack.http.post("/api/v1/packs/quake-basics/1.0.0/review", json={"status": "approved"})
    assert back.status_code == 409 and "retired" in back.json()["detail"]
    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "A", "region": NANSHAN})
    assert stack.http.patch("/api/v1/venues/v-a", json={"default_pack": {"id": "quake-basics"}}).status_code == 409


def test_pack_reads_can_require_a_token(tmp_path):
    closed = Stack(tmp_path / "ctl", ManualClock(at("2025-05-10 08:00")), serve=True, open_pack_reads=False)
    try:
        approved_pack(closed, tmp_path, "quake-basics")
        assert closed.client(None).get("/api/v1/packs/quake-basics/1.0.0/manifest").status_code == 401
        assert closed.http.get("/api/v1/packs/quake-basics/1.0.0/manifest").status_code == 200
    finally:
        closed.close()


def test_closed_pack_reads_accept_the_enrolled_devices_token(tmp_path):
    """With open_pack_reads=False the agent's device token (from enroll) fetches manifests and blobs; no token is 401."""
    from controller.domain.enroll import enroll

    closed = Stack(tmp_path / "ctl", ManualClock(at("2025-05-10 08:00")), serve=True, open_pack_reads=False)
    try:
        approved_pack(closed, tmp_path, "quake-basics")
        old = enroll(closed.controller.store, closed.settings.data_dir, "ex-quake-01", closed.clock.now()).api_token
        device = closed.client(
            enroll(closed.controller.store, closed.settings.data_dir, "ex-quake-01", closed.clock.now()).api_token
        )
        anonymous = closed.client(None)
        manifest_url = "/api/v1/packs/quake-basics/1.0.0/manifest"
        manifest = device.get(manifest_url)
        assert manifest.status_code == 200
        assert device.get(manifest_url + ".sig").status_code == 200
        sha = json.loads(manifest.content)["files"][0]["sha256"]
        blob = device.get(f"/api/v1/blobs/{sha}")
        assert blob.status_code == 200 and blob.content
        assert device.get(f"/api/v1/blobs/{sha}", headers={"Range": "bytes=1-"}).status_code == 206  # resume works too
        for path in (manifest_url, manifest_url + ".sig", f"/api/v1/blobs/{sha}"):
            assert anonymous.get(path).status_code == 401, path
            assert closed.client(old).get(path).status_code == 401, path  # re-enrolling revoked the older token
            assert closed.client("not-a-token").get(path).status_code == 401, path
        # The device token is good for nothing else.
        assert device.get("/api/v1/packs").status_code == 403
        assert device.get("/api/v1/exhibits").status_code == 403
        # The agent's own fetcher, configured with the token (controller_token), downloads the pack.
        from content_packs.store import BlobStore
        from exhibit_agent.fetch import Fetcher, FetchError

        token = enroll(closed.controller.store, closed.settings.data_dir, "ex-quake-01", closed.clock.now()).api_token
        agent = Fetcher(closed.server.url, token=token)
        store = BlobStore(tmp_path / "agent-store")
        try:
            manifest_bytes, signature = agent.fetch_manifest(manifest_url)
            assert manifest_bytes == manifest.content and signature
            first = json.loads(manifest_bytes)["files"][0]
            agent.download_blob(store, first["sha256"], first["size"])
            assert store.has(first["sha256"])
        finally:
            agent.close()
        tokenless = Fetcher(closed.server.url)
        try:
            with pytest.raises(FetchError, match="401"):
                tokenless.fetch_manifest(manifest_url)
        finally:
            tokenless.close()
    finally:
        closed.close()


def test_bad_input_gets_clear_4xx_never_500(stack):
    cases = [
        ("POST", "/api/v1/venues", {"id": "bad id!", "name": "x", "region": "a"}, 422),
        ("POST", "/api/v1/venues", {"id": "v", "name": "x", "region": "a/b/c/d/e"}, 422),
        (
            "POST",
            "/api/v1/venues",
            {"id": "v", "name": "x", "region": "a", "opening_hours": {"mon": ["17:00-09:00"]}},
            422,
        ),
        ("POST", "/api/v1/venues", {"id": "v", "name": "x", "region": "a", "opening_hours": {"someday": []}}, 422),
        (
            "POST",
            "/api/v1/campaigns",
            {"name": "c", "pack": {"id": "none", "version": "1.0.0"}, "starts": "2025-05-02", "ends": "2025-05-01"},
            422,
        ),
        (
            "POST",
            "/api/v1/campaigns",
            {"name": "c", "pack": {"id": "none", "version": "1.0.0"}, "starts": "2025-05-01", "ends": "2025-05-01"},
            404,
        ),
        ("POST", "/api/v1/emergencies", {"region": "", "expires": "2025-05-11T00:00"}, 422),
        ("POST", "/api/v1/users", {"id": "u", "role": "emperor"}, 422),
        ("GET", "/api/v1/reports/monthly?month=2025-13", None, 422),
        ("GET", "/api/v1/stats/usage?group=planet", None, 422),
        ("GET", "/api/v1/rotations/99999999999999999999", None, 422),
    ]
    for method, path, body, status in cases:
        response = stack.http.request(method, path, json=body)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["detail"], path


def test_commands_are_published_and_their_results_recorded(stack):
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
    sent = stack.ok("POST", "/api/v1/exhibits/ex-1/commands", json={"type": "screenshot"})
    published = [m for m in stack.controller.sent if m.topic == "kepu/v1/exhibits/ex-1/commands"]
    assert len(published) == 1 and json.loads(published[0].payload) == {"v": 1, "id": sent["id"], "type": "screenshot"}
    result = json.dumps({"v": 1, "id": sent["id"], "ok": True, "detail": "saved"}).encode()
    assert stack.controller.handle_message("kepu/v1/exhibits/ex-1/command_results", result).rejected == 0
    [listed] = stack.ok("GET", "/api/v1/exhibits/ex-1/commands")
    assert listed["result"]["detail"] == "saved" and listed["answered"]
