"""The pack model: what a parsed `pack.toml` is, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("zh", "en")

# The policy themes from the community-science programme; "custom" packs name their own.
TOPICS = (
    "emergency",
    "food-safety",
    "health",
    "low-carbon",
    "digital-literacy",
    "youth-science",
    "science-spirit",
    "custom",
)


@dataclass(frozen=True)
class Text:
    """A visitor-facing string in every language the exhibit speaks."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Attract:
    image: str | None
    headline: Text
    tagline: Text | None = None
    video: str | None = None  # plays (muted, looping) instead of the picture when given
    sound: str | None = None  # background sound looping under the attract loop


@dataclass(frozen=True)
class Slide:
    image: str | None
    title: Text
    body: Text
    narration: dict[str, str] = field(default_factory=dict)  # lang -> audio path


@dataclass(frozen=True)
class Question:
    id: str
    prompt: Text
    choices: tuple[Text, ...]
    answer: int
    explanation: Text


@dataclass(frozen=True)
class Spot:
    id: str
    rect: tuple[float, float, float, float]  # x, y, w, h as fractions of the image
    label: Text
    reveal: Text


@dataclass(frozen=True)
class Scene:
    id: str
    type: str
    title: Text


@dataclass(frozen=True)
class SlidesScene(Scene):
    slides: tuple[Slide, ...] = ()


@dataclass(frozen=True)
class QuizScene(Scene):
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class HotspotsScene(Scene):
    image: str | None = None
    spots: tuple[Spot, ...] = ()


@dataclass(frozen=True)
class RatingScene(Scene):
    prompt: Text | None = None


@dataclass(frozen=True)
class VideoScene(Scene):
    """One film with a poster and subtitles per language."""

    video: str = ""
    poster: str | None = None
    subtitles: dict[str, str] = field(default_factory=dict)  # lang -> .vtt / .srt path
    loop: bool = False
    autoplay: bool = True
    next: str | None = None  # after the end: None = stay (replay button), "home", or a scene id
    duration: float = 0.0  # seconds, when the loader decoded the file (0: not probed)


PLAYLIST_KINDS = ("video", "picture", "slide")


@dataclass(frozen=True)
class PlaylistItem:
    """One entry of a 科普大屏 playlist; `id` names it in proof-of-play reports."""

    id: str
    kind: str  # "video" | "picture" | "slide"
    file: str | None = None  # the video, or the picture (slides may have one too)
    seconds: float = 0.0  # how long a picture or slide stays; a video plays to its end
    title: Text | None = None
    body: Text | None = None
    subtitles: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0  # a video's length when probed


@dataclass(frozen=True)
class Daypart:
    """A playlist for part of the day, `start` ≤ time < `end` ("HH:MM", venue time)."""

    id: str
    start: str
    end: str
    items: tuple[PlaylistItem, ...]

    def covers(self, minute_of_day: int) -> bool:
        start, end = _minutes(self.start), _minutes(self.end)
        if start <= end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end  # across midnight


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Signage:
    """A 科普大屏 schedule: the all-day playlist, dayparts that replace it, touch to explore."""

    items: tuple[PlaylistItem, ...] = ()
    dayparts: tuple[Daypart, ...] = ()
    timezone: str = "Asia/Shanghai"
    explore: bool = False  # a touch opens the pack's scenes; leaving returns to the playlist

    def playlist_at(self, minute_of_day: int) -> tuple[str, tuple[PlaylistItem, ...]]:
        """The daypart id ("all-day" outside every daypart) and its items at this venue time."""
        for part in self.dayparts:
            if part.covers(minute_of_day):
                return part.id, part.items
        return "all-day", self.items


@dataclass(frozen=True)
class Pack:
    """A validated pack source or installed pack directory."""

    root: Path
    id: str
    version: str
    title: Text
    summary: Text | None
    topic: str
    audience: tuple[str, ...]
    languages: tuple[str, ...]
    goal: str | None
    attract: Attract
    scenes: tuple[Scene, ...]
    fonts: tuple[str, ...] = ()
    signage: Signage | None = None
    # Physical buttons (pack.toml [buttons]): (button name, scene id or "*", action), see content_packs/buttons.py
    buttons: tuple[tuple[str, str, str], ...] = ()

    def button_action(self, name: str, scene_id: str | None) -> str | None:
        """What a press of button `name` does on `scene_id` (a scene's own mapping wins over "*")."""
        fallback = None
        for button, scene, action in self.buttons:
            if button != name:
                continue
            if scene == scene_id:
                return action
            if scene == "*":
                fallback = action
        return fallback

    def scene(self, scene_id: str) -> Scene:
        for scene in self.scenes:
            if scene.id == scene_id:
                return scene
        raise KeyError(scene_id)

    def path(self, relative: str) -> Path:
        return self.root / relative
