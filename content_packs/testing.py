"""Helpers for tests (ours and the kiosk's/agent's): write a small valid pack folder, no pygame needed."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MINIMAL_TOML = """\
id = "{pack_id}"
version = "{version}"
title = {{ zh = "测试展项", en = "Test exhibit" }}
summary = {{ zh = "用于测试。", en = "For tests." }}
topic = "emergency"
audience = ["family"]
languages = ["zh", "en"]
goal = "rate"

[attract]
image = "media/attract.png"
headline = {{ zh = "点击开始", en = "Touch to start" }}
tagline = {{ zh = "一分钟学会", en = "Learn it in a minute" }}

[[scenes]]
id = "intro"
type = "slides"
title = {{ zh = "介绍", en = "Introduction" }}

[[scenes.slides]]
image = "media/slide1.png"
title = {{ zh = "第一页", en = "First" }}
body = {{ zh = "正文。", en = "Body." }}

[[scenes.slides]]
image = "media/slide2.png"
title = {{ zh = "第二页", en = "Second" }}
body = {{ zh = "正文。", en = "Body." }}

[[scenes]]
id = "quiz"
type = "quiz"
title = {{ zh = "小测验", en = "Quiz" }}

[[scenes.questions]]
id = "q1"
prompt = {{ zh = "地震时应该？", en = "In an earthquake you should?" }}
choices = [{{ zh = "伏地遮挡手抓牢", en = "Drop, cover, hold on" }}, {{ zh = "坐电梯", en = "Take the lift" }}]
answer = 0
explanation = {{ zh = "先保护头颈。", en = "Protect your head and neck first." }}

[[scenes]]
id = "find"
type = "hotspots"
title = {{ zh = "找一找", en = "Find it" }}
image = "media/room.png"

[[scenes.spots]]
id = "table"
rect = [0.1, 0.5, 0.3, 0.3]
label = {{ zh = "桌子", en = "Table" }}
reveal = {{ zh = "躲在结实的桌子下。", en = "Shelter under a sturdy table." }}

[[scenes]]
id = "rate"
type = "rating"
title = {{ zh = "评价", en = "Rate" }}
prompt = {{ zh = "有帮助吗？", en = "Was this helpful?" }}
"""


def png_bytes(width: int, height: int, rgb: tuple[int, int, int] = (80, 140, 220)) -> bytes:
    """A valid solid-colour PNG, written by hand so tests need no image library."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def make_pack(root: str | Path, pack_id: str = "test-pack", version: str = "1.0.0") -> Path:
    """Write a small pack folder using all four scene types; return its path."""
    root = Path(root)
    (root / "media").mkdir(parents=True, exist_ok=True)
    colours = {"attract": (240, 180, 60), "slide1": (80, 140, 220), "slide2": (90, 190, 120), "room": (200, 90, 90)}
    for name, rgb in colours.items():
        (root / "media" / f"{name}.png").write_bytes(png_bytes(64, 36, rgb))
    (root / "pack.toml").write_text(MINIMAL_TOML.format(pack_id=pack_id, version=version), encoding="utf-8")
    return root
