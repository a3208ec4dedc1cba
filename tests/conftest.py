"""Shared fixtures: a real Mosquitto per test on a free port, headless SDL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "content_packs" / "samples"


@pytest.fixture
def broker(tmp_path):
    """A private mosquitto started for this test with a generated config."""
    from controller.devtools.broker import Broker

    with Broker(workdir=tmp_path / "broker") as running:
        yield running
