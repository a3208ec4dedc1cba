"""The picture's way to the panel: SDL's GPU renderer where the platform has one, else pygame's display surface.

The app always draws into `Display.canvas`, an ordinary pygame Surface of the logical
size (portrait for a portrait cabinet), so screens, screenshots and reference images are
the same on both paths. `present()` gets it onto the panel:

- "gpu": a `pygame._sdl2.video` Window + Renderer (OpenGL / GLES on the Pi's V3D, KMS/DRM
  or a desktop) and one streaming Texture; a present uploads the canvas and lets the GPU
  rotate it. Chosen when SDL offers an accelerated renderer driver whose GL is a real GPU
  (Mesa's llvmpipe, the CPU pretending to be one, e.g. under Xvfb, is only used if asked).
- "software": `pygame.display.set_mode` and flip/update; rotation by pygame.transform.
  The fallback (dummy/offscreen drivers, no GL), or when asked for.

`open_display(..., renderer="auto")` tries gpu then software, and says which it got.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import pygame

log = logging.getLogger(__name__)
ROTATIONS = (0, 90, 180, 270)
HEADLESS_DRIVERS = {"dummy", "offscreen"}


@dataclass(frozen=True)
class DisplayRequest:
    size: tuple[int, int] | None  # the window's size on the panel; None: the whole panel
    fullscreen: bool = False
    rotation: int = 0  # degrees clockwise the picture is turned on the panel (portrait cabinets)
    renderer: str = "auto"  # "auto" | "gpu" | "software"
    title: str = "kepu"


def logical_size(panel: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The size the app lays out for: the panel's, turned for 90/270."""
    w, h = panel
    return (h, w) if rotation in (90, 270) else (w, h)


class SoftwareDisplay:
    """pygame's own display surface; the app draws on it directly unless the picture is rotated."""

    kind = "software"
    driver = "software"

    def __init__(self, request: DisplayRequest):
        flags = pygame.FULLSCREEN if request.fullscreen else 0
        wanted = request.size or ((0, 0) if request.fullscreen else (1280, 720))
        self.window = pygame.display.set_mode(wanted, flags)
        pygame.display.set_caption(request.title)
        self.panel = self.window.get_size()
        self.rotation = request.rotation
        self.size = logical_size(self.panel, self.rotation)
        self.canvas = self.window if self.rotation == 0 else pygame.Surface(self.size).convert()

    def present(self, dirty: list[pygame.Rect] | None = None) -> None:
        """Show the canvas: only `dirty` rectangles when given (and unrotated), else all of it."""
        if self.rotation:
            # pygame.transform.rotate turns counter-clockwise; the setting is clockwise.
            self.window.blit(pygame.transform.rotate(self.canvas, -self.rotation), (0, 0))
            pygame.display.flip()
        elif dirty:
            pygame.display.update(dirty)
        else:
            pygame.display.flip()

    def close(self) -> None:
        pygame.display.quit()


class GpuDisplay:
    """An SDL Renderer on a Window: the canvas is uploaded to a texture, the GPU scales and turns it."""

    kind = "gpu"

    def __init__(self, request: DisplayRequest, driver_index: int, driver_name: str):
        from pygame._sdl2 import video

        desktop = pygame.display.get_desktop_sizes()[0] if pygame.display.get_desktop_sizes() else (1280, 720)
        panel = request.size or (desktop if request.fullscreen else (1280, 720))
        self.texture: video.Texture | None = None
        self.renderer: video.Renderer | None = None
        if request.fullscreen and request.size is None:
            self.window = video.Window(request.title, size=panel, fullscreen_desktop=True)
        else:
            self.window = video.Window(request.title, size=panel, fullscreen=request.fullscreen)
        try:
            self.renderer = video.Renderer(self.window, index=driver_index, accelerated=1)
            width, height = self.window.size
            self.panel = (width, height) if not request.fullscreen or request.size else panel
            self.rotation = request.rotation
            self.size = logical_size(self.panel, self.rotation)
            self.canvas = pygame.Surface(self.size, 0, 32)
            self.texture = video.Texture(self.renderer, self.size, streaming=True)
        except Exception:
            self.texture = self.renderer = None
            self.window.destroy()
            raise
        self.driver = driver_name
        w, h = self.size
        pw, ph = self.panel
        # Rotation is about the destination's centre: a logical-size box centred on the panel.
        self._dest = pygame.Rect((pw - w) // 2, (ph - h) // 2, w, h)

    def present(self, dirty: list[pygame.Rect] | None = None) -> None:
        assert self.texture is not None and self.renderer is not None, "presented after close()"
        if dirty:
            for rect in dirty:
                rect = rect.clip(self.canvas.get_rect())
                if rect.width and rect.height:
                    self.texture.update(self.canvas.subsurface(rect), rect)
        else:
            self.texture.update(self.canvas)
        self.renderer.clear()
        self.texture.draw(dstrect=self._dest, angle=float(self.rotation))
        self.renderer.present()

    def close(self) -> None:
        # Texture and renderer go before their window: freed later, SDL would tear down
        # whatever window lives at that address by then (the software fallback's).
        self.texture = self.renderer = None
        self.window.destroy()


Display = SoftwareDisplay | GpuDisplay


def gpu_drivers() -> list[tuple[int, str]]:
    """SDL's accelerated renderer drivers, best first (index, name); empty without the _sdl2 module."""
    try:
        from pygame._sdl2 import video
    except ImportError:
        return []
    accelerated = 0x2  # SDL_RENDERER_ACCELERATED
    return [(i, d.name) for i, d in enumerate(video.get_drivers()) if d.flags & accelerated and d.name != "software"]


SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "software rasterizer")


def gl_renderer_name(driver: str) -> str | None:
    """GL_RENDERER of the current context (e.g. "V3D 4.2", "llvmpipe (LLVM 15…)"), None if unknown."""
    import ctypes
    import ctypes.util

    libraries = ("GLESv2", "GL") if driver.startswith("opengles") else ("GL", "GLESv2")
    for name in libraries:
        path = ctypes.util.find_library(name)
        if not path:
            continue
        try:
            gl = ctypes.CDLL(path)
            gl.glGetString.restype = ctypes.c_char_p
            gl.glGetString.argtypes = [ctypes.c_uint]
            value = gl.glGetString(0x1F01)  # GL_RENDERER
        except (OSError, AttributeError):
            continue
        if value:
            return value.decode(errors="replace")
    return None


def open_display(request: DisplayRequest) -> Display:
    """The best display this platform gives for `request`: gpu when it works, else software."""
    if request.rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, got {request.rotation!r}")
    if request.renderer not in ("auto", "gpu", "software"):
        raise ValueError(f"renderer must be auto, gpu or software, got {request.renderer!r}")
    headless = (os.environ.get("SDL_VIDEODRIVER") or pygame.display.get_driver()) in HEADLESS_DRIVERS
    if request.renderer != "software" and not headless:
        for index, name in gpu_drivers():
            try:
                display = GpuDisplay(request, index, name)
            except Exception as exc:  # no GL context, no device: the next driver, then software
                log.info("renderer %s unavailable: %s", name, exc)
                continue
            gl = gl_renderer_name(name)
            display.driver = f"{name}: {gl}" if gl else name
            if request.renderer == "auto" and gl and any(word in gl.lower() for word in SOFTWARE_GL):
                # GL drawn by the CPU (Mesa llvmpipe: no GPU, e.g. Xvfb) costs more than SDL's own path.
                log.info("renderer %s is software-rasterised (%s): using the software path", name, gl)
                display.close()
                break
            log.info("display: gpu (%s), panel %sx%s, rotation %s", display.driver, *display.panel, request.rotation)
            return display
        if request.renderer == "gpu":
            log.warning("no GPU renderer works here; using the software path")
    software = SoftwareDisplay(request)
    log.info("display: software, panel %sx%s, rotation %s", *software.panel, request.rotation)
    return software
