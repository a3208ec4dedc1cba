"""A scripted tour of every key screen: for layout tests, reference images and reviewers.

`tour()` drives a real KioskApp through touches on its own targets (pointer down/up at
a target's centre, as a finger would) and yields at each screen worth looking at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from content_packs.model import HotspotsScene, Pack, QuizScene, RatingScene, SlidesScene
from kepu_contracts.clock import ManualClock
from kepu_contracts.control import Control, EmergencyNotice
from kepu_contracts.events import Event
from kiosk.app import KioskApp, KioskConfig
from kiosk.packs import prepare
from kiosk.touch import Pointer

SIZES = ((1920, 1080), (1280, 720), (1080, 1920), (800, 480))
NOTICE = EmergencyNotice(
    "em-gallery",
    "暴雨红色预警：请立即前往室内安全区域，远离窗户，听从工作人员指挥。",
    "Red rainstorm warning: go to the indoor safe area now, keep away from windows and follow staff instructions.",
)


@dataclass
class MemoryRecorder:
    """Keeps events in a list: the tour needs no outbox."""

    clock: ManualClock
    events: list[Event] = field(default_factory=list)

    def record(self, type: str, session: str | None = None, scene: str | None = None, **data: Any) -> Event:
        event = Event(type=type, stamp=self.clock.stamp(), session=session, scene=scene, data=data)
        self.events.append(event)
        return event


class Tour:
    """One app at one size, language and text mode; `steps()` walks it through the screens."""

    def __init__(
        self,
        pack: Pack,
        size: tuple[int, int],
        lang: str = "zh",
        senior: bool = False,
        dpi: float = 110.0,
        painter=None,
    ):
        self.pack = pack
        self.clock = ManualClock()
        self.recorder = MemoryRecorder(self.clock)
        self.control = Control()
        self.senior = senior
        self.app = KioskApp(
            pack,
            self.recorder,
            self.clock,
            size,
            painter or prepare(pack),
            KioskConfig(dpi=dpi, default_lang=lang),
            control=lambda: self.control,
        )

    def tap(self, name: str) -> None:
        target = next((t for t in self.app.targets() if t.name == name), None)
        if target is None:
            raise LookupError(f"no target {name!r} on {self.app.state_key()}: {[t.name for t in self.app.targets()]}")
        x, y = target.rect.center
        self.app.pointer(Pointer("down", x, y))
        self.app.pointer(Pointer("up", x, y))
        self.advance(0.5)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.app.update(seconds)

    def scene_of(self, kind: type) -> str | None:
        return next((s.id for s in self.pack.scenes if isinstance(s, kind)), None)

    def steps(self, thorough: bool = False) -> Iterator[str]:
        """Bring the app to each key screen in turn; yields a short name for each.

        `thorough` also visits every slide, every hotspot and every answered question,
        each part of a long text included (layout checks on real packs).
        """
        app = self.app
        yield "attract"
        self.tap("start")
        if self.senior:
            self.tap("chrome:senior")
        yield "home"
        if slides := self.scene_of(SlidesScene):
            self.tap(f"scene:{slides}")
            yield "slides"
            scene = self.pack.scene(slides)
            for scene_slides in (
                [s.id for s in self.pack.scenes if isinstance(s, SlidesScene)] if thorough else [slides]
            ):
                if scene_slides != slides:
                    self.tap("chrome:home")
                    self.tap(f"scene:{scene_slides}")
                scene = self.pack.scene(scene_slides)
                while True:
                    screen = app.screen
                    last = screen.index == len(scene.slides) - 1 and screen.part == len(screen.parts) - 1  # type: ignore[attr-defined]
                    if last:
                        break
                    self.tap("next")
                    if thorough:
                        yield f"slides:{app.screen.state_key()}"
            yield "slides-last"
            self.tap("chrome:home")
        for room in [s.id for s in self.pack.scenes if isinstance(s, HotspotsScene)][: None if thorough else 1]:
            self.tap(f"scene:{room}")
            if room == self.scene_of(HotspotsScene):
                yield "hotspots"
            spots = self.pack.scene(room).spots  # type: ignore[attr-defined]
            for n, spot in enumerate(spots if thorough else spots[:1]):
                self.tap(f"spot:{spot.id}")
                yield (
                    "hotspots-open"
                    if n == 0 and room == self.scene_of(HotspotsScene)
                    else f"hotspots:{app.screen.state_key()}"
                )
                while thorough and any(t.name == "more" for t in app.targets()):
                    self.tap("more")
                    yield f"hotspots:{app.screen.state_key()}"
            self.tap("chrome:home")
        for quiz in [s.id for s in self.pack.scenes if isinstance(s, QuizScene)][: None if thorough else 1]:
            first_quiz = quiz == self.scene_of(QuizScene)
            self.tap(f"scene:{quiz}")
            if first_quiz:
                yield "quiz"
            questions = self.pack.scene(quiz).questions  # type: ignore[attr-defined]
            for i, q in enumerate(questions):
                wrong = next(c for c in range(len(q.choices)) if c != q.answer)
                # Thorough: a wrong answer on every question (the explanation matters most there).
                self.tap(f"choice:{wrong if i == 0 or thorough else q.answer}")
                if i == 0 and first_quiz:
                    yield "quiz-answered"
                elif thorough:
                    yield f"quiz:{app.screen.state_key()}"
                while app.screen.part + 1 < len(app.screen.parts):  # type: ignore[attr-defined]
                    self.tap("next")  # the rest of a long explanation
                    if thorough:
                        yield f"quiz:{app.screen.state_key()}"
                self.tap("next")
            if first_quiz:
                yield "quiz-score"
            self.tap("chrome:home")
        self.advance(app.sessions.idle_timeout - app.sessions.warning + 1)
        yield "warning"
        self.tap("continue")
        if rate := self.scene_of(RatingScene):
            self.tap(f"scene:{rate}")
            yield "rating"
            self.tap("up")
            yield "rating-thanks"
        self.control = Control(NOTICE)
        self.advance(0.1)
        yield "emergency"
        self.control = Control()
        self.advance(0.1)


def render(app: KioskApp) -> pygame.Surface:
    surface = pygame.Surface(app.size)
    app.draw(surface)
    return surface


def save_tour(pack: Pack, out: Path, sizes=SIZES, langs=("zh", "en"), senior=(False, True)) -> list[Path]:
    """Write a PNG of every key screen at every size, language and text mode."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    painter = prepare(pack)
    for size in sizes:
        for lang in langs:
            for old in senior:
                tour = Tour(pack, size, lang, old, painter=painter)
                for name in tour.steps():
                    path = out / f"{size[0]}x{size[1]}-{lang}{'-senior' if old else ''}-{name}.png"
                    pygame.image.save(render(tour.app), str(path))
                    written.append(path)
    return written
