"""Screenshots of films and 科普大屏 playlists: a real app, a real decoder, at every size and text mode.

    python -m kiosk.media_gallery OUT [--film PACK] [--signage PACK]

The video scene is caught at a moment with a subtitle on screen (zh and en, standard and
长者模式); the signage playlist at one of its films, a picture and a slide. Decoding runs
in the player's thread, so each shot waits (in real time) for the picture of that moment.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from content_packs import load_pack
from content_packs.model import Pack, VideoScene
from kiosk.gallery import SIZES, Tour, render
from kiosk.packs import prepare

REPO = Path(__file__).resolve().parent.parent
FILM = REPO / "content_packs" / "samples" / "earthquake-film"
SIGNAGE = REPO / "content_packs" / "samples-signage" / "community-screen"
TEN_AM_SHANGHAI = 1_767_232_800.0  # 2026-01-01 10:00 in Asia/Shanghai: the morning daypart


def settle(tour: Tour, ready: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Let the decoder catch up (real time) without moving the tour's clock."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tour.app.update(0.0)
        if ready():
            return True
        time.sleep(0.01)
    return False


def film_shots(pack: Pack, out: Path, sizes=SIZES, at: float = 12.5) -> list[Path]:
    """The pack's first video scene `at` seconds in, with its subtitle, zh/en × standard/senior."""
    scene = next(s for s in pack.scenes if isinstance(s, VideoScene))
    painter = prepare(pack)
    written = []
    for size in sizes:
        for lang in ("zh", "en"):
            for senior in (False, True):
                tour = Tour(pack, size, lang, senior, painter=painter)
                tour.tap("start")
                if senior:
                    tour.tap("chrome:senior")
                tour.tap(f"scene:{scene.id}")
                screen: Any = tour.app.screen  # a VideoScreen: its player and picture are looked at
                screen.player.seek(at)
                settle(
                    tour,
                    functools.partial(
                        lambda s: s.player.position >= at and s.player.picture_size() is not None, screen
                    ),
                )
                screen._last_position = screen.player.position
                settle(tour, functools.partial(lambda s: s.player._shown_pts >= at - 0.2, screen))
                tour.tap("video")  # paused: the picture, the subtitle and the ▶ over it
                path = out / f"{size[0]}x{size[1]}-{lang}{'-senior' if senior else ''}-video.png"
                pygame.image.save(render(tour.app), str(path))
                written.append(path)
                tour.tap("video")  # playing again: subtitle, no ▶
                settle(tour, functools.partial(lambda s: s.player.picture_size() is not None, screen))
                path = out / f"{size[0]}x{size[1]}-{lang}{'-senior' if senior else ''}-video-playing.png"
                pygame.image.save(render(tour.app), str(path))
                written.append(path)
                tour.app.close()
    return written


def signage_shots(pack: Pack, out: Path, sizes=SIZES) -> list[Path]:
    """The playlist in the morning: its film (with subtitles), then a picture and a slide."""
    painter = prepare(pack)
    written = []
    for size in sizes:
        tour = Tour(pack, size, "zh", painter=painter)
        tour.clock.set(TEN_AM_SHANGHAI)
        tour.advance(0.01)
        screen: Any = tour.app.screen  # the SignageScreen
        seen = set()
        for _ in range(400):
            item = screen.item
            if item is not None and item.kind not in seen:
                if item.kind == "video":
                    screen.player.seek(8.0)
                    settle(
                        tour,
                        functools.partial(
                            lambda s: s.player.position >= 8.0 and s.player.picture_size() is not None, screen
                        ),
                    )
                    settle(tour, functools.partial(lambda s: s.player._shown_pts >= 7.8, screen))
                path = out / f"{size[0]}x{size[1]}-signage-{item.kind}.png"
                pygame.image.save(render(tour.app), str(path))
                written.append(path)
                seen.add(item.kind)
            if len(seen) == 3:
                break
            tour.advance(1.0)
        tour.app.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--film", type=Path, default=FILM)
    parser.add_argument("--signage", type=Path, default=SIGNAGE)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    pygame.init()
    written = film_shots(load_pack(args.film), args.out) + signage_shots(load_pack(args.signage), args.out)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
