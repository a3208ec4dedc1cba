"""Drawing fast without looking different: surfaces in the frame's format, veiled pictures, the attract band."""

from __future__ import annotations

import pygame
import pytest

from content_packs import load_pack
from kiosk.gallery import Tour, render
from kiosk.packs import prepare
from kiosk.painter import blit_ready, is_opaque
from kiosk.screens.attract import mix
from kiosk.showcase import write_showcase_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    pygame.init()
    return load_pack(write_showcase_pack(tmp_path_factory.mktemp("drawing") / "showcase"))


def frame_format() -> tuple:
    """The masks of what frames are drawn into here: the display surface, or the GPU path's 32-bit canvas."""
    shown = pygame.display.get_surface()
    return (shown or pygame.Surface((1, 1), 0, 32)).get_masks()[:3]


def close(a, b, tolerance: int = 2) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a[:3], b[:3], strict=True))


def test_text_and_pictures_come_in_the_frames_pixel_format(pack):
    painter = prepare(pack)
    text = painter.render("地震来了 Earthquake", 40, (20, 20, 20), bold=True)
    assert text.get_masks()[:3] == frame_format()
    assert text.get_flags() & pygame.SRCALPHA, "text keeps its antialiased edges"
    picture = pack.path(pack.attract.image)
    assert painter.opaque(picture), "a photograph without transparent pixels is drawn by copying"
    assert painter.image_size(picture) is not None


def test_transparency_is_kept_where_there_is_some(tmp_path):
    solid = pygame.Surface((8, 8), pygame.SRCALPHA, 32)
    solid.fill((10, 20, 30, 255))
    assert is_opaque(solid)
    holed = solid.copy()
    holed.set_at((3, 3), (0, 0, 0, 0))
    assert not is_opaque(holed)
    assert blit_ready(holed, alpha=True).get_at((3, 3)).a == 0
    keyed = pygame.Surface((8, 8), 0, 32)
    keyed.set_colorkey((0, 0, 0))
    assert not is_opaque(keyed)

    from kiosk.fonts import find_cjk_font
    from kiosk.painter import Painter

    path = tmp_path / "holed.png"
    pygame.image.save(holed, str(path))
    painter = Painter(find_cjk_font())
    assert not painter.opaque(path)
    assert not painter.opaque(tmp_path / "missing.png")


def test_a_veiled_picture_is_the_picture_under_a_translucent_sheet(pack):
    painter = prepare(pack)
    theme = Tour(pack, (640, 360), painter=painter).app.theme
    picture = pack.path(pack.attract.image)
    rect = pygame.Rect(0, 0, 640, 360)
    plain = pygame.Surface(rect.size, 0, 32)
    painter.image(plain, picture, rect, theme, mode="cover")
    sheet = pygame.Surface(rect.size, pygame.SRCALPHA, 32)
    sheet.fill((255, 250, 240, 200))
    plain.blit(sheet, (0, 0))  # what the band used to do every frame
    veiled = pygame.Surface(rect.size, 0, 32)
    painter.image(veiled, picture, rect, theme, mode="cover", veil=((255, 250, 240), 200))
    for point in ((5, 5), (320, 180), (600, 300), (100, 340)):
        assert close(veiled.get_at(point), plain.get_at(point)), point


def test_image_keeps_to_the_surfaces_clip(pack):
    painter = prepare(pack)
    theme = Tour(pack, (640, 360), painter=painter).app.theme
    surface = pygame.Surface((640, 360), 0, 32)
    surface.fill((1, 2, 3))
    surface.set_clip(pygame.Rect(0, 0, 640, 100))
    painter.image(surface, pack.path(pack.attract.image), surface.get_rect(), theme, mode="cover")
    assert surface.get_at((320, 200))[:3] == (1, 2, 3)
    assert surface.get_at((320, 50))[:3] != (1, 2, 3)


@pytest.fixture(scope="module")
def holed_pack(tmp_path_factory):
    """The showcase with an attract picture that has one transparent pixel."""
    root = write_showcase_pack(tmp_path_factory.mktemp("holed") / "showcase")
    path = root / "media" / "attract.png"
    image = pygame.image.load(str(path))
    holed = pygame.Surface(image.get_size(), pygame.SRCALPHA, 32)
    holed.blit(image, (0, 0))
    holed.set_at((0, 0), (0, 0, 0, 0))
    pygame.image.save(holed, str(path))
    return load_pack(root)


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1080, 1920), (800, 480)])
def test_attract_band_shows_what_is_under_it_through_the_same_veil(pack, holed_pack, size):
    """Mixed once (a still picture, a plain background) or blended per frame (transparency): the same look."""
    tour = Tour(pack, size, painter=prepare(pack))
    app = tour.app
    app.update(1.0)
    shot = render(app)
    pal, area = app.theme.palette, app.screen.area
    band_top = area.bottom - round(area.height * (0.42 if app.theme.portrait else 0.40))
    corner = (area.left + 2, band_top + 2)  # the band's corner: no text there
    if app.theme.portrait:  # over the plain background
        assert close(shot.get_at(corner), mix(pal.surface, pal.background, 235))
    else:  # over the picture, whose pixel there shows through faintly, wherever the drift has taken it
        for _ in range(12):
            frame, picture = render(app), render_without_band(app)
            for x, y in (
                corner,
                (area.left + 2, area.bottom - 3),
                (area.right - 3, band_top),
                (area.left + 2, band_top - 1),
            ):
                under = tuple(picture.get_at((x, y)))[:3]
                expected = under if y < band_top else mix(pal.surface, under, 235)
                assert close(frame.get_at((x, y)), expected), (app.screen.elapsed, x, y)
            app.update(3.7)
        app = Tour(pack, size, painter=prepare(pack)).app
        app.update(1.0)
    # A picture with a transparent pixel takes the per-frame blend instead: the same band.
    holed = Tour(holed_pack, size, painter=prepare(holed_pack)).app
    assert not holed.painter.opaque(holed_pack.path(holed_pack.attract.image))
    holed.update(1.0)
    again = render(holed)
    # (Scaling a picture down with or without its alpha channel rounds a little differently.)
    for point in (corner, (area.centerx, area.top + 5), (area.right - 3, area.bottom - 3)):
        assert close(again.get_at(point), shot.get_at(point), tolerance=4), point


def render_without_band(app) -> pygame.Surface:
    """The attract picture alone, placed as the screen places it now."""
    surface = pygame.Surface(app.size, 0, 32)
    theme = app.theme
    dx, dy, _ = app.screen._motion()
    area = app.screen.area
    rect = area.inflate(round(area.width * 0.08), round(area.height * 0.08))
    rect.move_ip(dx, dy)
    app.painter.image(surface, app.pack.path(app.pack.attract.image), rect, theme, mode="cover")
    return surface
