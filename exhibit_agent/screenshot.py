"""The `screenshot` command: ask the kiosk for a frame through files, upload it, say how it went.

The kiosk never talks to the network, so the agent drops
`DATA/requests/screenshot-<id>.json` (atomically) and waits for the kiosk to write
`DATA/screenshots/<id>.png` (or `<id>.failed` with a reason); see docs/kiosk.md. The PNG is
checked (signature, size cap), uploaded with `PUT /api/v1/exhibits/{exhibit}/screenshots/{id}`
and the files are removed. Runs on its own thread; the result goes back to the agent loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exhibit_agent.fetch import Fetcher, FetchError
from kepu_contracts.datadir import REQUEST_ID, DataDir, write_json_atomic
from kepu_contracts.heartbeat import read_kiosk_status
from kepu_contracts.limits import PNG_SIGNATURE, SCREENSHOT_MAX_BYTES
from kepu_contracts.messages import command_result

TIMEOUT = 10.0  # seconds for the kiosk to answer (it answers within a frame or two)


class ScreenshotError(Exception):
    """The screenshot could not be taken or delivered; the message goes into the command result."""


@dataclass(frozen=True)
class CommandResult:
    """What the loop publishes on `command_results`."""

    payload: dict[str, Any]


def take(
    data: Path,
    command: str,
    timeout: float = TIMEOUT,
    poll: float = 0.05,
    now: Callable[[], float] = time.time,
    stop: threading.Event | None = None,
) -> bytes:
    """Ask the kiosk for its current frame and return the PNG bytes; ScreenshotError if it cannot."""
    if not REQUEST_ID.match(command):
        raise ScreenshotError("command id must be 1-64 letters, digits, '.', '_' or '-' to name a file")
    paths = DataDir(data)
    request = paths.screenshot_request(command)
    shot = paths.screenshot(command)
    failed = paths.screenshot_failure(command)
    request.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(request, {"v": 1, "id": command, "type": "screenshot", "requested": now()})
    deadline = time.monotonic() + timeout
    try:
        while True:
            if shot.exists():
                return _read_png(shot)
            if failed.exists():
                reason = failed.read_text(encoding="utf-8", errors="replace").strip()
                raise ScreenshotError(f"the kiosk could not save the frame: {reason or 'no reason given'}")
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                kiosk = read_kiosk_status(paths.heartbeat)
                why = (
                    "no kiosk heartbeat (is the kiosk running?)"
                    if kiosk is None
                    else f"its heartbeat is {kiosk.age:.0f} s old"
                )
                raise ScreenshotError(f"the kiosk did not answer within {timeout:g} s; {why}")
            time.sleep(poll)
    finally:
        for path in (request, shot, failed):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass


def _read_png(path: Path) -> bytes:
    size = path.stat().st_size
    if size > SCREENSHOT_MAX_BYTES:
        raise ScreenshotError(f"the screenshot is {size:,} bytes, more than the {SCREENSHOT_MAX_BYTES:,} allowed")
    png = path.read_bytes()
    if not png.startswith(PNG_SIGNATURE):
        raise ScreenshotError("the kiosk's file is not a PNG")
    return png


def screenshot(
    data: Path,
    exhibit: str,
    command: str,
    fetcher: Fetcher | None,
    timeout: float = TIMEOUT,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Take, check and upload one screenshot; the `command_results` payload either way."""
    if fetcher is None:
        return command_result(command, False, "no controller configured: nowhere to upload the screenshot")
    try:
        png = take(data, command, timeout, stop=stop)
        reply = fetcher.upload_screenshot(exhibit, command, png)
    except (ScreenshotError, FetchError) as exc:
        return command_result(command, False, str(exc))
    except OSError as exc:
        return command_result(command, False, f"file error: {exc}")
    url = reply.get("url") if isinstance(reply.get("url"), str) else f"/api/v1/exhibits/{exhibit}/screenshots/{command}"
    return command_result(command, True, url=url, bytes=len(png))
