"""Keep the exhibit's screen lit: no screensaver, no blanking, no power saving while the kiosk runs.

SDL inhibits the screensaver of X11 and Wayland sessions itself unless told otherwise
(SDL_VIDEO_ALLOW_SCREENSAVER=0 is set explicitly, so a stray environment cannot undo it).
On X11 the server's own blanking timer and DPMS are switched off too, with `xset`, when it
exists. The console (KMS/DRM, no desktop) blanks after `consoleblank` seconds: that is a
kernel setting, documented in docs/kiosk.md, not something a user process may change.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import MutableMapping

log = logging.getLogger(__name__)
XSET_STEPS = (("s", "off"), ("s", "noblank"), ("-dpms",))


def prepare_sdl(environ: MutableMapping[str, str], kiosk: bool) -> None:
    """SDL hints to set before pygame.init(): the screensaver stays off; a kiosk stays full screen."""
    environ["SDL_VIDEO_ALLOW_SCREENSAVER"] = "0"
    if kiosk:
        # Losing focus (a notification, a stray dialog) must not minimise the exhibit.
        environ.setdefault("SDL_VIDEO_MINIMIZE_ON_FOCUS_LOSS", "0")


def keep_screen_awake(environ: MutableMapping[str, str]) -> list[str]:
    """Switch off X11's blanking and DPMS where we can; returns what was done (for the log)."""
    done: list[str] = []
    xset = shutil.which("xset")
    if not environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY") or xset is None:
        return done
    for step in XSET_STEPS:
        try:
            result = subprocess.run([xset, *step], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("xset %s failed: %s", " ".join(step), exc)
            continue
        if result.returncode == 0 and not result.stderr.strip():
            done.append("xset " + " ".join(step))
        else:
            log.info("xset %s: %s", " ".join(step), (result.stderr or result.stdout).strip()[:200])
    if done:
        log.info("screen blanking off: %s", ", ".join(done))
    return done
