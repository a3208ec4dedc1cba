"""The sample packs: every one validates, builds, verifies, extracts, and meets the content bar."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from content_packs import HotspotsScene, QuizScene, SlidesScene, load_pack
from content_packs.archive import build_pack, extract_kpack, verify_kpack
from content_packs.loader import _image_size
from content_packs.model import TOPICS

SAMPLES = Path(__file__).resolve().parent.parent / "content_packs" / "samples"
NAMES = sorted(p.name for p in SAMPLES.iterdir() if (p / "pack.toml").is_file())
KEY = Ed25519PrivateKey.generate()


def test_there_are_at_least_four_samples_on_policy_themes():
    assert len(NAMES) >= 4
    topics = {load_pack(SAMPLES / n).topic for n in NAMES}
    assert {"emergency", "food-safety", "low-carbon", "digital-literacy"} <= topics <= set(TOPICS)


@pytest.mark.parametrize("name", NAMES)
def test_sample_validates_builds_verifies_and_extracts(name, tmp_path):
    kpack = build_pack(SAMPLES / name, KEY, tmp_path)
    manifest = verify_kpack(kpack, [KEY.public_key()])
    assert manifest.id == name
    extract_kpack(kpack, tmp_path / "stage", [KEY.public_key()])
    assert load_pack(tmp_path / "stage").id == name


@pytest.mark.parametrize("name", NAMES)
def test_sample_content_bar(name):
    pack = load_pack(SAMPLES / name)
    assert set(pack.languages) == {"zh", "en"}
    assert len({s.type for s in pack.scenes}) >= 3
    quizzes = [s for s in pack.scenes if isinstance(s, QuizScene)]
    assert quizzes and len(quizzes[0].questions) >= 5
    assert all(q.explanation.zh and q.explanation.en for q in quizzes[0].questions)
    first_slides = next(s for s in pack.scenes if isinstance(s, SlidesScene))
    assert len(first_slides.slides) >= 3
    assert pack.goal in {s.id for s in pack.scenes}
    assert pack.attract.image and pack.attract.tagline is not None
    assert pack.attract.headline.en and pack.attract.headline.zh


@pytest.mark.parametrize("name", NAMES)
def test_sample_images_are_modest(name):
    pack = load_pack(SAMPLES / name)
    images = {pack.attract.image}
    for scene in pack.scenes:
        if isinstance(scene, SlidesScene):
            images |= {s.image for s in scene.slides}
        if isinstance(scene, HotspotsScene):
            images.add(scene.image)
    for image in images:
        path = pack.path(image)
        assert path.stat().st_size < 300_000, image
        assert _image_size(path) == (1600, 900), image


@pytest.mark.parametrize("name", NAMES)
def test_hotspots_do_not_overlap(name):
    pack = load_pack(SAMPLES / name)
    for scene in pack.scenes:
        if isinstance(scene, HotspotsScene):
            spots = scene.spots
            for i, a in enumerate(spots):
                for b in spots[i + 1 :]:
                    ax, ay, aw, ah = a.rect
                    bx, by, bw, bh = b.rect
                    overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
                    assert not overlap, f"{name}: {a.id} overlaps {b.id}"


def test_draw_samples_script_redraws_the_images(tmp_path):
    """The committed pictures come from code in the repository; redrawing them works headless."""
    script = SAMPLES.parent.parent / "scripts" / "draw_samples.py"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    result = subprocess.run(
        [sys.executable, str(script), "--only", "phone-scam-seniors", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    drawn = sorted(p.name for p in (tmp_path / "phone-scam-seniors" / "media").iterdir())
    committed = sorted(p.name for p in (SAMPLES / "phone-scam-seniors" / "media").iterdir())
    assert drawn == committed
    for path in (tmp_path / "phone-scam-seniors" / "media").iterdir():
        assert _image_size(path) == (1600, 900) and path.stat().st_size < 300_000
