"""Key screens in both languages against reference images (480 px wide, compared with a tolerance).

Regenerate after an intended visual change with `KEPU_REGEN_REFERENCE=1`, then look at
the new PNGs in tests/reference/kiosk/ before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

from content_packs import load_pack
from kiosk.gallery import Tour, render
from kiosk.packs import prepare
from kiosk.showcase import write_showcase_pack

REFERENCE = Path(__file__).parent / "reference" / "kiosk"
SIZE = (1280, 720)
WIDTH = 480
KEY_SCREENS = (
    "attract",
    "home",
    "slides",
    "hotspots-open",
    "quiz-answered",
    "quiz-score",
    "rating",
    "warning",
    "emergency",
)


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    pygame.init()
    pack = load_pack(write_showcase_pack(tmp_path_factory.mktemp("showcase")))
    painter = prepare(pack)
    shots = {}
    for lang in ("zh", "en"):
        for senior in (False, True):
            tour = Tour(pack, SIZE, lang, senior, painter=painter)
            for step in tour.steps():
                if step in KEY_SCREENS and (not senior or step == "home"):
                    name = f"{lang}{'-senior' if senior else ''}-{step}"
                    full = render(tour.app)
                    shots[name] = pygame.transform.smoothscale(full, (WIDTH, round(SIZE[1] * WIDTH / SIZE[0])))
    return shots


def difference(a: pygame.Surface, b: pygame.Surface) -> tuple[float, float]:
    """(mean absolute channel difference, share of pixels differing by more than 48 in a channel)."""
    a, b = a.convert(24) if a.get_bitsize() != 24 else a, b.convert(24) if b.get_bitsize() != 24 else b
    over = a.copy()
    over.blit(b, (0, 0), special_flags=pygame.BLEND_RGB_SUB)  # max(a - b, 0)
    under = b.copy()
    under.blit(a, (0, 0), special_flags=pygame.BLEND_RGB_SUB)  # max(b - a, 0)
    over.blit(under, (0, 0), special_flags=pygame.BLEND_RGB_ADD)  # |a - b|
    mean = sum(pygame.transform.average_color(over)[:3]) / 3
    close = pygame.mask.from_threshold(over, (0, 0, 0), (49, 49, 49, 255)).count()
    return mean, 1 - close / (over.get_width() * over.get_height())


def test_key_screens_match_the_reference_images(screens):
    assert len(screens) == 2 * len(KEY_SCREENS) + 2
    if os.environ.get("KEPU_REGEN_REFERENCE") == "1":
        REFERENCE.mkdir(parents=True, exist_ok=True)
        for name, surface in screens.items():
            pygame.image.save(surface, str(REFERENCE / f"{name}.png"))
    missing = [name for name in screens if not (REFERENCE / f"{name}.png").is_file()]
    assert not missing, f"no reference for {missing}: run with KEPU_REGEN_REFERENCE=1 and review the images"
    changed = []
    for name, surface in screens.items():
        reference = pygame.image.load(str(REFERENCE / f"{name}.png"))
        assert reference.get_size() == surface.get_size(), name
        mean, share = difference(surface, reference)
        # Tolerant of font hinting and scaling noise; a moved button or missing text is not.
        if mean > 2.0 or share > 0.01:
            changed.append(f"{name}: mean {mean:.2f}, {share:.1%} of pixels differ")
    assert not changed, "\n".join(changed)


def test_the_comparison_catches_a_real_change(screens):
    a = screens["zh-home"]
    b = a.copy()
    pygame.draw.rect(b, (255, 0, 0), pygame.Rect(200, 120, 60, 40))  # a tile gone wrong
    _mean, share = difference(a, b)
    assert share > 0.01
    assert difference(a, a.copy()) == (0.0, 0.0)
