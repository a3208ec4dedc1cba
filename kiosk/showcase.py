"""A pack with every scene type, written on demand: for kiosk tests, screenshots and benchmarks.

It does not depend on the sample packs (which other people edit), so reference images
stay stable. Pictures are drawn with pygame and narration is a short generated tone.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pygame

PACK_TOML = """id = "kiosk-showcase"
version = "1.0.0"
title = { zh = "地震来了怎么办", en = "When the Earth Shakes" }
summary = { zh = "三分钟学会避险自救", en = "Learn to stay safe in three minutes" }
topic = "emergency"
audience = ["children", "adults", "seniors"]
languages = ["zh", "en"]
goal = "quiz"

[attract]
image = "media/attract.png"
headline = { zh = "点击开始", en = "Touch to start" }
tagline = { zh = "三分钟学会避险自救", en = "Learn to stay safe in three minutes" }

[[scenes]]
id = "basics"
type = "slides"
title = { zh = "伏地、遮挡、手抓牢", en = "Drop, cover, hold on" }

[[scenes.slides]]
image = "media/drop.png"
title = { zh = "伏地", en = "Drop" }
body = { zh = "感到摇晃时，立刻趴下，降低重心，防止摔倒。不要慌张地往外跑，也不要乘坐电梯。", en = "When you feel shaking, drop to your hands and knees at once so you will not be knocked over. Do not run outside and never use a lift." }
narration = { zh = "audio/drop-zh.wav", en = "audio/drop-en.wav" }

[[scenes.slides]]
image = "media/cover.png"
title = { zh = "遮挡", en = "Cover" }
body = { zh = "躲到结实的桌子下面，用手臂护住头和颈部。远离窗户、吊灯和高大的家具。", en = "Get under a sturdy table and protect your head and neck with your arms. Keep away from windows, lamps and tall furniture." }

[[scenes.slides]]
image = "media/hold.png"
title = { zh = "手抓牢", en = "Hold on" }
body = { zh = "抓紧桌腿，直到摇晃停止。", en = "Hold on to the table leg until the shaking stops." }

[[scenes]]
id = "room"
type = "hotspots"
title = { zh = "找一找：家里哪里安全？", en = "Find the safe spots at home" }
image = "media/room.png"

[[scenes.spots]]
id = "table"
rect = [0.08, 0.55, 0.30, 0.30]
label = { zh = "结实的桌子", en = "Sturdy table" }
reveal = { zh = "躲在桌子下面，抓紧桌腿，可以挡住掉落的东西。", en = "Under a table, holding a leg, you are shielded from falling objects." }

[[scenes.spots]]
id = "window"
rect = [0.60, 0.12, 0.26, 0.36]
label = { zh = "窗户", en = "Window" }
reveal = { zh = "玻璃可能震碎，地震时要远离窗户。", en = "Glass can shatter: stay away from windows while the ground shakes." }

[[scenes.spots]]
id = "corner"
rect = [0.44, 0.60, 0.12, 0.30]
label = { zh = "内墙角", en = "Inner corner" }
reveal = { zh = "没有桌子时，蹲在内墙角，护住头部。", en = "With no table nearby, crouch in an inside corner and protect your head." }

[[scenes]]
id = "quiz"
type = "quiz"
title = { zh = "考考你", en = "Test yourself" }

[[scenes.questions]]
id = "q-first"
prompt = { zh = "在室内感到强烈摇晃，第一步应该做什么？", en = "Strong shaking indoors: what do you do first?" }
choices = [
  { zh = "马上跑到楼下", en = "Run downstairs" },
  { zh = "伏地、遮挡、手抓牢", en = "Drop, cover, hold on" },
  { zh = "乘电梯离开", en = "Take the lift" },
]
answer = 1
explanation = { zh = "摇晃时跑动容易摔倒或被砸伤，先就地保护自己。", en = "Moving while the floor shakes gets people hurt; protect yourself where you are." }

[[scenes.questions]]
id = "q-lift"
prompt = { zh = "地震时可以乘坐电梯吗？", en = "May you use a lift during an earthquake?" }
choices = [
  { zh = "可以", en = "Yes" },
  { zh = "不可以", en = "No" },
]
answer = 1
explanation = { zh = "停电或变形会把人困在电梯里。", en = "A power cut or a bent shaft can trap you inside." }

[[scenes.questions]]
id = "q-after"
prompt = { zh = "摇晃停止后，应该怎样离开建筑？", en = "When the shaking stops, how do you leave the building?" }
choices = [
  { zh = "走楼梯，远离玻璃", en = "By the stairs, away from glass" },
  { zh = "从窗户跳出去", en = "Jump out of a window" },
  { zh = "留在原地等待", en = "Stay where you are" },
  { zh = "乘电梯", en = "By the lift" },
]
answer = 0
explanation = { zh = "走楼梯到空旷地带，注意余震。", en = "Take the stairs to open ground and watch for aftershocks." }

[[scenes]]
id = "rate"
type = "rating"
title = { zh = "评一评", en = "Rate this exhibit" }
prompt = { zh = "这个展项对你有帮助吗？", en = "Did this exhibit help you?" }
"""


def _picture(path: Path, size: tuple[int, int], hue: tuple[int, int, int], motif: str) -> None:
    surface = pygame.Surface(size)
    w, h = size
    for y in range(h):
        k = y / max(1, h - 1)
        surface.fill(tuple(round(c * (1 - 0.45 * k) + 255 * 0.45 * k * 0.3) for c in hue), pygame.Rect(0, y, w, 1))
    light = (250, 246, 236)
    if motif == "room":
        pygame.draw.rect(surface, (200, 180, 150), (0, round(h * 0.55), w, h))  # floor
        pygame.draw.rect(
            surface, (190, 225, 245), (round(w * 0.60), round(h * 0.12), round(w * 0.26), round(h * 0.36))
        )  # window
        pygame.draw.rect(surface, light, (round(w * 0.60), round(h * 0.12), round(w * 0.26), round(h * 0.36)), 6)
        pygame.draw.rect(
            surface, (120, 80, 50), (round(w * 0.08), round(h * 0.58), round(w * 0.30), round(h * 0.05))
        )  # table top
        for x in (0.10, 0.35):
            pygame.draw.rect(surface, (120, 80, 50), (round(w * x), round(h * 0.62), round(w * 0.02), round(h * 0.22)))
        pygame.draw.line(surface, (90, 70, 60), (round(w * 0.5), round(h * 0.55)), (round(w * 0.5), round(h * 0.95)), 4)
    else:
        for i in range(5):
            r = round(min(w, h) * (0.12 + 0.07 * i))
            pygame.draw.circle(surface, light, (round(w * 0.5), round(h * 0.62)), r, 4)
        pygame.draw.polygon(surface, light, [(w * 0.30, h * 0.62), (w * 0.5, h * 0.32), (w * 0.70, h * 0.62)])
    pygame.image.save(surface, str(path))


def _tone(path: Path, seconds: float = 0.6, freq: float = 440.0, rate: int = 22050) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", round(8000 * math.sin(2 * math.pi * freq * i / rate)))
            for i in range(round(seconds * rate))
        )
        out.writeframes(frames)


def write_showcase_pack(root: Path, broken_image: bool = False) -> Path:
    """Write the showcase pack into `root`; `broken_image` truncates one slide picture."""
    root = Path(root)
    (root / "media").mkdir(parents=True, exist_ok=True)
    (root / "audio").mkdir(exist_ok=True)
    (root / "pack.toml").write_text(PACK_TOML, encoding="utf-8")
    pictures = {
        "attract": ((214, 110, 60), "waves"),
        "drop": ((40, 120, 160), "waves"),
        "cover": ((60, 140, 100), "waves"),
        "hold": ((150, 90, 160), "waves"),
        "room": ((235, 220, 190), "room"),
    }
    for name, (hue, motif) in pictures.items():
        _picture(root / "media" / f"{name}.png", (960, 640), hue, motif)
    if broken_image:
        data = (root / "media" / "cover.png").read_bytes()
        (root / "media" / "cover.png").write_bytes(data[:60])  # a valid header, then nothing
    _tone(root / "audio" / "drop-zh.wav")
    _tone(root / "audio" / "drop-en.wav", freq=523.0)
    return root
