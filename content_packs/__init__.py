"""The kepu pack format: manifest model, validation, build, sign, verify and store."""

from content_packs.errors import (
    DowngradeError,
    IntegrityError,
    PackError,
    Problem,
    SignatureError,
    UnsafePackError,
)
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
    "DowngradeError",
    "HotspotsScene",
    "IntegrityError",
    "Pack",
    "PackError",
    "Problem",
    "Question",
    "QuizScene",
    "RatingScene",
    "Scene",
    "SignatureError",
    "Slide",
    "SlidesScene",
    "Spot",
    "Text",
    "UnsafePackError",
    "load_pack",
]
