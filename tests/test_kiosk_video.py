"""Video scenes in the real app: a film keeps the visit alive, emergencies pre-empt it, broken files show the poster."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pygame
import pytest

from content_packs import load_pack
from content_packs.mediawriter import colour_frames, tone, write_video
from content_packs.testing import make_pack
from kepu_contracts.control import Control
from kiosk.gallery import NOTICE, Tour
from kiosk.packs import prepare
from kiosk.screens.signage import SignageScreen
from kiosk.screens.video import VideoScreen

SIZE = (160, 90)
FPS = 5
SECONDS = 62

FILM = """
[[scenes]]
id = "film"
type = "video"
title = { zh = "短片", en = "Short film" }
video = "media/film.mp4"
poster = "media/attract.png"
subtitles = { zh = "media/film.zh.vtt", en = "media/film.en.vtt" }
"""


@pytest.fixture(scope="module")
def film_mp4(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("film") / "film.mp4"
    return write_video(path, colour_frames(SIZE, SECONDS * FPS), SIZE, fps=FPS, sound=tone())


def film_pack(root: Path, film_mp4: Path) -> Path:
    make_pack(root)
    shutil.copyfile(film_mp4, root / "media" / "film.mp4")
    (root / "media" / "film.zh.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:30.000\n地震来了，先保护头部。\n", encoding="utf-8"
    )
    (root / "media" / "film.en.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:30.000\nProtect your head first.\n", encoding="utf-8"
    )
    text = (
        (root / "pack.toml")
        .read_text(encoding="utf-8")
        .replace('[[scenes]]\nid = "rate"', FILM + '\n[[scenes]]\nid = "rate"')
    )
    (root / "pack.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tour(tmp_path, film_mp4):
    pygame.init()
    pack = load_pack(film_pack(tmp_path / "pack", film_mp4))
    return Tour(pack, (1280, 720), "zh", painter=prepare(pack))


def of(tour, kind):
    return [e for e in tour.recorder.events if e.type == kind]


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_visitor_watching_a_60_s_film_without_touching_stays_in_the_visit(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")  # the last touch
    assert isinstance(app.screen, VideoScreen) and app.screen.state == "playing"
    session = app.session_id
    start = of(tour, "media_start")[0]
    assert start.session == session and start.scene == "film"
    assert start.data == {
        "item": "media/film.mp4",
        "pack": "test-pack",
        "version": "1.0.0",
        "language": "zh",
        "kind": "video",
        "source": "scene",
    }
    surface = pygame.Surface(app.size)
    for _ in range(SECONDS - 1):  # 61 s, one second at a time, not a single touch
        tour.advance(1.0)
        app.draw(surface)
        assert app.mode == "visit" and app.session_id == session
        assert not app._warning_visible(), "no 'still there?' while the film plays"
    tour.advance(1.5)  # the film ends
    end = of(tour, "media_end")[0]
    assert end.data["completed"] is True and end.data["seconds"] == pytest.approx(SECONDS, abs=1.0)
    assert end.session == session and app.screen.state == "ended"
    # Then the normal idle gap, counted from the end of the film.
    tour.advance(app.sessions.idle_timeout - app.sessions.warning - 1)
    assert not app._warning_visible() and app.mode == "visit"
    tour.advance(2)
    assert app._warning_visible()
    tour.advance(app.sessions.warning)
    assert app.mode == "attract"
    assert of(tour, "session_end")[0].data["reason"] == "idle"
    assert len(of(tour, "media_start")) == len(of(tour, "media_end")) == 1


def test_a_paused_film_lets_the_idle_clock_run(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")
    tour.tap("toggle")
    assert app.screen.state == "paused" and not app.screen.watching()
    tour.advance(app.sessions.idle_timeout - app.sessions.warning + 0.5)
    assert app._warning_visible()


def test_seek_pause_resume_and_replay(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")
    screen = app.screen
    tour.tap("seek:10")  # the middle of the bar
    assert screen.player.position == pytest.approx(SECONDS / 2, abs=1.0)
    tour.tap("video")  # tapping the picture pauses
    at = screen.player.position
    tour.advance(5)
    assert screen.state == "paused" and screen.player.position == pytest.approx(at)
    tour.tap("toggle")
    assert screen.state == "playing"
    tour.tap("replay")
    assert screen.player.position < 1.0
    ends = of(tour, "media_end")
    assert len(ends) == 1 and ends[0].data["completed"] is False  # the first play, cut short by replay
    assert len(of(tour, "media_start")) == 2


def test_subtitles_follow_the_visitors_language_and_grow_in_senior_mode(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")
    tour.advance(2)
    assert wait_for(lambda: app.screen.update(0) is not None and app.screen.player.picture_size() is not None)
    surface = pygame.Surface(app.size)
    app.painter.record = True
    try:
        app.draw(surface)
        zh = next(d for d in app.painter.drawn if d.text == "地震来了，先保护头部。")
        tour.tap("chrome:lang")
        tour.tap("chrome:senior")
        app.painter.drawn = []
        app.draw(surface)
        en = next(d for d in app.painter.drawn if d.text == "Protect your head first.")
    finally:
        app.painter.record = False
        app.painter.drawn = []
    assert en.requested > zh.requested


def test_an_emergency_pre_empts_the_film_and_playback_restarts_cleanly_after(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")
    player = app.screen.player
    session = app.session_id
    tour.advance(5)
    tour.control = Control(NOTICE)
    tour.advance(0.1)
    assert app.mode == "emergency"
    assert wait_for(lambda: not player.alive), "the decoder thread ends with the film"
    end = of(tour, "media_end")[0]
    assert (
        end.session == session and end.data["completed"] is False and end.data["seconds"] == pytest.approx(5.5)
    )  # 0.5 s after the tap, then 5 s
    assert of(tour, "session_end")[0].data["reason"] == "emergency"
    assert not any(p.alive for p in app.media.players)
    tour.control = Control()
    tour.advance(0.1)
    assert app.mode == "attract"
    tour.tap("start")
    tour.tap("scene:film")
    assert app.screen.state == "playing" and app.screen.player.position < 1.0
    assert len(of(tour, "media_start")) == 2 and of(tour, "media_start")[1].session != session


def test_a_broken_film_shows_the_poster_and_logs_an_error(tmp_path, film_mp4):
    pygame.init()
    pack = load_pack(film_pack(tmp_path / "pack", film_mp4))
    (tmp_path / "pack" / "media" / "film.mp4").write_bytes(
        b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500
    )  # after validation
    tour = Tour(pack, (1280, 720), "en", painter=prepare(pack))
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")
    assert wait_for(lambda: (tour.advance(0.05), app.screen.state == "error")[1])
    errors = [e.data for e in of(tour, "error")]
    assert errors and errors[0]["kind"] == "video" and "film.mp4" in errors[0]["detail"]
    end = of(tour, "media_end")[0]
    assert end.data["completed"] is False and "error" in end.data
    surface = pygame.Surface(app.size)
    app.draw(surface)  # the poster and a calm message, not a crash or a black screen
    poster = app.screen.video_rect.center
    assert surface.get_at(poster)[:3] != (0, 0, 0)
    assert app.mode == "visit"


def test_a_missing_film_is_an_error_event_and_no_play(tmp_path, film_mp4):
    pygame.init()
    pack = load_pack(film_pack(tmp_path / "pack", film_mp4))
    (tmp_path / "pack" / "media" / "film.mp4").unlink()
    tour = Tour(pack, (800, 480), "zh", painter=prepare(pack))
    tour.tap("start")
    tour.tap("scene:film")
    assert tour.app.screen.state == "error"
    assert [e.data["kind"] for e in of(tour, "error")] == ["video"]
    assert not of(tour, "media_start") and not of(tour, "media_end")


SIGNAGE = """
[signage]
timezone = "Asia/Shanghai"
explore = {explore}

[[signage.items]]
id = "calm"
kind = "picture"
image = "media/room.png"
seconds = 10

[[signage.dayparts]]
id = "morning"
from = "09:00"
until = "12:00"

[[signage.dayparts.items]]
kind = "video"
video = "media/film.mp4"
subtitles = {{ zh = "media/film.zh.vtt" }}

[[signage.dayparts.items]]
id = "tip"
kind = "slide"
title = {{ zh = "小贴士", en = "Tip" }}
body = {{ zh = "家里备一个应急包。", en = "Keep an emergency kit at home." }}
seconds = 12
"""


def signage_tour(tmp_path, film_mp4, explore: bool) -> Tour:
    pygame.init()
    root = film_pack(tmp_path / "pack", film_mp4)
    with (root / "pack.toml").open("a", encoding="utf-8") as f:
        f.write(SIGNAGE.format(explore="true" if explore else "false"))
    pack = load_pack(root)
    return Tour(pack, (1920, 1080), "zh", painter=prepare(pack))  # the tour's clock starts at 08:00 in Shanghai


def test_signage_plays_the_daypart_playlist_with_proof_of_play(tmp_path, film_mp4):
    tour = signage_tour(tmp_path, film_mp4, explore=False)
    app = tour.app
    assert isinstance(app.screen, SignageScreen) and app.targets() == []
    tour.advance(0.1)
    assert app.screen.item.id == "calm"  # 08:00: before the morning daypart
    tour.advance(3600)  # 09:00: the next item comes from the morning list
    tour.advance(0.1)
    assert app.screen.part == "morning" and app.screen.item.id == "film"
    x, y = app.size[0] // 2, app.size[1] // 2
    from kiosk.touch import Pointer

    app.pointer(Pointer("down", x, y))
    app.pointer(Pointer("up", x, y))
    assert app.mode == "attract" and not of(tour, "session_start"), "a playlist-only screen starts no visit"
    for _ in range(SECONDS + 1):
        tour.advance(1.0)
    assert app.screen.item.id == "tip"
    starts, ends = of(tour, "media_start"), of(tour, "media_end")
    assert [e.data["item"] for e in starts] == ["calm", "film", "tip"]
    assert [(e.data["item"], e.data["completed"]) for e in ends] == [("calm", True), ("film", True)]
    assert ends[1].data["seconds"] == pytest.approx(SECONDS, abs=1.5)
    assert all(e.session is None and e.scene == "signage" and e.data["source"] == "signage" for e in starts + ends)
    assert starts[1].data["kind"] == "video" and starts[1].data["daypart"] == "morning"
    tour.control = Control(NOTICE)
    tour.advance(0.1)
    assert of(tour, "media_end")[-1].data == of(tour, "media_end")[-1].data | {"item": "tip", "completed": False}
    tour.control = Control()
    tour.advance(0.1)
    tour.advance(0.1)
    assert isinstance(app.screen, SignageScreen) and app.screen.item.id == "film"  # the playlist starts again


def test_touch_to_explore_opens_the_scenes_and_returns_to_the_playlist(tmp_path, film_mp4):
    tour = signage_tour(tmp_path, film_mp4, explore=True)
    app = tour.app
    tour.advance(0.1)
    tour.tap("start")
    assert app.mode == "visit" and any(t.name == "scene:film" for t in app.targets())
    assert of(tour, "media_end")[-1].data["completed"] is False
    tour.advance(app.sessions.idle_timeout + 1)
    assert app.mode == "attract" and isinstance(app.screen, SignageScreen)
    tour.advance(0.1)
    assert app.screen.item is not None


def test_media_screenshots_at_every_size(tmp_path):
    """The sample film (zh/en, standard/senior) and the sample playlist render at all four sizes."""
    from kiosk import media_gallery

    pygame.init()
    shots = media_gallery.film_shots(load_pack(media_gallery.FILM), tmp_path)
    shots += media_gallery.signage_shots(load_pack(media_gallery.SIGNAGE), tmp_path)
    names = {p.name for p in shots}
    for w, h in ((1920, 1080), (1280, 720), (1080, 1920), (800, 480)):
        for variant in ("zh-video", "en-video", "zh-senior-video", "en-senior-video"):
            assert f"{w}x{h}-{variant}.png" in names
        for kind in ("video", "picture", "slide"):
            assert f"{w}x{h}-signage-{kind}.png" in names
    assert all(pygame.image.load(str(p)).get_size()[0] in (1920, 1280, 1080, 800) for p in shots)


def test_the_mixer_paces_the_picture_and_a_seek_resyncs_it(film_mp4):
    """Real sound through pygame.mixer (SDL's dummy driver plays in real time): the audio clock leads."""
    from kiosk.audio import open_mixer
    from kiosk.video import VideoPlayer

    pygame.init()
    if open_mixer() is None:
        pytest.skip("no audio device at all")
    player = VideoPlayer(film_mp4, SIZE, audio=True, duration=SECONDS)
    player.stats.keep = True
    try:

        def play(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                player.frame()
                time.sleep(0.01)

        play(2.0)
        assert player.error is None
        assert player.stats.audio_paced > 0, "pictures were put up by the audio clock"
        assert 1.0 < player.position < 3.0
        player.seek(30.0)
        play(1.0)
        assert 30.0 <= player.position < 32.0 and player._shown_pts >= 29.5
        player.pause()
        at = player.position
        play(0.3)
        assert player.position == pytest.approx(at)
        player.resume()
        play(0.5)
        assert player.position > at
    finally:
        player.close()
    assert not player.alive


def test_a_playing_film_is_drawn_once_per_new_picture_and_the_loop_is_told_when(tour):
    """The frame key moves with the film's pictures (5 fps here), not with every pass of the loop."""
    app = tour.app
    tour.tap("start")
    tour.tap("scene:film")
    screen = app.screen
    assert isinstance(screen, VideoScreen) and screen.player is not None
    assert wait_for(lambda: screen.update(0) is not None and screen.player.picture_size() is not None)
    assert wait_for(lambda: screen.player.next_picture_in() is not None), "the next picture is decoded"
    key = app.frame_key()
    due = app.next_change_in()
    assert due is not None and 0.0 < due <= 1.0 / FPS
    tour.advance(due / 4)  # between two pictures: nothing new to draw
    assert app.frame_key() == key and not app.redraws_every_frame()
    tour.advance(due)  # the next picture's time has come
    assert wait_for(lambda: app.update(0) is None and app.frame_key() != key)
    tour.tap("toggle")  # paused: no picture is due, the loop may sleep
    assert app.next_change_in() is None


def test_a_picture_goes_into_the_canvas_as_pyav_would_convert_it(film_mp4):
    """Straight into the canvas (kiosk.swscale) gives PyAV's own conversion, scaled or not, and never writes outside."""
    import av

    from kiosk.swscale import PictureScaler

    pygame.init()
    pygame.display.set_mode((320, 200))
    with av.open(str(film_mp4)) as container:
        frame = next(container.decode(video=0))
    scaler = PictureScaler("bgra")
    assert scaler.available
    for size in ((160, 90), (96, 54)):  # the film's own size, then scaled down
        canvas = pygame.Surface((320, 200), 0, 32)
        canvas.fill((1, 2, 3))
        rect = pygame.Rect((100, 60), size)
        assert scaler.draw(frame, canvas, rect)
        expected = pygame.image.frombuffer(
            bytes(frame.reformat(width=size[0], height=size[1], format="rgb24").planes[0]), size, "RGB"
        )
        for x, y in ((0, 0), (size[0] // 2, size[1] // 2), (size[0] - 1, size[1] - 1)):
            got, want = canvas.get_at((rect.left + x, rect.top + y)), expected.get_at((x, y))
            assert all(abs(a - b) <= 3 for a, b in zip(got[:3], want[:3], strict=True)), (size, x, y, got, want)
        assert canvas.get_at((rect.left - 1, rect.top))[:3] == (1, 2, 3) == canvas.get_at((rect.right, rect.bottom))[:3]
    # A picture not wholly on the canvas, or a canvas it cannot write into: refused, nothing written.
    canvas = pygame.Surface((320, 200), 0, 32)
    canvas.fill((1, 2, 3))
    assert not scaler.draw(frame, canvas, pygame.Rect((200, 150), (160, 90)))
    assert not scaler.draw(frame, pygame.Surface((320, 200), 0, 16), pygame.Rect((0, 0), (160, 90)))
    assert canvas.get_at((319, 199))[:3] == (1, 2, 3)
    scaler.close()


def test_a_player_shows_its_picture_through_either_path(film_mp4):
    """show() into the canvas and frame() as a Surface give the same picture; off the canvas edge it is blitted."""
    from kiosk.video import VideoPlayer

    pygame.init()
    pygame.display.set_mode((320, 200))
    player = VideoPlayer(film_mp4, SIZE, audio=False, duration=SECONDS)
    try:
        assert wait_for(lambda: player.advance() or player.picture_size() is not None)
        canvas = pygame.Surface((320, 200), 0, 32)
        rect = player.show(canvas, (160, 100))
        assert rect is not None and rect.size == SIZE
        surface = player.frame_surface()
        assert surface is not None and surface.get_size() == SIZE
        assert canvas.get_at((rect.left + 80, rect.top + 45)) == surface.get_at((80, 45))
        edge = player.show(canvas, (0, 0))  # three quarters off the canvas: the blit clips it
        assert edge is not None and canvas.get_at((10, 10)) == surface.get_at((edge.left * -1 + 10, edge.top * -1 + 10))
    finally:
        player.close()


def test_signage_redraws_with_its_film_and_a_slide_only_once(tmp_path, film_mp4):
    """Signage's frame key follows the film's pictures (not the attract drift); a full-screen picture needs no clear."""
    tour = signage_tour(tmp_path, film_mp4, explore=False)
    app = tour.app
    tour.advance(0.1)
    assert app.screen.item.id == "calm"
    key = app.frame_key()
    tour.advance(3.0)
    assert app.frame_key() == key, "a still picture item is drawn once"
    tour.advance(3600)
    tour.advance(0.1)
    screen = app.screen
    assert screen.item.id == "film"
    assert wait_for(lambda: app.update(0) is None and screen.player.picture_size() is not None)
    assert screen.paints_all(), "the film fills the screen: the app skips its full-frame clear"
    assert wait_for(lambda: screen.player.next_picture_in() is not None)
    key = app.frame_key()
    tour.advance(0.01)
    assert app.frame_key() == key
    tour.advance(1.0 / FPS)
    assert wait_for(lambda: app.update(0) is None and app.frame_key() != key)
    canvas = pygame.Surface(app.size, 0, 32)
    canvas.fill((255, 0, 255))
    app.draw(canvas)
    assert canvas.get_at((5, 5))[:3] != (255, 0, 255), "the picture covers the corners"
    tour.app.close()


def test_the_last_pictures_of_a_film_are_shown_too(film_mp4):
    """The pictures drained from the decoder at the end carry no time base of their own: they still go up."""
    from kiosk.video import VideoPlayer

    pygame.init()
    clock = [100.0]
    player = VideoPlayer(film_mp4, SIZE, now=lambda: clock[0], audio=False, duration=SECONDS)
    player.stats.keep = True
    try:
        player.seek(SECONDS - 2.0)
        while player.position < SECONDS - 0.01:
            assert wait_for(lambda: player.next_picture_in() is not None or player._eof)
            clock[0] += 0.05
            player.advance()
        assert player.stats.shown_pts[-1] == pytest.approx(SECONDS - 1 / FPS, abs=0.01)
        assert not player.stats.dropped
        clock[0] += 0.05
        assert player.ended
    finally:
        player.close()
