#!/usr/bin/env python3
"""Make the sample films: drawn frames (the sample illustrations, animated) and a generated sound,
encoded to H.264 + AAC MP4 with PyAV, with zh and en subtitles from the same cue list.

Run from the repository root:  python scripts/make_media.py [--check]

Writes
  content_packs/samples/earthquake-film/media/film.mp4 (+ film.zh.vtt, film.en.srt, film-poster.png, pictures)
  content_packs/samples-signage/community-screen/media/*.mp4 (+ subtitles, pictures)
The output is byte-for-byte reproducible (one encoder thread, bitexact muxing), so the
committed files can be checked with `--check` (exit 1 if any differs). No words are drawn
into the pictures: every word is a subtitle, in both languages.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import draw_samples as art  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402

from content_packs.mediawriter import AUDIO_RATE, write_video  # noqa: E402

SAMPLES = REPO / "content_packs" / "samples"
SIGNAGE = REPO / "content_packs" / "samples-signage"
FPS = 30
FADE = 0.5  # seconds of cross-fade between shots


@dataclass(frozen=True)
class Shot:
    """`seconds` of one picture: a still drawing moved slowly, or an animation drawn per frame."""

    seconds: float
    draw: Callable[[], art.Canvas] | None = None  # a still, panned and zoomed (Ken Burns)
    animate: Callable[[float], art.Canvas] | None = None  # t in [0, 1) -> a fresh frame
    zoom: tuple[float, float] = (1.0, 1.08)
    pan: tuple[float, float] = (0.0, 0.0)  # drift across the shot, as a fraction of the width/height


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    zh: str
    en: str


@dataclass(frozen=True)
class Film:
    name: str
    shots: tuple[Shot, ...]
    cues: tuple[Cue, ...]
    sound: Callable[[float], np.ndarray]  # seconds -> the whole soundtrack, mono samples

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.shots)


# -- pictures --------------------------------------------------------------------------------


def _canvas_at(size: tuple[int, int]) -> None:
    """Draw the 1600×900 design at the film's size (the sample drawings scale with art.SCALE)."""
    art.SCALE = size[0] / art.W


def _shaking_room(t: float) -> art.Canvas:
    """The living room in an earthquake: the room shakes, the lamp swings; at t≈0.4 the visitor takes cover."""
    seconds = t * 10
    strength = 1.0 if seconds < 6 else max(0.0, 1 - (seconds - 6) / 4)
    dx = 14 * strength * math.sin(seconds * 2 * math.pi * 3.1)
    dy = 6 * strength * math.sin(seconds * 2 * math.pi * 4.3 + 1)
    c = art.Canvas()
    art.room(c)
    art.window(c, 1180 + dx, 120 + dy)
    art.bookshelf(c, 80 + dx, 680, 220, 380)
    swing = math.radians(18 * strength * math.sin(seconds * 2 * math.pi * 0.9))
    top = (300 + dx, 0)
    bulb = (top[0] + 160 * math.sin(swing), 160 * math.cos(swing))
    c.line(art.INK, top, bulb, 6)
    c.poly(art.YELLOW, [(bulb[0] - 50, bulb[1] + 40), (bulb[0] + 50, bulb[1] + 40), (bulb[0], bulb[1] - 10)])
    art.table(c, 420 + dx * 0.5, 690, 760, 330)
    if seconds < 4:
        art.person(c, 980 + dx * 0.3, 684, 1.2, art.BLUE, pose="stand")
    else:
        art.person(c, 800 + dx * 0.2, 684, 1.35, art.BLUE, pose="crouch")
    for i in range(3):  # shake marks
        k = strength * 1.0
        if k > 0.05:
            c.polyline(
                art.GREY,
                [(1480 - i * 30, 400 + i * 40), (1510 - i * 30, 380 + i * 40), (1540 - i * 30, 410 + i * 40)],
                6 * k,
            )
    return c


def frames(film: Film, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """Every frame of the film at `size`, as RGB arrays."""
    _canvas_at(size)
    pygame.display.init()
    previous: pygame.Surface | None = None
    for shot in film.shots:
        still = shot.draw().surface if shot.draw else None
        count = round(shot.seconds * FPS)
        for i in range(count):
            t = i / count
            if still is not None:
                frame = _ken_burns(still, size, t, shot)
            else:
                assert shot.animate is not None
                frame = shot.animate(t).surface
                if frame.get_size() != size:
                    frame = pygame.transform.smoothscale(frame, size)
            if previous is not None and i < FADE * FPS:
                blend = frame.copy()
                fade = previous.copy()
                fade.set_alpha(round(255 * (1 - i / (FADE * FPS))))
                blend.blit(fade, (0, 0))
                frame = blend
            if i == count - 1:
                previous = frame
            yield pygame.surfarray.array3d(frame).swapaxes(0, 1)


def _ken_burns(still: pygame.Surface, size: tuple[int, int], t: float, shot: Shot) -> pygame.Surface:
    eased = 0.5 - 0.5 * math.cos(math.pi * t)
    zoom = shot.zoom[0] + (shot.zoom[1] - shot.zoom[0]) * eased
    w, h = still.get_size()
    cw, ch = round(w / zoom), round(h / zoom)
    cx = (w - cw) / 2 + shot.pan[0] * w * (eased - 0.5)
    cy = (h - ch) / 2 + shot.pan[1] * h * (eased - 0.5)
    x = max(0, min(w - cw, round(cx)))
    y = max(0, min(h - ch, round(cy)))
    return pygame.transform.smoothscale(still.subsurface((x, y, cw, ch)), size)


# -- sound -----------------------------------------------------------------------------------


def _pad(t: np.ndarray, root: float) -> np.ndarray:
    """A soft major chord that breathes slowly."""
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 8)
    return swell * sum(0.05 * np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.25, 1.5))


def _rumble(n: int, seed: int = 7) -> np.ndarray:
    """Low filtered noise: the ground shaking (seeded, so the file is the same every time)."""
    noise = np.random.default_rng(seed).standard_normal(n + 400)
    kernel = np.ones(400) / 400
    return np.convolve(noise, kernel, mode="valid")[:n] * 6.0


def quake_sound(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * AUDIO_RATE)) / AUDIO_RATE
    sound = _pad(t, 220.0)
    shaking = (t >= 7) & (t < 17)
    strength = np.where(t < 13, 1.0, np.clip(1 - (t - 13) / 4, 0, 1))
    sound = sound + np.where(shaking, _rumble(len(t)) * strength, 0.0)
    # A phone's three beeps for the 119 call.
    for k in range(3):
        beep = (t >= 36 + k * 0.6) & (t < 36.3 + k * 0.6)
        sound = sound + np.where(beep, 0.12 * np.sin(2 * np.pi * 880 * t), 0.0)
    return _fade(sound, t, seconds)


def calm_sound(root: float) -> Callable[[float], np.ndarray]:
    def sound(seconds: float) -> np.ndarray:
        t = np.arange(round(seconds * AUDIO_RATE)) / AUDIO_RATE
        return _fade(_pad(t, root), t, seconds)

    return sound


def _fade(sound: np.ndarray, t: np.ndarray, seconds: float) -> np.ndarray:
    return sound * np.clip(t / 1.0, 0, 1) * np.clip((seconds - t) / 1.0, 0, 1)


# -- the films -------------------------------------------------------------------------------

QUAKE = Film(
    "film",
    (
        Shot(7, art.quake_attract, zoom=(1.0, 1.12)),
        Shot(10, animate=_shaking_room),
        Shot(8, art.quake_no_lift, zoom=(1.05, 1.15), pan=(0.05, 0)),
        Shot(10, art.quake_open_area, zoom=(1.12, 1.0), pan=(-0.06, 0)),
        Shot(10, art.fire_call, zoom=(1.0, 1.15)),
    ),
    (
        Cue(0.5, 3.5, "地震来了怎么办？", "What do you do when an earthquake comes?"),
        Cue(3.7, 6.8, "记住三件事，保护自己和家人。", "Remember three things to keep yourself and your family safe."),
        Cue(7.2, 10.8, "感到摇晃，先别慌，也别往外跑。", "Feel the shaking? Stay calm, and don't run outside."),
        Cue(
            11.0,
            16.8,
            "伏地、遮挡、手抓牢：躲到结实的桌子下，护住头颈。",
            "Drop, cover and hold on: get under a sturdy table and protect your head and neck.",
        ),
        Cue(17.2, 21.0, "震时不要乘电梯。", "Never use a lift during an earthquake."),
        Cue(21.2, 24.8, "摇晃停止后，走楼梯有序离开。", "When the shaking stops, leave calmly by the stairs."),
        Cue(
            25.2,
            29.8,
            "到空旷的地方去，远离高楼和电线杆。",
            "Go to open ground, away from tall buildings and power poles.",
        ),
        Cue(30.0, 34.8, "小心余震，听从工作人员指挥。", "Watch out for aftershocks and follow the staff's directions."),
        Cue(35.2, 39.8, "发现火情，马上拨打 119。", "See a fire? Call 119 right away."),
        Cue(
            40.0,
            44.5,
            "讲清地址、什么着火、有没有人被困。",
            "Say the address, what is burning and whether anyone is trapped.",
        ),
    ),
    quake_sound,
)

FOOD = Film(
    "food-film",
    (
        Shot(7, art.food_wash, zoom=(1.0, 1.1)),
        Shot(7, art.food_separate, zoom=(1.1, 1.0), pan=(0.05, 0)),
        Shot(6, art.food_cook, zoom=(1.0, 1.12)),
    ),
    (
        Cue(0.5, 6.5, "做饭前，先用肥皂洗手 20 秒。", "Before cooking, wash your hands with soap for 20 seconds."),
        Cue(
            7.2,
            13.5,
            "生食和熟食分开放，菜板刀具也要分开。",
            "Keep raw and cooked food apart, with separate boards and knives.",
        ),
        Cue(14.2, 19.5, "肉和蛋要烧熟煮透。", "Cook meat and eggs all the way through."),
    ),
    calm_sound(261.6),
)

CARBON = Film(
    "carbon-film",
    (
        Shot(7, art.carbon_travel, zoom=(1.0, 1.1), pan=(0.04, 0)),
        Shot(7, art.carbon_power, zoom=(1.1, 1.0)),
        Shot(6, art.carbon_sorting, zoom=(1.0, 1.1)),
    ),
    (
        Cue(0.5, 6.5, "短途出行，步行、骑车或坐公交。", "For short trips, walk, cycle or take the bus."),
        Cue(7.2, 13.5, "随手关灯，电器不用时拔掉插头。", "Switch off lights, and unplug what you are not using."),
        Cue(14.2, 19.5, "垃圾分类，让资源再利用。", "Sort your rubbish so it can be used again."),
    ),
    calm_sound(196.0),
)


def write_subtitles(film: Film, folder: Path) -> list[Path]:
    """zh as WebVTT and en as SRT: the kiosk reads both formats."""

    def stamp(seconds: float, sep: str) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    vtt = ["WEBVTT", ""]
    srt = []
    for n, cue in enumerate(film.cues, 1):
        vtt += [f"{stamp(cue.start, '.')} --> {stamp(cue.end, '.')}", cue.zh, ""]
        srt += [str(n), f"{stamp(cue.start, ',')} --> {stamp(cue.end, ',')}", cue.en, ""]
    zh, en = folder / f"{film.name}.zh.vtt", folder / f"{film.name}.en.srt"
    zh.write_text("\n".join(vtt), encoding="utf-8")
    en.write_text("\n".join(srt), encoding="utf-8")
    return [zh, en]


def write_film(film: Film, folder: Path, size: tuple[int, int] = (1280, 720), crf: int = 26) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    soundtrack = film.sound(film.seconds)

    def sound(t: np.ndarray) -> np.ndarray:
        index = np.minimum(np.round(t * AUDIO_RATE).astype(np.int64), len(soundtrack) - 1)
        return soundtrack[index]

    path = write_video(
        folder / f"{film.name}.mp4", frames(film, size), size, fps=FPS, sound=sound, seconds=film.seconds, crf=crf
    )
    return [path, *write_subtitles(film, folder)]


def write_poster(film: Film, folder: Path) -> Path:
    """A poster from the film's key moment, drawn like the sample pictures (2×, smoothed to 1600×900)."""
    art.SCALE = 2
    path = folder / f"{film.name}-poster.png"
    film.shots[1].animate(0.5).save(path) if film.shots[1].animate else film.shots[0].draw().save(path)  # type: ignore[union-attr]
    return path


def make_all(samples: Path = SAMPLES, signage: Path = SIGNAGE) -> list[Path]:
    made = []
    quake = samples / "earthquake-film" / "media"
    made += write_film(QUAKE, quake)
    made.append(write_poster(QUAKE, quake))
    for name in ("attract", "drop-cover-hold", "no-lift", "open-area"):
        shutil.copyfile(samples / "earthquake-fire-safety" / "media" / f"{name}.png", quake / f"{name}.png")
        made.append(quake / f"{name}.png")
    screen = signage / "community-screen" / "media"
    for film in (FOOD, CARBON):
        made += write_film(film, screen)
    # The playlist's pictures are the sample illustrations themselves.
    for source, name in (
        (SAMPLES / "food-safety-home" / "media" / "fridge-temp.png", "fridge-temp.png"),
        (SAMPLES / "low-carbon-living" / "media" / "water.png", "water.png"),
        (SAMPLES / "earthquake-fire-safety" / "media" / "open-area.png", "open-area.png"),
        (SAMPLES / "phone-scam-seniors" / "media" / "hang-up.png", "hang-up.png"),
    ):
        shutil.copyfile(source, screen / name)
        made.append(screen / name)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild in a temporary folder and compare")
    args = parser.parse_args(argv)
    if not args.check:
        for path in make_all():
            print(f"{path.relative_to(REPO)}  {path.stat().st_size / 1e6:.2f} MB")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        samples, signage = Path(tmp) / "samples", Path(tmp) / "signage"
        shutil.copytree(SAMPLES, samples)
        differ = []
        for path in make_all(samples, signage):
            rel = path.relative_to(samples if path.is_relative_to(samples) else signage)
            committed = (SAMPLES if path.is_relative_to(samples) else SIGNAGE) / rel
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if not committed.is_file() or hashlib.sha256(committed.read_bytes()).hexdigest() != digest:
                differ.append(str(rel))
        for rel in differ:
            print(f"differs: {rel}")
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
