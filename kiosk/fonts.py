"""Find and load a CJK-capable font by path: pygame's default font draws Chinese as boxes."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

# Searched in order after the pack's own fonts. (path, preferred face name fragment)
SYSTEM_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc", "SC"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", ""),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ""),
)
BOLD_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "SC"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", "SC"),
)


class FontNotFound(RuntimeError):
    """No font that can draw Chinese: the message says what to install."""


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int = 0  # face within a .ttc collection


def _face_index(path: Path, prefer: str) -> int:
    """Pick the Simplified Chinese face of a collection (Noto's .ttc lists JP first)."""
    if not prefer or path.suffix.lower() != ".ttc":
        return 0
    import pygame.freetype

    pygame.freetype.init()
    for index in range(10):
        try:
            face = pygame.freetype.Font(str(path), 12, font_index=index)
        except OSError:
            break
        name = face.name or ""
        if f"CJK {prefer}" in name and "Mono" not in name:
            return index
    return 0


def find_cjk_font(pack_fonts: list[Path] | tuple[Path, ...] = (), bold: bool = False) -> FontFace:
    """The pack's first font, else an installed Noto CJK / WenQuanYi, else fontconfig's pick."""
    for path in pack_fonts:
        if path.is_file():
            return FontFace(path, 0)
    for raw, prefer in (BOLD_CANDIDATES if bold else ()) + SYSTEM_CANDIDATES:
        path = Path(raw)
        if path.is_file():
            return FontFace(path, _face_index(path, prefer))
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", "sans:lang=zh-cn"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out and Path(out).is_file():
        return FontFace(Path(out), 0)
    raise FontNotFound(
        "no Chinese font found: install one with `sudo apt-get install -y fonts-noto-cjk` "
        "(or fonts-wqy-microhei), or put a .ttf/.otf in the pack's fonts/ folder"
    )
