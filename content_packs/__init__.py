"""The kepu pack format: manifest model, validation, build, sign, verify and store."""

from content_packs.errors import PackError, Problem
from content_packs.loader import load_pack
from content_packs.model import (
    Attract,
    HotspotsScene,
    Pack,
    Question,
    QuizScene,
    RatingScene,
    Scene,
    Slide,
    SlidesScene,
    Spot,
    Text,
)

__all__ = [
    "Attract",
    "HotspotsScene",
    "Pack",
    "PackError",
    "Problem",
    "Question",
    "QuizScene",
    "RatingScene",
    "Scene",
    "Slide",
    "SlidesScene",
    "Spot",
    "Text",
    "load_pack",
]
