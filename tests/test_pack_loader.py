"""pack.toml validation: every error names the file, the field and the line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from content_packs import PackError, load_pack
from content_packs.testing import make_pack, png_bytes
from content_packs.toml_lines import field_lines, line_of


def problems(root: Path) -> list:
    with pytest.raises(PackError) as caught:
        load_pack(root)
    return caught.value.problems


def edit(root: Path, old: str, new: str, count: int = 1) -> None:
    path = root / "pack.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_containing(root: Path, needle: str, nth: int = 1) -> int:
    hits = [
        i for i, line in enumerate((root / "pack.toml").read_text(encoding="utf-8").splitlines(), 1) if needle in line
    ]
    return hits[nth - 1]


def test_minimal_pack_loads(tmp_path):
    pack = load_pack(make_pack(tmp_path / "p"))
    assert pack.id == "test-pack"
    assert [s.type for s in pack.scenes] == ["slides", "quiz", "hotspots", "rating"]
    assert pack.goal == "rate"
    assert pack.attract.tagline.en == "Learn it in a minute"


def test_missing_pack_toml(tmp_path):
    (tmp_path / "empty").mkdir()
    [p] = problems(tmp_path / "empty")
    assert p.file == "pack.toml" and "no pack.toml" in p.message


def test_toml_syntax_error_has_line(tmp_path):
    root = make_pack(tmp_path / "p")
    edit(root, 'topic = "emergency"', "topic = emergency oops")
    [p] = problems(root)
    assert "TOML syntax error" in p.message
    assert p.line == line_containing(root, "topic =")


def test_missing_image_names_field_and_line(tmp_path):
    root = make_pack(tmp_path / "p")
    (root / "media" / "slide2.png").unlink()
    [p] = problems(root)
    assert p.field == "scenes[0].slides[1].image"
    assert "media/slide2.png" in p.message and "does not exist" in p.message
    # The second slide's image line, not the first slide's.
    assert p.line == line_containing(root, 'image = "media/slide2.png"')
    assert str(p).startswith(f"pack.toml:{p.line} [scenes[0].slides[1].image]")


def test_unknown_scene_type(tmp_path):
    root = make_pack(tmp_path / "p")
    edit(root, 'type = "hotspots"', 'type = "hologram"')
    found = problems(root)
    assert any(p.field == "scenes[2].type" and "unknown scene type 'hologram'" in p.message for p in found)
    assert [p.line for p in found if p.field == "scenes[2].type"] == [line_containing(root, 'type = "hologram"')]


def test_language_missing_from_a_string(tmp_path):
    root = make_pack(tmp_path / "p")
    edit(
        root,
        'reveal = { zh = "躲在结实的桌子下。", en = "Shelter under a sturdy table." }',
        'reveal = { zh = "躲在结实的桌子下。" }',
    )
    [p] = problems(root)
    assert p.field == "scenes[2].spots[0].reveal"
    assert "missing the en text" in p.message
    assert p.line == line_containing(root, "reveal =")


def test_duplicate_scene_ids(tmp_path):
    root = make_pack(tmp_path / "p")
    edit(root, 'id = "find"', 'id = "quiz"')
    found = problems(root)
    dup = [p for p in found if "duplicate scene id" in p.message]
    assert dup and dup[0].field == "scenes[2].id"
    assert dup[0].line == line_containing(root, 'id = "quiz"', nth=2)


def test_duplicate_question_ids_across_quizzes(tmp_path):
    root = make_pack(tmp_path / "p")
    text = (root / "pack.toml").read_text(encoding="utf-8")
    quiz = text[text.index('[[scenes]]\nid = "quiz"') : text.index('[[scenes]]\nid = "find"')]
    (root / "pack.toml").write_text(text + "\n" + quiz.replace('id = "quiz"', 'id = "quiz2"'), encoding="utf-8")
    [p] = problems(root)
    assert p.field == "scenes[4].questions[0].id" and "duplicate question id 'q1'" in p.message


def test_duplicate_spot_ids(tmp_path):
    root = make_pack(tmp_path / "p")
    text = (root / "pack.toml").read_text(encoding="utf-8")
    spot = text[text.index("[[scenes.spots]]") : text.index('[[scenes]]\nid = "rate"')]
    (root / "pack.toml").write_text(text.replace(spot, spot + spot), encoding="utf-8")
    [p] = problems(root)
    assert p.field == "scenes[2].spots[1].id" and "duplicate spot id" in p.message


def test_image_over_memory_budget(tmp_path):
    root = make_pack(tmp_path / "p")
    # Only the header matters: the loader reads the size without decoding the pixels.
    (root / "media" / "room.png").write_bytes(png_bytes(5000, 4000))
    [p] = problems(root)
    assert p.field == "scenes[2].image" and "5000×4000" in p.message and "memory budget" in p.message


def test_not_an_image(tmp_path):
    root = make_pack(tmp_path / "p")
    (root / "media" / "room.png").write_bytes(b"not a picture")
    [p] = problems(root)
    assert "not a PNG or JPEG" in p.message


@pytest.mark.parametrize("ref", ["../secret.png", "/etc/passwd", "media\\\\slide1.png", "C:/x.png"])
def test_path_escapes_in_references(tmp_path, ref):
    root = make_pack(tmp_path / "p")
    edit(root, 'image = "media/room.png"', f'image = "{ref}"')
    [p] = problems(root)
    assert p.field == "scenes[2].image"


def test_symlinked_image_refused(tmp_path):
    root = make_pack(tmp_path / "p")
    outside = tmp_path / "outside.png"
    outside.write_bytes(png_bytes(10, 10))
    (root / "media" / "room.png").unlink()
    os.symlink(outside, root / "media" / "room.png")
    [p] = problems(root)
    assert "symbolic link" in p.message


def test_bad_version_topic_and_goal(tmp_path):
    root = make_pack(tmp_path / "p")
    edit(root, 'version = "1.0.0"', 'version = "1.0"')
    edit(root, 'topic = "emergency"', 'topic = "cooking"')
    edit(root, 'goal = "rate"', 'goal = "nowhere"')
    fields = {p.field: p for p in problems(root)}
    assert set(fields) == {"version", "topic", "goal"}
    assert fields["version"].line == 2 and fields["goal"].line == 8


def test_narration_must_exist_and_be_audio(tmp_path):
    root = make_pack(tmp_path / "p")
    edit(
        root,
        'body = { zh = "正文。", en = "Body." }',
        'body = { zh = "正文。", en = "Body." }\nnarration = { zh = "audio/one.txt", en = "audio/missing.ogg" }',
    )
    (root / "audio").mkdir()
    (root / "audio" / "one.txt").write_text("x")
    found = {p.field: p.message for p in problems(root)}
    assert "should be one of .ogg" in found["scenes[0].slides[0].narration.zh"]
    assert "does not exist" in found["scenes[0].slides[0].narration.en"]


def test_all_problems_reported_at_once(tmp_path):
    root = make_pack(tmp_path / "p")
    for name in ("slide1", "slide2", "room"):
        (root / "media" / f"{name}.png").unlink()
    assert len(problems(root)) == 3


def test_field_lines_handle_multiline_values():
    text = 'a = """\n[not] = a header\n"""\nb = [\n  [1, 2],\n]\n[[t]]\nx = 1\n[[t]]\nx = 2\n[t.sub]\ny = 3\n'
    lines = field_lines(text)
    assert lines["a"] == 1 and lines["b"] == 4
    assert "not" not in lines
    assert lines["t[1].x"] == 10 and lines["t[1].sub.y"] == 12
    assert line_of(lines, "t[0].missing[3]") == 7


def test_unknown_keys_are_warnings_with_lines(tmp_path):
    from content_packs.loader import pack_warnings

    root = make_pack(tmp_path / "p")
    edit(
        root,
        'body = { zh = "正文。", en = "Body." }',
        'body = { zh = "正文。", en = "Body." }\nnarations = { zh = "a.ogg" }',
    )
    edit(root, 'topic = "emergency"', 'topic = "emergency"\ntitel = "oops"')
    load_pack(root)  # still loads: unknown keys are not errors
    warnings = {w.field: w for w in pack_warnings(root)}
    assert set(warnings) == {"titel", "scenes[0].slides[0].narations"}
    assert warnings["titel"].line == line_containing(root, "titel")
    assert warnings["scenes[0].slides[0].narations"].line == line_containing(root, "narations")
    assert "a typo?" in warnings["titel"].message


def test_samples_have_no_warnings():
    from content_packs.loader import pack_warnings

    samples = Path(__file__).resolve().parent.parent / "content_packs" / "samples"
    for root in samples.iterdir():
        assert pack_warnings(root) == [], root.name
