"""Parse and validate a pack folder's `pack.toml` into a `Pack`, collecting every problem."""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any

from content_packs.buttons import parse_buttons
from content_packs.errors import PackError, Problem, UnsafePackError
from content_packs.manifest import SEMVER
from content_packs.media import (
    SUBTITLE_SUFFIXES,
    VIDEO_SUFFIXES,
    MediaProblem,
    VideoInfo,
    VideoLimits,
    check_font,
    check_picture,
    check_subtitles_fit,
    probe_sound,
    probe_video,
    read_subtitles,
)
from content_packs.model import (
    LANGUAGES,
    PLAYLIST_KINDS,
    TOPICS,
    Attract,
    Daypart,
    HotspotsScene,
    Pack,
    PlaylistItem,
    Question,
    QuizScene,
    RatingScene,
    Scene,
    Signage,
    Slide,
    SlidesScene,
    Spot,
    Text,
    VideoScene,
)
from content_packs.safety import check_pack_path
from content_packs.toml_lines import field_lines, line_of

MANIFEST = "pack.toml"
PACK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
SCENE_TYPES = ("slides", "quiz", "hotspots", "rating", "video")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
# A decoded RGBA image costs w*h*4 bytes; a Pi 3 with 1 GB shares that with the GPU.
MAX_IMAGE_PIXELS = 4096 * 4096
MiB = 1024 * 1024
# The kiosk may hold every image of a pack decoded at once (instant scene changes).
MAX_DECODED_IMAGE_BYTES = 384 * MiB
AUDIO_SUFFIXES = (".ogg", ".wav", ".mp3")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def load_pack(root: str | Path, decode: bool = True) -> Pack:
    """Read and validate `root/pack.toml`; raise PackError listing every problem.

    `decode` also decodes every picture, sound, video, subtitle file and font (the default);
    only a caller that has just done so for the same signed files may skip it.
    """
    root = Path(root)
    reader = _Reader(root, decode=decode)
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
        "signage",
        "media",
    },
    "attract": {"image", "headline", "tagline", "video", "sound"},
    "media": {"max_resolution", "max_bitrate_mbps"},
    "video": {"id", "type", "title", "video", "poster", "subtitles", "loop", "autoplay", "next"},
    "signage": {"timezone", "explore", "items", "dayparts"},
    "daypart": {"id", "from", "until", "items"},
    "item": {"id", "kind", "video", "image", "seconds", "title", "body", "subtitles"},
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
    check(doc.get("media"), "media", "media")
    signage = doc.get("signage")
    check(signage, "signage", "signage")
    if isinstance(signage, dict):
        for i, item in enumerate(signage.get("items") or []):
            check(item, "item", f"signage.items[{i}]")
        for i, part in enumerate(signage.get("dayparts") or []):
            check(part, "daypart", f"signage.dayparts[{i}]")
            if isinstance(part, dict):
                for j, item in enumerate(part.get("items") or []):
                    check(item, "item", f"signage.dayparts[{i}].items[{j}]")
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
    def __init__(self, root: Path, decode: bool = True):
        self.root = root
        self.decode = decode
        self.limits = VideoLimits()
        self.videos: dict[str, VideoInfo] = {}  # probed once per file, however often it is used
        self.decoded: set[tuple[str, str]] = set()
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
            self.file_ref(font, f"fonts[{i}]", suffixes=FONT_SUFFIXES, kind="font")
        self.limits = self.media_limits(doc.get("media"))
        attract = self.attract(doc.get("attract"))
        signage = self.signage(doc.get("signage"))
        # A 科普大屏 pack may be only a playlist; every other pack needs scenes.
        scenes = self.scenes(doc.get("scenes")) if signage is None or doc.get("scenes") is not None else []
        if signage is not None and signage.explore and not scenes:
            self.problem("signage.explore", "touch to explore needs at least one [[scenes]] to open")
        for i, scene in enumerate(scenes):
            if (
                isinstance(scene, VideoScene)
                and scene.next not in (None, "home")
                and scene.next not in {s.id for s in scenes}
            ):
                self.problem(f"scenes[{i}].next", f'{scene.next!r} is not the id of any scene (or use "home")')
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
            signage=signage,
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

    def file_ref(
        self,
        relative: Any,
        field: str,
        image: bool = False,
        suffixes: tuple[str, ...] = (),
        kind: str | None = None,
    ) -> str | None:
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
            if size is not None and size[0] * size[1] <= MAX_IMAGE_PIXELS:
                kind = "picture"
        if kind and self.decode and not self.media_ok(relative, field, kind):
            return None
        return relative

    def media_ok(self, relative: str, field: str, kind: str) -> bool:
        """Decode the file once per kind; a problem names the file and says why."""
        if (relative, kind) in self.decoded:
            return relative in self.videos if kind == "video" else True
        self.decoded.add((relative, kind))
        full = self.root / relative
        try:
            if kind == "picture":
                check_picture(full)
            elif kind == "font":
                check_font(full)
            elif kind == "sound":
                probe_sound(full)
            elif kind == "video":
                self.videos[relative] = probe_video(full, self.limits)
            elif kind == "subtitles":
                read_subtitles(full)
        except MediaProblem as exc:
            self.problem(field, f"{relative!r} {exc}")
            return False
        except Exception as exc:  # a decoder bug or an odd file must still be a refusal, not a crash
            self.problem(field, f"{relative!r} could not be checked: {type(exc).__name__}: {exc}")
            return False
        return True

    def subtitles(self, raw: Any, field: str, video: str | None) -> dict[str, str]:
        """`{ zh = "media/x.zh.vtt", en = "…" }`, parsed and inside the video's length."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(field, 'must be a table { zh = "media/….vtt", en = "media/….vtt" }')
            return {}
        found: dict[str, str] = {}
        for lang, ref in raw.items():
            at = f"{field}.{lang}"
            if lang not in LANGUAGES:
                self.problem(field, f"unknown language {lang!r}")
            elif self.file_ref(ref, at, suffixes=SUBTITLE_SUFFIXES, kind="subtitles"):
                found[lang] = ref
                info = self.videos.get(video or "")
                if info is not None and self.decode:
                    try:
                        check_subtitles_fit(read_subtitles(self.root / ref), info.duration)
                    except MediaProblem as exc:
                        self.problem(at, f"{ref!r} {exc}")
        return found

    def media_limits(self, raw: Any) -> VideoLimits:
        if raw is None:
            return VideoLimits()
        if not isinstance(raw, dict):
            self.problem("media", "must be a table")
            return VideoLimits()
        limits = VideoLimits()
        size = raw.get("max_resolution")
        if size is not None:
            if (
                isinstance(size, list)
                and len(size) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 7680 for v in size)
            ):
                limits = VideoLimits(max_width=size[0], max_height=size[1], max_bitrate=limits.max_bitrate)
            else:
                self.problem("media.max_resolution", "must be [width, height] in pixels, e.g. [3840, 2160]")
        cap = raw.get("max_bitrate_mbps")
        if cap is not None:
            if isinstance(cap, (int, float)) and not isinstance(cap, bool) and 0 < cap <= 100:
                limits = VideoLimits(
                    max_width=limits.max_width, max_height=limits.max_height, max_bitrate=int(cap * 1_000_000)
                )
            else:
                self.problem("media.max_bitrate_mbps", "must be a number of Mbit/s between 0 and 100")
        return limits

    def flag(self, table: dict[str, Any], key: str, field: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem(field, "must be true or false")
            return default
        return value

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
        video = (
            self.file_ref(raw["video"], "attract.video", suffixes=VIDEO_SUFFIXES, kind="video")
            if "video" in raw
            else None
        )
        sound = (
            self.file_ref(raw["sound"], "attract.sound", suffixes=AUDIO_SUFFIXES, kind="sound")
            if "sound" in raw
            else None
        )
        return Attract(image=image, headline=headline, tagline=tagline, video=video, sound=sound)

    def signage(self, raw: Any) -> Signage | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.problem("signage", "must be a table")
            return None
        timezone = raw.get("timezone", "Asia/Shanghai")
        try:
            if not isinstance(timezone, str):
                raise ValueError
            zoneinfo.ZoneInfo(timezone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            self.problem("signage.timezone", f'{timezone!r} is not a time zone name like "Asia/Shanghai"')
            timezone = "Asia/Shanghai"
        explore = self.flag(raw, "explore", "signage.explore", False)
        items = self.playlist(raw.get("items"), "signage.items", required=False)
        parts: list[Daypart] = []
        raw_parts = raw.get("dayparts") or []
        if not isinstance(raw_parts, list):
            self.problem("signage.dayparts", "must be a list of [[signage.dayparts]]")
            raw_parts = []
        for i, part in enumerate(raw_parts):
            at = f"signage.dayparts[{i}]"
            if not isinstance(part, dict):
                self.problem(at, "must be a table")
                continue
            part_id = self.string(part, "id", f"{at}.id") or f"part-{i}"
            times = []
            for key in ("from", "until"):
                value = part.get(key)
                if not isinstance(value, str) or not HHMM.match(value):
                    self.problem(f"{at}.{key}", 'must be a time "HH:MM" (24-hour, venue time), e.g. "09:00"')
                    value = "00:00"
                times.append(value)
            if times[0] == times[1]:
                self.problem(f"{at}.until", "must differ from `from`")
            part_items = self.playlist(part.get("items"), f"{at}.items", required=True)
            daypart = Daypart(id=part_id, start=times[0], end=times[1], items=tuple(part_items))
            for other in parts:
                if any(other.covers(m) and daypart.covers(m) for m in range(0, 1440)):
                    self.problem(f"{at}.from", f"overlaps the daypart {other.id!r}; dayparts must not overlap")
                    break
            parts.append(daypart)
        if not items and not parts:
            self.problem("signage", "a playlist needs [[signage.items]] or [[signage.dayparts]] with items")
        return Signage(items=tuple(items), dayparts=tuple(parts), timezone=timezone, explore=explore)

    def playlist(self, raw: Any, where: str, required: bool) -> list[PlaylistItem]:
        if raw is None:
            if required:
                self.problem(where, "a playlist needs at least one item")
            return []
        if not isinstance(raw, list) or not raw:
            self.problem(where, "must be a non-empty list of items")
            return []
        items: list[PlaylistItem] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            at = f"{where}[{i}]"
            if not isinstance(item, dict):
                self.problem(at, "must be a table")
                continue
            kind = item.get("kind")
            if kind not in PLAYLIST_KINDS:
                self.problem(f"{at}.kind", f"unknown item kind {kind!r} (use {', '.join(PLAYLIST_KINDS)})")
                continue
            file = None
            if kind == "video":
                file = self.file_ref(item.get("video"), f"{at}.video", suffixes=VIDEO_SUFFIXES, kind="video")
            elif kind == "picture" or "image" in item:
                file = self.file_ref(item.get("image"), f"{at}.image", image=True)
            seconds = item.get("seconds", 0 if kind == "video" else 10)
            if kind != "video" and (
                not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 1 <= seconds <= 3600
            ):
                self.problem(f"{at}.seconds", "must be how long it stays on screen, 1 to 3600 seconds")
                seconds = 10
            title = self.text(item, "title", f"{at}.title", required=kind == "slide")
            body = self.text(item, "body", f"{at}.body", required=False)
            item_id = item.get("id")
            if item_id is None:
                # Proof of play counts per item: a stable default from the file, else the position.
                item_id = Path(file).stem if file else f"{kind}-{i + 1}"
            elif not isinstance(item_id, str) or not item_id.strip():
                self.problem(f"{at}.id", "must be a non-empty string")
                item_id = f"{kind}-{i + 1}"
            if item_id in seen:
                self.problem(f"{at}.id", f"duplicate item id {item_id!r} in this playlist; give each an `id`")
            seen.add(item_id)
            subtitles = self.subtitles(item.get("subtitles"), f"{at}.subtitles", file if kind == "video" else None)
            info = self.videos.get(file or "") if kind == "video" else None
            items.append(
                PlaylistItem(
                    id=item_id,
                    kind=kind,
                    file=file,
                    seconds=float(seconds or 0),
                    title=title,
                    body=body,
                    subtitles=subtitles,
                    duration=info.duration if info else 0.0,
                )
            )
        return items

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
                        elif self.file_ref(ref, f"{at}.narration.{lang}", suffixes=AUDIO_SUFFIXES, kind="sound"):
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

    def _video(self, item: dict[str, Any], where: str, scene_id: str, title: Text) -> Scene | None:
        video = self.file_ref(item.get("video"), f"{where}.video", suffixes=VIDEO_SUFFIXES, kind="video")
        poster = self.file_ref(item["poster"], f"{where}.poster", image=True) if "poster" in item else None
        subtitles = self.subtitles(item.get("subtitles"), f"{where}.subtitles", video)
        after = item.get("next")
        if after is not None and (not isinstance(after, str) or not after.strip()):
            self.problem(f"{where}.next", 'must be a scene id or "home"')
            after = None
        info = self.videos.get(video or "")
        return VideoScene(
            id=scene_id,
            type="video",
            title=title,
            video=video or "",
            poster=poster,
            subtitles=subtitles,
            loop=self.flag(item, "loop", f"{where}.loop", False),
            autoplay=self.flag(item, "autoplay", f"{where}.autoplay", True),
            next=after,
            duration=info.duration if info else 0.0,
        )

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
