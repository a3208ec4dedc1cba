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
