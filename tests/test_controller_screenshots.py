"""Screenshots on the controller: the exhibit's device uploads the PNG a command asked for; staff view it."""

from __future__ import annotations

import io
import json

import pygame

from controller.domain import screenshots
from controller.domain.enroll import enroll


def png(size=(64, 40), color=(200, 30, 30)) -> bytes:
    pygame.init()
    surface = pygame.Surface(size)
    surface.fill(color)
    out = io.BytesIO()
    pygame.image.save(surface, out, "png")
    return out.getvalue()


def setup(stack, exhibit="ex-1"):
    token = enroll(stack.controller.store, stack.settings.data_dir, exhibit, stack.clock.now()).api_token
    command = stack.ok("POST", f"/api/v1/exhibits/{exhibit}/commands", json={"type": "screenshot"})["id"]
    return stack.client(token), command


def test_the_device_uploads_and_staff_see_the_latest(stack):
    device, command = setup(stack)
    viewer = stack.client(stack.user("vera", "viewer", ""))
    assert viewer.get("/api/v1/exhibits/ex-1/screenshots/latest").status_code == 404, "none yet"
    image = png()
    r = device.put(f"/api/v1/exhibits/ex-1/screenshots/{command}", content=image, headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    assert r.json()["url"] == f"/api/v1/exhibits/ex-1/screenshots/{command}" and (
        r.json()["width"],
        r.json()["height"],
    ) == (64, 40)
    got = viewer.get("/api/v1/exhibits/ex-1/screenshots/latest")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png" and got.content == image
    assert got.headers["cache-control"] == "no-store"
    assert viewer.get(r.json()["url"]).content == image
    # Recorded on the command until (and unless) the agent's own result replaces it.
    [listed] = stack.ok("GET", "/api/v1/exhibits/ex-1/commands")
    assert listed["result"]["ok"] is True and listed["result"]["url"] == r.json()["url"] and listed["answered"]

    # A second screenshot becomes the latest; the first one stays reachable by its command.
    second = stack.ok("POST", "/api/v1/exhibits/ex-1/commands", json={"type": "screenshot"})["id"]
    other = png(color=(0, 0, 255))
    assert device.post(f"/api/v1/exhibits/ex-1/screenshots/{second}", content=other).status_code == 201
    assert viewer.get("/api/v1/exhibits/ex-1/screenshots/latest").content == other
    assert viewer.get(f"/api/v1/exhibits/ex-1/screenshots/{command}").content == image


def test_uploads_need_the_exhibits_own_token_and_a_screenshot_command(stack):
    device, command = setup(stack)
    other_device, _ = setup(stack, "ex-2")
    technician = stack.client(stack.user("tom", "technician", ""))
    image = png()
    url = f"/api/v1/exhibits/ex-1/screenshots/{command}"
    assert stack.client(None).put(url, content=image).status_code == 401
    assert other_device.put(url, content=image).status_code == 403, "another exhibit's token"
    assert technician.put(url, content=image).status_code == 403, "people do not upload screenshots"
    assert device.put("/api/v1/exhibits/ex-1/screenshots/no-such-command", content=image).status_code == 404
    report = stack.ok("POST", "/api/v1/exhibits/ex-1/commands", json={"type": "report"})["id"]
    assert device.put(f"/api/v1/exhibits/ex-1/screenshots/{report}", content=image).status_code == 422
    assert stack.client(None).get("/api/v1/exhibits/ex-1/screenshots/latest").status_code == 401
    assert not (stack.settings.data_dir / "screenshots" / "ex-1").exists(), "nothing was stored"


def test_non_png_truncated_and_oversized_uploads_are_refused(stack):
    device, command = setup(stack)
    url = f"/api/v1/exhibits/ex-1/screenshots/{command}"
    image = png()
    assert device.put(url, content=b"GIF89a" + b"\x00" * 100).status_code == 415
    assert device.put(url, content=b"<html>not a picture</html>").status_code == 415
    assert device.put(url, content=image[: len(image) // 2]).status_code == 415, "truncated: no IEND"
    assert device.put(url, content=b"").status_code == 415
    huge = image + b"\x00" * (screenshots.MAX_BYTES + 1 - len(image))
    r = device.put(url, content=huge)
    assert r.status_code == 413, r.text

    def chunks():  # no Content-Length: the cap is enforced while reading
        yield image
        for _ in range(9):
            yield b"\x00" * (1024 * 1024)

    assert device.put(url, content=chunks()).status_code == 413
    assert not list((stack.settings.data_dir / "screenshots").rglob("*.png")), "nothing was stored"
    [listed] = stack.ok("GET", "/api/v1/exhibits/ex-1/commands")
    assert listed["result"] is None


def test_the_agents_result_is_recorded_after_the_upload(stack):
    device, command = setup(stack)
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
    assert device.put(f"/api/v1/exhibits/ex-1/screenshots/{command}", content=png()).status_code == 201
    result = {"v": 1, "id": command, "ok": True, "url": f"/api/v1/exhibits/ex-1/screenshots/{command}"}
    assert (
        stack.controller.handle_message("kepu/v1/exhibits/ex-1/command_results", json.dumps(result).encode()).rejected
        == 0
    )
    [listed] = stack.ok("GET", "/api/v1/exhibits/ex-1/commands")
    assert listed["result"] == result, "the agent's word replaces the upload's provisional record"
