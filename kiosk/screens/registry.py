"""Which screen plays which scene type."""

from __future__ import annotations

import pygame

from content_packs.model import Scene
from kiosk.screens.base import Context, Screen
from kiosk.screens.hotspots import HotspotsScreen
from kiosk.screens.quiz import QuizScreen
from kiosk.screens.rating import RatingScreen
from kiosk.screens.slides import SlidesScreen
from kiosk.screens.video import VideoScreen

SCREENS: dict[str, type[Screen]] = {
    "slides": SlidesScreen,
    "quiz": QuizScreen,
    "hotspots": HotspotsScreen,
    "rating": RatingScreen,
    "video": VideoScreen,
}


def supported(scene: Scene) -> bool:
    return scene.type in SCREENS


def build_screen(scene: Scene, ctx: Context, area: pygame.Rect) -> Screen:
    """The screen for `scene`; KeyError for a type this kiosk cannot play."""
    return SCREENS[scene.type](ctx, area, scene)  # type: ignore[call-arg]
