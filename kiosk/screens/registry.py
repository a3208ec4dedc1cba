"""Which screen plays which scene type."""

from __future__ import annotations

import pygame

from content_packs.model import Scene
from kiosk.screens.base import Context, Screen
from kiosk.screens.slides import SlidesScreen

SCREENS: dict[str, type[Screen]] = {
    "slides": SlidesScreen,
}


def supported(scene: Scene) -> bool:
    return scene.type in SCREENS


def build_screen(scene: Scene, ctx: Context, area: pygame.Rect) -> Screen:
    """The screen for `scene`; KeyError for a type this kiosk cannot play."""
    return SCREENS[scene.type](ctx, area, scene)  # type: ignore[call-arg]
