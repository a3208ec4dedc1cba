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


@pytest.fixture
def make_stack(tmp_path):
    """Build controller stacks at a local (Asia/Shanghai) time like "2025-05-10 08:00"; closed after the test.

    In-process (TestClient) unless `mqtt_url` is given or `serve=True`.
    """
    from kepu_contracts.clock import ManualClock
    from tests.support.controller import Stack, at

    made = []

    def make(when: str, mqtt_url: str | None = None, **options: object) -> Stack:
        stack = Stack(tmp_path / f"ctl{len(made) or ''}", ManualClock(at(when)), mqtt_url=mqtt_url, **options)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.close()


@pytest.fixture
def stack(make_stack):
    """A controller stack, in-process, with its clock at 2025-05-10 08:00 Shanghai time and no broker."""
    return make_stack("2025-05-10 08:00")
