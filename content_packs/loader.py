"""Parse and validate a pack folder's `pack.toml` into a `Pack`, collecting every problem."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from content_packs.buttons import parse_buttons
from content_packs.errors import PackError, Problem, UnsafePackError
from content_packs.model import (
    LANGUAGES,
    TOPICS,
    Attract,
    HotspotsScene,
    Pack,
    Question,
    QuizScene,
    RatingScene,
    Scene,
    Slide,
    SlidesScene,
    Spot,
    Text,
)
from content_packs.safety import check_pack_path
from content_packs.toml_lines import field_lines, line_of

MANIFEST = "pack.toml"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
PACK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
SCENE_TYPES = ("slides", "quiz", "hotspots", "rating")
# A decoded RGBA image costs w*h*4 bytes; a Pi 3 with 1 GB shares that with the GPU.
MAX_IMAGE_PIXELS = 4096 * 4096
MiB = 1024 * 1024
# The kiosk may hold every image of a pack decoded at once (instant scene changes).
MAX_DECODED_IMAGE_BYTES = 384 * MiB
AUDIO_SUFFIXES = (".ogg", ".wav", ".mp3")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def load_pack(root: str | Path) -> Pack:
    """Read and validate `root/pack.toml`; raise PackError listing every problem."""
    root = Path(root)
    reader = _Reader(root)
    pack = reader.read()
    if reader.problems:
        raise PackError(reader.problems)
    assert pack is not None
    return pack


# Keys the loader reads. Anything else is most likely a typo ("narations") that would silently
# drop content, so `kepu-pack validate` warns about it; it is not an error, so newer kiosk
# options do not break older tools.
_KNOWN_KEYS: dict[str, set[str]] = {
    "pack": {
        "buttons",
        "id",
        "version",
        "title",
        "summary",
        "topic",
        "audience",
        "languages",
        "goal",
        "fonts",
        "attract",
        "scenes",
    },
    "attract": {"image", "headline", "tagline"},
    "slides": {"id", "type", "title", "slides"},
    "quiz": {"id", "type", "title", "questions"},
    "hotspots": {"id", "type", "title", "image", "spots"},
    "rating": {"id", "type", "title", "prompt"},
    "slide": {"image", "title", "body", "narration"},
    "question": {"id", "prompt", "choices", "answer", "explanation"},
    "spot": {"id", "rect", "label", "reveal"},
}


def pack_warnings(root: str | Path) -> list[Problem]:
    """Things in pack.toml that are allowed but probably mistakes (unknown keys); [] if unreadable."""
    try:
        text = (Path(root) / MANIFEST).read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    lines = field_lines(text)
    found: list[tuple[str, str]] = []

    def check(table: Any, kind: str, where: str) -> None:
        if isinstance(table, dict):
            for key in sorted(set(table) - _KNOWN_KEYS[kind]):
                found.append((f"{where}.{key}" if where else key, kind))

    check(doc, "pack", "")
    check(doc.get("attract"), "attract", "attract")
    for i, scene in enumerate(doc.get("scenes") or []):
        if not isinstance(scene, dict) or scene.get("type") not in SCENE_TYPES:
            continue
        where = f"scenes[{i}]"
        check(scene, scene["type"], where)
        for child_key, kind in (("slides", "slide"), ("questions", "question"), ("spots", "spot")):
            for j, child in enumerate(scene.get(child_key) or []):
                check(child, kind, f"{where}.{child_key}[{j}]")
    return [
        Problem(
            MANIFEST,
            field,
            f"unknown key {field.rsplit('.', 1)[-1]!r} in a {kind} (a typo?); it is ignored",
            line_of(lines, field),
        )
        for field, kind in found
    ]


class _Reader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.field_lines: dict[str, int] = {}
        self.image_pixels: dict[str, int] = {}  # distinct images -> pixel count, for the memory budget
        self.question_ids: set[str] = set()

    # -- reporting -------------------------------------------------------

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(MANIFEST, field, message, self._line_of(field)))

    def _line_of(self, field: str) -> int | None:
        return line_of(self.field_lines, field)

    # -- top level -------------------------------------------------------

    def read(self) -> Pack | None:
        path = self.root / MANIFEST
        if not path.is_file():
            self.problems.append(Problem(MANIFEST, "", f"no {MANIFEST} in {self.root}"))
            return None
        raw_bytes = path.read_bytes()
        try:
            raw_text = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(Problem(MANIFEST, "", f"not UTF-8: {exc}"))
            return None
        self.field_lines = field_lines(raw_text)
        try:
            doc = tomllib.loads(raw_text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            self.problems.append(Problem(MANIFEST, "", f"TOML syntax error: {exc}", line))
            return None

        pack_id = self.string(doc, "id")
        if pack_id and not PACK_ID.match(pack_id):
            self.problem("id", f"{pack_id!r} must be lowercase letters, digits and dashes")
        version = self.string(doc, "version")
        if version and not SEMVER.match(version):
            self.problem("version", f"{version!r} is not a semantic version like 1.2.0")
        title = self.text(doc, "title")
        summary = self.text(doc, "summary", required=False)
        topic = self.string(doc, "topic")
        if topic and topic not in TOPICS:
            self.problem("topic", f"{topic!r} is not one of {', '.join(TOPICS)}")
        audience = tuple(self.string_list(doc, "audience"))
        languages = tuple(self.string_list(doc, "languages"))
        for lang in languages:
            if lang not in LANGUAGES:
                self.problem("languages", f"{lang!r} is not supported (use {', '.join(LANGUAGES)})")
        fonts = tuple(self.string_list(doc, "fonts", required=False))
        for i, font in enumerate(fonts):
            self.file_ref(font, f"fonts[{i}]", suffixes=FONT_SUFFIXES)
        attract = self.attract(doc.get("attract"))
        scenes = self.scenes(doc.get("scenes"))
        goal = doc.get("goal")
        if goal is not None:
            if not isinstance(goal, str):
                self.problem("goal", "must be a scene id")
            elif goal not in {s.id for s in scenes}:
                self.problem("goal", f"{goal!r} is not the id of any scene")
        buttons = parse_buttons(doc.get("buttons"), {s.id for s in scenes}, self.problem)
        if self.problems:
            return None
        return Pack(
            root=self.root,
            id=pack_id or "",
            version=version or "",
            title=title or Text("", ""),
            summary=summary,
            topic=topic or "custom",
            audience=audience,
            languages=languages,
            goal=goal,
            attract=attract,
            scenes=tuple(scenes),
            fonts=fonts,
            buttons=buttons,
        )

    # -- typed field readers ---------------------------------------------

    def string(self, table: dict[str, Any], key: str, field: str | None = None, required: bool = True) -> str | None:
        field = field or key
        value = table.get(key)
        if value is None:
            if required:
                self.problem(field, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(field, "must be a non-empty string")
            return None
        return value

    def string_list(
        self, table: dict[str, Any], key: str, field: str | None = None, required: bool = True
    ) -> list[str]:
        field = field or key
        value = table.get(key)
        if value is None:
            if required:
                self.problem(field, "is required")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(field, "must be a list of strings")
            return []
        return value

    def text(self, table: dict[str, Any], key: str, field: str | None = None, required: bool = True) -> Text | None:
        field = field or key
        value = table.get(key)
        if value is None:
            if required:
                self.problem(field, 'is required, as { zh = "…", en = "…" }')
            return None
        if not isinstance(value, dict):
            self.problem(field, 'must be a table { zh = "…", en = "…" }')
            return None
        missing = [lang for lang in LANGUAGES if not isinstance(value.get(lang), str) or not value[lang].strip()]
        if missing:
            self.problem(field, f"missing the {' and '.join(missing)} text")
            return None
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            self.problem(field, f"unknown language(s) {', '.join(unknown)}")
        return Text(zh=value["zh"], en=value["en"])

    def file_ref(self, relative: Any, field: str, image: bool = False, suffixes: tuple[str, ...] = ()) -> str | None:
        if not isinstance(relative, str) or not relative:
            self.problem(field, "must be a path inside the pack")
            return None
        try:
            check_pack_path(relative)
        except UnsafePackError as exc:
            self.problem(field, f"{exc.problems[0].message}; use a relative path with / inside the pack")
            return None
        full = self.root / relative
        if full.is_symlink():
            self.problem(field, f"{relative!r} is a symbolic link; copy the real file into the pack")
            return None
        if not full.is_file():
            self.problem(field, f"file {relative!r} does not exist")
            return None
        if suffixes and full.suffix.lower() not in suffixes:
            self.problem(field, f"{relative!r} should be one of {', '.join(suffixes)}")
            return None
        if image:
            size = _image_size(full)
            if size is None:
                self.problem(field, f"{relative!r} is not a PNG or JPEG image")
            elif size[0] * size[1] > MAX_IMAGE_PIXELS:
                self.problem(
                    field,
                    f"{relative!r} is {size[0]}×{size[1]}, over the {MAX_IMAGE_PIXELS:,}-pixel memory budget; scale it down",
                )
            elif relative not in self.image_pixels:
                self.image_pixels[relative] = size[0] * size[1]
                decoded = 4 * sum(self.image_pixels.values())
                if decoded > MAX_DECODED_IMAGE_BYTES:
                    self.problem(
                        field,
                        f"the pack's images together decode to {decoded / MiB:.0f} MiB, over the "
                        f"{MAX_DECODED_IMAGE_BYTES / MiB:.0f} MiB budget; use fewer or smaller images",
                    )
        return relative

    # -- sections --------------------------------------------------------

    def attract(self, raw: Any) -> Attract:
        if raw is None:
            return Attract(image=None, headline=Text("点击开始", "Touch to start"))
        if not isinstance(raw, dict):
            self.problem("attract", "must be a table")
            return Attract(image=None, headline=Text("点击开始", "Touch to start"))
        image = self.file_ref(raw["image"], "attract.image", image=True) if "image" in raw else None
        headline = self.text(raw, "headline", "attract.headline", required=False) or Text("点击开始", "Touch to start")
        tagline = self.text(raw, "tagline", "attract.tagline", required=False)
        return Attract(image=image, headline=headline, tagline=tagline)

    def scenes(self, raw: Any) -> list[Scene]:
        if not isinstance(raw, list) or not raw:
            self.problem("scenes", "at least one [[scenes]] entry is required")
            return []
        scenes: list[Scene] = []
        seen: set[str] = set()
        for index, item in enumerate(raw):
            where = f"scenes[{index}]"
            if not isinstance(item, dict):
                self.problem(where, "must be a table")
                continue
            scene_id = self.string(item, "id", f"{where}.id")
            if scene_id in seen:
                self.problem(f"{where}.id", f"duplicate scene id {scene_id!r}")
            if scene_id:
                seen.add(scene_id)
            kind = item.get("type")
            if kind not in SCENE_TYPES:
                self.problem(f"{where}.type", f"unknown scene type {kind!r} (use {', '.join(SCENE_TYPES)})")
                continue
            title = self.text(item, "title", f"{where}.title") or Text("", "")
            scene = getattr(self, f"_{kind}")(item, where, scene_id or "", title)
            if scene is not None:
                scenes.append(scene)
        return scenes

    def _slides(self, item: dict[str, Any], where: str, scene_id: str, title: Text) -> Scene | None:
        raw = item.get("slides")
        if not isinstance(raw, list) or not raw:
            self.problem(f"{where}.slides", "a slides scene needs at least one [[scenes.slides]]")
            return None
        slides = []
        for i, s in enumerate(raw):
            at = f"{where}.slides[{i}]"
            if not isinstance(s, dict):
                self.problem(at, "must be a table")
                continue
            image = self.file_ref(s["image"], f"{at}.image", image=True) if "image" in s else None
            narration: dict[str, str] = {}
            if "narration" in s:
                if not isinstance(s["narration"], dict):
                    self.problem(f"{at}.narration", 'must be a table { zh = "audio/…", en = "audio/…" }')
                else:
                    for lang, ref in s["narration"].items():
                        if lang not in LANGUAGES:
                            self.problem(f"{at}.narration", f"unknown language {lang!r}")
                        elif self.file_ref(ref, f"{at}.narration.{lang}", suffixes=AUDIO_SUFFIXES):
                            narration[lang] = ref
            slides.append(
                Slide(
                    image=image,
                    title=self.text(s, "title", f"{at}.title") or Text("", ""),
                    body=self.text(s, "body", f"{at}.body") or Text("", ""),
                    narration=narration,
                )
            )
        return SlidesScene(id=scene_id, type="slides", title=title, slides=tuple(slides))

    def _quiz(self, item: dict[str, Any], where: str, scene_id: str, title: Text) -> Scene | None:
        raw = item.get("questions")
        if not isinstance(raw, list) or not raw:
            self.problem(f"{where}.questions", "a quiz needs at least one [[scenes.questions]]")
            return None
        questions = []
        for i, q in enumerate(raw):
            at = f"{where}.questions[{i}]"
            if not isinstance(q, dict):
                self.problem(at, "must be a table")
                continue
            qid = self.string(q, "id", f"{at}.id") or ""
            # Unique across the pack: quiz item analysis is reported per question id.
            if qid in self.question_ids:
                self.problem(f"{at}.id", f"duplicate question id {qid!r}")
            self.question_ids.add(qid)
            choices_raw = q.get("choices")
            choices: list[Text] = []
            if not isinstance(choices_raw, list) or not 2 <= len(choices_raw) <= 4:
                self.problem(f"{at}.choices", "needs 2 to 4 choices")
            else:
                for c, choice in enumerate(choices_raw):
                    text = self.text({"c": choice}, "c", f"{at}.choices[{c}]")
                    if text:
                        choices.append(text)
            answer = q.get("answer")
            if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < max(len(choices), 1):
                self.problem(f"{at}.answer", "must be the index (0-based) of the right choice")
                answer = 0
            questions.append(
                Question(
                    id=qid,
                    prompt=self.text(q, "prompt", f"{at}.prompt") or Text("", ""),
                    choices=tuple(choices),
                    answer=answer,
                    explanation=self.text(q, "explanation", f"{at}.explanation") or Text("", ""),
                )
            )
        return QuizScene(id=scene_id, type="quiz", title=title, questions=tuple(questions))

    def _hotspots(self, item: dict[str, Any], where: str, scene_id: str, title: Text) -> Scene | None:
        image = self.file_ref(item.get("image"), f"{where}.image", image=True)
        raw = item.get("spots")
        if not isinstance(raw, list) or not raw:
            self.problem(f"{where}.spots", "a hotspots scene needs at least one [[scenes.spots]]")
            return None
        spots = []
        spot_ids: set[str] = set()
        for i, s in enumerate(raw):
            at = f"{where}.spots[{i}]"
            if not isinstance(s, dict):
                self.problem(at, "must be a table")
                continue
            rect = s.get("rect")
            if (
                not isinstance(rect, list)
                or len(rect) != 4
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rect)
                or not (0 <= rect[0] < 1 and 0 <= rect[1] < 1 and 0 < rect[2] <= 1 and 0 < rect[3] <= 1)
                or rect[0] + rect[2] > 1.0001
                or rect[1] + rect[3] > 1.0001
            ):
                self.problem(f"{at}.rect", "must be [x, y, w, h] as fractions of the image, inside it")
                rect = [0, 0, 0.1, 0.1]
            spot_id = self.string(s, "id", f"{at}.id") or ""
            if spot_id in spot_ids:
                self.problem(f"{at}.id", f"duplicate spot id {spot_id!r}")
            spot_ids.add(spot_id)
            spots.append(
                Spot(
                    id=spot_id,
                    rect=(float(rect[0]), float(rect[1]), float(rect[2]), float(rect[3])),
                    label=self.text(s, "label", f"{at}.label") or Text("", ""),
                    reveal=self.text(s, "reveal", f"{at}.reveal") or Text("", ""),
                )
            )
        return HotspotsScene(id=scene_id, type="hotspots", title=title, image=image, spots=tuple(spots))

    def _rating(self, item: dict[str, Any], where: str, scene_id: str, title: Text) -> Scene | None:
        prompt = self.text(item, "prompt", f"{where}.prompt", required=False)
        return RatingScene(id=scene_id, type="rating", title=title, prompt=prompt)


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _image_size(path: Path) -> tuple[int, int] | None:
    """Read width and height from a PNG or JPEG header without decoding the pixels."""
    with path.open("rb") as f:
        head = f.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if head.startswith(b"\xff\xd8"):
            f.seek(2)
            while True:
                marker = f.read(2)
                if len(marker) < 2 or marker[0] != 0xFF:
                    return None
                if marker[1] in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    f.read(3)
                    h = int.from_bytes(f.read(2), "big")
                    w = int.from_bytes(f.read(2), "big")
                    return w, h
                length = int.from_bytes(f.read(2), "big")
                if length < 2:
                    return None
                f.seek(length - 2, 1)
    return None
