"""Validation decodes media: videos, subtitles, sounds, pictures and fonts; refusals name the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from content_packs import PackError, load_pack
from content_packs.cli import main
from content_packs.mediawriter import colour_frames, tone, write_video
from content_packs.model import Signage, VideoScene
from content_packs.testing import make_pack

SIZE = (320, 180)

VIDEO_SCENE = """
[[scenes]]
id = "film"
type = "video"
title = {{ zh = "短片", en = "Short film" }}
video = "{video}"
poster = "media/attract.png"
subtitles = {{ zh = "media/film.zh.vtt", en = "media/film.en.srt" }}
next = "home"
"""

VTT = "WEBVTT\n\n00:00:00.200 --> 00:00:01.500\n地震来了，先保护头部。\n"
SRT = "1\n00:00:00,200 --> 00:00:01,500\nWhen the ground shakes, protect your head.\n"


def _video(path: Path, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    kw.setdefault("sound", tone())
    return write_video(path, colour_frames(SIZE, 60), SIZE, fps=30, **kw)


def video_pack(root: Path, video: str = "media/film.mp4") -> Path:
    make_pack(root)
    _video(root / "media" / "film.mp4")
    (root / "media" / "film.zh.vtt").write_text(VTT, encoding="utf-8")
    (root / "media" / "film.en.srt").write_text(SRT, encoding="utf-8")
    with (root / "pack.toml").open("a", encoding="utf-8") as f:
        f.write(VIDEO_SCENE.format(video=video))
    return root


def refusals(root: Path) -> str:
    with pytest.raises(PackError) as info:
        load_pack(root)
    return str(info.value)


def test_a_video_scene_with_subtitles_validates_and_is_probed(tmp_path):
    pack = load_pack(video_pack(tmp_path / "p"))
    film = pack.scene("film")
    assert isinstance(film, VideoScene)
    assert film.subtitles == {"zh": "media/film.zh.vtt", "en": "media/film.en.srt"}
    assert film.poster == "media/attract.png" and film.next == "home" and film.autoplay and not film.loop
    assert film.duration == pytest.approx(2.0, abs=0.1)


def test_truncated_mp4_is_refused_naming_the_file(tmp_path):
    root = video_pack(tmp_path / "p")
    data = (root / "media" / "film.mp4").read_bytes()
    (root / "media" / "film.mp4").write_bytes(data[: len(data) // 2])
    message = refusals(root)
    assert "media/film.mp4" in message and "truncated" in message


def test_mp4_without_its_index_is_refused(tmp_path):
    root = video_pack(tmp_path / "p")
    (root / "media" / "film.mp4").write_bytes((root / "media" / "film.mp4").read_bytes()[:2000])
    message = refusals(root)
    assert "media/film.mp4" in message


@pytest.mark.parametrize("codec", ["mpeg4", "libvpx-vp9"])
def test_mp4_with_an_unsupported_video_codec_is_refused(tmp_path, codec):
    root = video_pack(tmp_path / "p")
    _video(root / "media" / "film.mp4", codec=codec, container_format="mp4")
    message = refusals(root)
    name = {"mpeg4": "mpeg4", "libvpx-vp9": "vp9"}[codec]
    assert "media/film.mp4" in message and f"uses the {name} video codec" in message and "H.264" in message


def test_webm_or_mkv_is_refused(tmp_path):
    root = video_pack(tmp_path / "p", video="media/film.mkv")
    _video(root / "media" / "film.mkv", codec="libvpx-vp9", container_format="matroska", sound=None)
    message = refusals(root)
    assert "media/film.mkv" in message and "should be one of .mp4" in message


def test_video_over_1080p_is_refused_unless_the_pack_declares_a_bigger_screen(tmp_path):
    root = video_pack(tmp_path / "p")
    write_video(root / "media" / "film.mp4", colour_frames((2560, 1440), 4), (2560, 1440), fps=30)
    assert "is 2560×1440, over the 1920×1080" in refusals(root)
    text = (root / "pack.toml").read_text(encoding="utf-8")
    text = text.replace("[attract]", "[media]\nmax_resolution = [3840, 2160]\n\n[attract]")
    text = text.replace('subtitles = { zh = "media/film.zh.vtt", en = "media/film.en.srt" }\n', "")
    (root / "pack.toml").write_text(text, encoding="utf-8")
    pack = load_pack(root)
    assert pack.scene("film").duration > 0


def test_bitrate_over_the_cap_is_refused(tmp_path):
    root = video_pack(tmp_path / "p")
    text = (root / "pack.toml").read_text(encoding="utf-8")
    (root / "pack.toml").write_text(text.replace("[attract]", "[media]\nmax_bitrate_mbps = 0.01\n\n[attract]"))
    message = refusals(root)
    assert "media/film.mp4" in message and "Mbit/s cap" in message


def test_broken_subtitles_are_refused_naming_the_file(tmp_path):
    root = video_pack(tmp_path / "p")
    (root / "media" / "film.zh.vtt").write_text("WEBVTT\n\n00:00:0x.000 --> 00:00:03.000\n坏了\n", encoding="utf-8")
    (root / "media" / "film.en.srt").write_text("1\nnot a time line\nhello\n", encoding="utf-8")
    message = refusals(root)
    assert "media/film.zh.vtt" in message and "not valid WebVTT" in message
    assert "media/film.en.srt" in message and "not valid SRT" in message


def test_subtitles_past_the_end_of_the_video_are_refused(tmp_path):
    root = video_pack(tmp_path / "p")
    (root / "media" / "film.en.srt").write_text(SRT.replace("00:00:01,500", "00:00:09,000"), encoding="utf-8")
    message = refusals(root)
    assert "media/film.en.srt" in message and "after the video ends at 00:02.000" in message


def test_cut_short_png_is_refused_naming_the_file(tmp_path):
    root = make_pack(tmp_path / "p")
    whole = _noisy_png(320, 180)
    (root / "media" / "slide2.png").write_bytes(whole[: len(whole) // 2])  # the header still says 320×180
    message = refusals(root)
    assert "media/slide2.png" in message and "does not decode" in message


def test_cut_short_jpeg_is_refused(tmp_path):
    import pygame

    root = make_pack(tmp_path / "p")
    surface = pygame.Surface((64, 36))
    surface.fill((200, 30, 30))
    jpeg = tmp_path / "x.jpg"
    pygame.image.save(surface, str(jpeg))
    (root / "media" / "slide1.png").write_bytes(jpeg.read_bytes()[:-40])
    message = refusals(root)
    assert "media/slide1.png" in message and "cut short" in message


def test_fake_font_is_refused_naming_the_file(tmp_path):
    root = make_pack(tmp_path / "p")
    (root / "fonts").mkdir()
    (root / "fonts" / "fake.ttf").write_bytes(os.urandom(4096))
    text = (root / "pack.toml").read_text(encoding="utf-8")
    (root / "pack.toml").write_text(text.replace('goal = "rate"', 'goal = "rate"\nfonts = ["fonts/fake.ttf"]'))
    message = refusals(root)
    assert "fonts/fake.ttf" in message and "not a usable font" in message


def test_a_real_font_passes(tmp_path):
    from kiosk.fonts import find_cjk_font

    face = find_cjk_font()
    if face is None or face.path is None:
        pytest.skip("no system font")
    font = Path(face.path)
    root = make_pack(tmp_path / "p")
    (root / "fonts").mkdir()
    (root / "fonts" / f"real{font.suffix}").write_bytes(font.read_bytes())
    text = (root / "pack.toml").read_text(encoding="utf-8")
    (root / "pack.toml").write_text(
        text.replace('goal = "rate"', f'goal = "rate"\nfonts = ["fonts/real{font.suffix}"]'), encoding="utf-8"
    )
    assert load_pack(root).fonts


def test_narration_that_does_not_decode_is_refused(tmp_path):
    root = make_pack(tmp_path / "p")
    (root / "audio").mkdir()
    (root / "audio" / "one.ogg").write_bytes(b"OggS" + os.urandom(3000))
    text = (root / "pack.toml").read_text(encoding="utf-8")
    text = text.replace(
        'body = { zh = "正文。", en = "Body." }',
        'body = { zh = "正文。", en = "Body." }\nnarration = { zh = "audio/one.ogg" }',
        1,
    )
    (root / "pack.toml").write_text(text, encoding="utf-8")
    message = refusals(root)
    assert "audio/one.ogg" in message


def test_cli_validate_names_the_broken_file(tmp_path, capsys):
    root = video_pack(tmp_path / "p")
    data = (root / "media" / "film.mp4").read_bytes()
    (root / "media" / "film.mp4").write_bytes(data[: len(data) // 3])
    assert main(["validate", str(root)]) == 1
    err = capsys.readouterr().err
    assert "error: pack.toml" in err and "[scenes[4].video]" in err and "media/film.mp4" in err


SIGNAGE = """
[signage]
timezone = "Asia/Shanghai"
explore = true

[[signage.items]]
kind = "picture"
image = "media/slide1.png"
seconds = 8

[[signage.dayparts]]
id = "morning"
from = "09:00"
until = "12:00"

[[signage.dayparts.items]]
kind = "video"
video = "media/film.mp4"
subtitles = { zh = "media/film.zh.vtt" }

[[signage.dayparts.items]]
id = "tip"
kind = "slide"
title = { zh = "小贴士", en = "Tip" }
body = { zh = "家里备一个应急包。", en = "Keep an emergency kit at home." }
seconds = 12

[[signage.dayparts]]
id = "afternoon"
from = "12:00"
until = "21:00"

[[signage.dayparts.items]]
kind = "picture"
image = "media/room.png"
"""


def signage_pack(root: Path) -> Path:
    video_pack(root)
    with (root / "pack.toml").open("a", encoding="utf-8") as f:
        f.write(SIGNAGE)
    return root


def test_signage_playlist_with_dayparts(tmp_path):
    pack = load_pack(signage_pack(tmp_path / "p"))
    signage = pack.signage
    assert isinstance(signage, Signage) and signage.explore and signage.timezone == "Asia/Shanghai"
    assert [i.id for i in signage.items] == ["slide1"]
    part, items = signage.playlist_at(10 * 60)
    assert part == "morning" and [(i.id, i.kind) for i in items] == [("film", "video"), ("tip", "slide")]
    assert items[0].duration == pytest.approx(2.0, abs=0.1) and items[1].seconds == 12
    assert signage.playlist_at(20 * 60 + 59)[0] == "afternoon"
    assert signage.playlist_at(21 * 60)[0] == "all-day"
    assert signage.playlist_at(12 * 60)[0] == "afternoon"


def test_signage_mistakes_are_refused(tmp_path):
    root = signage_pack(tmp_path / "p")
    text = (root / "pack.toml").read_text(encoding="utf-8")
    text = text.replace('until = "21:00"', 'until = "25:00"').replace('from = "12:00"', 'from = "11:00"')
    text = text.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"')
    text = text.replace("seconds = 12", "seconds = 0")
    (root / "pack.toml").write_text(text, encoding="utf-8")
    message = refusals(root)
    assert "[signage.timezone]" in message and "Mars/Olympus" in message
    assert "[signage.dayparts[1].until]" in message and "HH:MM" in message
    assert "[signage.dayparts[0].items[1].seconds]" in message


def test_overlapping_dayparts_are_refused(tmp_path):
    root = signage_pack(tmp_path / "p")
    text = (root / "pack.toml").read_text(encoding="utf-8").replace('from = "12:00"', 'from = "11:00"')
    (root / "pack.toml").write_text(text, encoding="utf-8")
    assert "overlaps the daypart 'morning'" in refusals(root)


def test_a_signage_pack_needs_no_scenes_unless_it_explores(tmp_path):
    root = tmp_path / "p"
    make_pack(root)
    (root / "pack.toml").write_text(
        'id = "screen"\nversion = "1.0.0"\ntitle = { zh = "大屏", en = "Screen" }\ntopic = "emergency"\n'
        'audience = ["family"]\nlanguages = ["zh", "en"]\n\n[signage]\n\n[[signage.items]]\n'
        'kind = "picture"\nimage = "media/room.png"\nseconds = 5\n',
        encoding="utf-8",
    )
    pack = load_pack(root)
    assert pack.scenes == () and pack.signage is not None
    text = (root / "pack.toml").read_text(encoding="utf-8").replace("[signage]\n", "[signage]\nexplore = true\n")
    (root / "pack.toml").write_text(text, encoding="utf-8")
    assert "touch to explore needs at least one [[scenes]]" in refusals(root)


def _noisy_png(width: int, height: int) -> bytes:
    import random
    import struct
    import zlib

    rng = random.Random(7)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_signage_sample_validates_builds_and_verifies(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from content_packs.archive import build_pack, verify_kpack

    root = Path(__file__).resolve().parent.parent / "content_packs" / "samples-signage" / "community-screen"
    pack = load_pack(root)
    signage = pack.signage
    assert signage is not None and {d.id for d in signage.dayparts} == {"morning", "afternoon"}
    kinds = {i.kind for d in signage.dayparts for i in d.items}
    assert kinds == {"video", "picture", "slide"}
    for part in signage.dayparts:
        for item in part.items:
            if item.kind == "video":
                assert set(item.subtitles) == {"zh", "en"} and item.duration >= 15
    key = Ed25519PrivateKey.generate()
    assert verify_kpack(build_pack(root, key, tmp_path), [key.public_key()]).id == "community-screen"


def test_the_film_sample_has_a_30_to_90_s_film_with_zh_and_en_subtitles():
    root = Path(__file__).resolve().parent.parent / "content_packs" / "samples" / "earthquake-film"
    film = next(s for s in load_pack(root).scenes if isinstance(s, VideoScene))
    assert 30 <= film.duration <= 90 and set(film.subtitles) == {"zh", "en"}
    assert (root / film.video).stat().st_size < 15 * 1024 * 1024
