"""Text layout for bilingual screens: wrap Chinese without spaces, fit text in a box.

Chinese breaks between any two characters except before closing punctuation or after
opening punctuation (kinsoku); Latin text breaks at spaces; a run of Latin inside
Chinese stays whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

NO_LINE_START = set("，。、；：？！）》」』】〕…—,.;:?!)]}%’”·～")
NO_LINE_END = set("（《「『【〔([{‘“")
_TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F'’\-_/@#&+.%:]+\s*|\s+|.", re.S)


class Measure(Protocol):
    def __call__(self, text: str, /) -> int: ...


def tokens(text: str) -> list[str]:
    """Split into unbreakable pieces: Latin words (with trailing space) and single CJK chars."""
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        if out and piece and piece[0] in NO_LINE_START:
            out[-1] += piece  # glue closing punctuation to what precedes it
        elif out and out[-1] and out[-1][-1] in NO_LINE_END:
            out[-1] += piece  # and opening punctuation to what follows
        else:
            out.append(piece)
    return out


def wrap(text: str, width: int, measure: Measure) -> list[str]:
    """Break `text` into lines no wider than `width` (a too-long word is split by character)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in tokens(paragraph):
            candidate = line + token
            if measure(candidate.rstrip()) <= width or not line:
                if not line and measure(token.rstrip()) > width:
                    # A single token wider than the box: break it character by character.
                    for ch in token:
                        if line and measure(line + ch) > width:
                            lines.append(line.rstrip())
                            line = ""
                        line += ch
                    continue
                line = candidate
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
        lines.append(line.rstrip())
    return lines


@dataclass(frozen=True)
class Fitted:
    size: int
    lines: list[str]


def fit(text: str, width: int, height: int, size: int, min_size: int, measure_at, line_height: float = 1.35) -> Fitted:
    """Largest size ≤ `size` at which `text` wraps into the box; never below `min_size`.

    `measure_at(size)` returns a measure function for that font size.
    """
    current = size
    while True:
        lines = wrap(text, width, measure_at(current))
        if len(lines) * round(current * line_height) <= height or current <= min_size:
            return Fitted(current, lines)
        current = max(min_size, int(current * 0.9))
