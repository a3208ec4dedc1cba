"""Map each field of a TOML document to the line it is written on, so errors can say `pack.toml:42`.

tomllib gives values but no positions. This scanner follows table headers, arrays of
tables (`[[scenes]]` counts up), keys, multi-line strings and multi-line arrays well
enough for pack.toml files; anything it cannot place falls back to the nearest parent.
"""

from __future__ import annotations

import re

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_KEY = re.compile(r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'))*)\s*=')
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*(\]\]?)\s*(?:#.*)?$")


def field_lines(text: str) -> dict[str, int]:
    """Return {"scenes[2].questions[0].answer": line, …} for every key and table header."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}  # resolved array-of-tables path -> number of elements so far
    current = ""
    depth = 0  # open brackets of a multi-line array value
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_multiline:
            end = line.find(in_multiline)
            if end < 0:
                continue
            line = line[end + 3 :]
            in_multiline = None
        if depth == 0:
            header = _HEADER.match(line)
            if header and header.group(1) == header.group(3)[::-1].replace("]", "["):
                keys = _split_keys(header.group(2))
                if header.group(1) == "[[":
                    # Parents resolve to their latest element; the last key is the array being extended.
                    parent = _resolve(keys[:-1], counts)
                    current = f"{parent}.{keys[-1]}" if parent else keys[-1]
                    counts[current] = counts.get(current, 0) + 1
                    current = f"{current}[{counts[current] - 1}]"
                else:
                    current = _resolve(keys, counts)
                lines.setdefault(current, number)
                continue
            key = _KEY.match(line)
            if key:
                path = ".".join(filter(None, [current, *_split_keys(key.group(1))]))
                lines.setdefault(path, number)
                line = line[key.end() :]
        # Track strings and brackets so a "[" inside a value is never taken for a header.
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1:
                in_multiline = quote
                line = line[: line.find(quote)]
        bare = _STRING.sub("", line).split("#", 1)[0]
        depth = max(0, depth + bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}"))
    return lines


def line_of(lines: dict[str, int], field: str) -> int | None:
    """The line of a field, or of its nearest enclosing table if the field itself is absent."""
    path = field
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _split_keys(dotted: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', dotted)
    return [a or b or c for a, b, c in parts]


def _resolve(keys: list[str], counts: dict[str, int]) -> str:
    """Point each key of a header at the latest element when it names an array of tables."""
    path = ""
    for key in keys:
        path = f"{path}.{key}" if path else key
        if path in counts:
            path = f"{path}[{counts[path] - 1}]"
    return path
