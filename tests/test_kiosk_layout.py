"""Every key screen at every size, language and text mode: targets big enough, text inside its box.

The tour (kiosk.gallery) drives a real app with touches; the painter records every text
box it draws, so "never overflows or clips" is checked on what was actually drawn.
"""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from content_packs import load_pack
from kiosk.gallery import SIZES, Tour
from kiosk.packs import prepare
from kiosk.showcase import write_showcase_pack
from kiosk.theme import SENIOR_SCALE, Theme

SAMPLES = Path(__file__).resolve().parent.parent / "content_packs" / "samples"
SAMPLE_PACKS = sorted(p.name for p in SAMPLES.iterdir() if (p / "pack.toml").is_file())


@pytest.fixture(scope="module")
def showcase(tmp_path_factory):
    pygame.init()
    pack = load_pack(write_showcase_pack(tmp_path_factory.mktemp("showcase")))
    return pack, prepare(pack)


@pytest.fixture(scope="module")
def samples():
    pygame.init()
    loaded = {}
    for name in SAMPLE_PACKS:
        pack = load_pack(SAMPLES / name)
        loaded[name] = (pack, prepare(pack, images=False))
    return loaded


def walk(showcase, size, lang, senior, thorough=False, dry=False):
    """{step: (targets, text boxes, theme)} for one configuration, drawing each screen once.

    `dry` lays text and pictures out (and records them) without rasterising: the same
    boxes, a fraction of the time.
    """
    pack, painter = showcase
    tour = Tour(pack, size, lang, senior, painter=painter)
    surface = pygame.Surface(size)
    seen = {}
    painter.record, painter.dry = True, dry
    try:
        for step in tour.steps(thorough=thorough):
            painter.drawn = []
            tour.app.draw(surface)
            seen[step] = (tour.app.targets(), list(painter.drawn), tour.app.theme)
    finally:
        painter.record = painter.dry = False
        painter.drawn = []
    return seen


def layout_problems(showcase, size, lang, thorough=False, dry=False) -> tuple[list[str], dict]:
    """Targets ≥ 9 mm, on screen, not overlapping; every text box fits at ≥ its minimum; senior ≥ 1.4×."""
    problems = []
    sizes = {}
    walks = {}
    for senior in (False, True):
        seen = walks[senior] = walk(showcase, size, lang, senior, thorough, dry)
        screen = pygame.Rect(0, 0, *size)
        for step, (targets, boxes, theme) in seen.items():
            where = f"{step}{' senior' if senior else ''}"
            for t in targets:
                if min(t.rect.width, t.rect.height) < theme.min_target:
                    problems.append(f"{where}: target {t.name} {t.rect} smaller than {theme.min_target} px (9 mm)")
                if not screen.contains(t.rect):
                    problems.append(f"{where}: target {t.name} {t.rect} off screen")
            solid = [t for t in targets if t.name != "continue"]  # "continue" is the whole screen, under its buttons
            for i, a in enumerate(solid):
                for b in solid[i + 1 :]:
                    if a.rect.colliderect(b.rect) and not (a.name.startswith("spot:") and b.name.startswith("spot:")):
                        problems.append(f"{where}: targets {a.name} and {b.name} overlap")
            if not boxes:
                problems.append(f"{where}: nothing drawn")
            for box in boxes:
                if not box.fits:
                    problems.append(
                        f"{where}: {box.text[:30]!r} does not fit {box.rect} at {box.size}px: widths {box.line_widths}, height {box.height}"
                    )
                if box.size < box.min_size:
                    problems.append(
                        f"{where}: {box.text[:30]!r} drawn at {box.size}px, below its minimum {box.min_size}px"
                    )
                if not screen.contains(box.rect) and box.rect.height > 0:
                    problems.append(f"{where}: text box {box.text[:20]!r} {box.rect} off screen")
                if box.size < 14:
                    problems.append(f"{where}: {box.text[:20]!r} drawn at {box.size}px, too small to read")
            sizes[senior, step] = {box.text: box.size for box in boxes}
    # 长者模式: every text a visitor sees in both modes is drawn at least 1.4× larger.
    for (senior, step), texts in sizes.items():
        if senior or step in ("attract", "emergency"):  # before/outside a visit nobody chose a mode
            continue
        for text, size_std in texts.items():
            size_senior = sizes.get((True, step), {}).get(text)
            if size_senior is not None and size_senior < SENIOR_SCALE * size_std - 1e-9:
                problems.append(f"{step}: {text[:24]!r} {size_std}px → senior {size_senior}px, less than 1.4×")
    return problems, walks


CONFIGS = [(size, lang) for size in SIZES for lang in ("zh", "en")]


@pytest.mark.parametrize("size,lang", CONFIGS, ids=[f"{w}x{h}-{lang}" for (w, h), lang in CONFIGS])
def test_every_screen_fits_at_every_size(showcase, size, lang):
    problems, walks = layout_problems(showcase, size, lang)
    for senior in (False, True):
        assert {
            "home",
            "slides",
            "hotspots-open",
            "quiz-answered",
            "quiz-score",
            "rating",
            "warning",
            "emergency",
        } <= set(walks[senior])
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("name", SAMPLE_PACKS)
def test_every_screen_of_every_sample_pack_fits(samples, name):
    """Every slide (each part), every hotspot reveal, every answered question of the real packs."""
    problems = []
    visited = set()
    for size in SIZES:
        for lang in ("zh", "en"):
            found, walks = layout_problems(samples[name], size, lang, thorough=True, dry=True)
            problems += [f"{size[0]}x{size[1]} {lang} {p}" for p in found]
            visited |= {step.split(":")[0] for step in walks[True]}
    pack = samples[name][0]
    kinds = {type(s).__name__ for s in pack.scenes}
    assert ("QuizScene" not in kinds) or "quiz-score" in visited
    assert ("HotspotsScene" not in kinds) or "hotspots-open" in visited
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_thorough_walk_reaches_every_part(samples):
    """The walk that checks the real packs really shows every question and every part of a long text."""
    pack, painter = samples["phone-scam-seniors"]
    walks = walk((pack, painter), (800, 480), "en", True, thorough=True, dry=True)
    quiz = next(s for s in pack.scenes if type(s).__name__ == "QuizScene")
    answered = {step.split("#")[1].split("+")[0] for step in walks if step.startswith("quiz:") and "+answered" in step}
    assert answered >= {str(i) for i in range(1, len(quiz.questions))}
    assert any(step.startswith("slides:") and "." in step.split("#")[1] for step in walks), "a long slide in parts"
    assert any(step.startswith("hotspots:") and step.endswith((".1", ".2")) for step in walks), "a long reveal in parts"


def test_senior_text_renders_at_least_1_4_times_taller(showcase):
    """Measured on rendered pixels, not just requested sizes: glyph ink height grows ≥ 1.4×."""
    _, painter = showcase
    for size in SIZES:
        standard, senior = Theme(*size), Theme(*size, senior=True)
        for role in ("title", "heading", "body", "button", "small"):
            for text in ("还在看吗", "Still there"):
                a = painter.render(text, standard.font(role), (0, 0, 0)).get_bounding_rect()
                b = painter.render(text, senior.font(role), (0, 0, 0)).get_bounding_rect()
                # 3 %: ink boxes are whole pixels and hinting rounds each size's outlines;
                # heights are compared on CJK, whose glyphs fill the em box (Latin x-height snaps).
                if not text.isascii():
                    assert b.height >= 1.4 * 0.97 * a.height, (size, role, text, a, b)
                assert b.width >= 1.4 * 0.97 * a.width, (size, role, text, a, b)


def test_min_target_is_nine_millimetres_at_the_configured_dpi():
    assert Theme(1920, 1080, dpi=110).min_target == 39
    assert Theme(800, 480, dpi=160).min_target == 57
    # A denser screen needs more pixels for the same finger; the tour honours it.
    assert Theme(800, 480, dpi=200).button_height >= Theme(800, 480, dpi=200).min_target


def test_targets_grow_with_dpi(showcase):
    pack, painter = showcase
    tour = Tour(pack, (800, 480), "zh", False, dpi=220, painter=painter)
    for _ in tour.steps():
        for t in tour.app.targets():
            assert min(t.rect.size) >= tour.app.theme.min_target == 78, (t.name, t.rect)
