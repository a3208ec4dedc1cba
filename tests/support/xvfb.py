"""A real X display for kiosk tests: Xvfb on a free display number, xdotool to touch, Xlib to look.

Screenshots, the pointer's cursor image and window-manager close requests go through
python-xlib (the X protocol itself); taps and keys through xdotool, as a person's
mouse and keyboard would arrive (XTEST).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass

import pygame

TOOLS = ("Xvfb", "xdotool")


def missing_tools() -> list[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    try:
        import Xlib  # noqa: F401
    except ImportError:
        missing.append("python-xlib")
    return missing


@dataclass
class XServer:
    display: str
    size: tuple[int, int]
    process: subprocess.Popen

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SDL_VIDEO", "WAYLAND"))}
        return {**env, "DISPLAY": self.display, "SDL_VIDEODRIVER": "x11", "SDL_AUDIODRIVER": "dummy"}

    def xdotool(self, *args: str) -> str:
        out = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout.strip()

    def tap(self, x: int, y: int) -> None:
        """A mouse click where a finger would tap (press and release at one point)."""
        self.xdotool("mousemove", str(x), str(y))
        self.xdotool("click", "1")

    def connect(self):
        from Xlib import display

        return display.Display(self.display)

    def screenshot(self) -> pygame.Surface:
        """The whole screen as X shows it now."""
        from Xlib import X

        d = self.connect()
        try:
            root = d.screen().root
            w, h = self.size
            raw = root.get_image(0, 0, w, h, X.ZPixmap, 0xFFFFFFFF).data
        finally:
            d.close()
        pixels = bytearray(raw)
        pixels[3::4] = b"\xff" * (w * h)  # the fourth byte of a 24-bit visual is padding: opaque
        return pygame.image.frombuffer(bytes(pixels), (w, h), "BGRA").copy()

    def find_window(self, title: str):
        """The top-level window named `title` (its id), or None."""
        d = self.connect()
        try:
            net_wm_name = d.intern_atom("_NET_WM_NAME")
            for child in d.screen().root.query_tree().children:
                try:
                    prop = child.get_full_property(net_wm_name, 0)  # SDL names windows in UTF-8 here
                    viewable = child.get_attributes().map_state == 2  # IsViewable
                except Exception:
                    continue
                if prop and bytes(prop.value).decode(errors="replace") == title and viewable:
                    return child.id
        finally:
            d.close()
        return None

    def window_geometry(self, window: int) -> tuple[int, int, int, int]:
        d = self.connect()
        try:
            g = d.create_resource_object("window", window).get_geometry()
            return g.x, g.y, g.width, g.height
        finally:
            d.close()

    def window_states(self, window: int) -> set[str]:
        d = self.connect()
        try:
            w = d.create_resource_object("window", window)
            prop = w.get_full_property(d.intern_atom("_NET_WM_STATE"), 0)
            return {d.get_atom_name(a) for a in (prop.value if prop else [])}
        finally:
            d.close()

    def close_window(self, window: int) -> None:
        """What a window manager's close button does: a WM_DELETE_WINDOW client message."""
        from Xlib import X
        from Xlib.protocol import event

        d = self.connect()
        try:
            w = d.create_resource_object("window", window)
            protocols, delete = d.intern_atom("WM_PROTOCOLS"), d.intern_atom("WM_DELETE_WINDOW")
            message = event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
            w.send_event(message, event_mask=X.NoEventMask)
            d.flush()
        finally:
            d.close()

    def cursor_is_invisible(self) -> bool:
        """True if the pointer's current cursor image has no visible pixel (XFixes)."""
        d = self.connect()
        try:
            d.xfixes_query_version()  # XFixes answers only clients that said which version they speak
            image = d.xfixes_get_cursor_image(d.screen().root)
            pixels = list(image.cursor_image)
        finally:
            d.close()
        return all((p >> 24) & 0xFF == 0 for p in pixels)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def start_xvfb(size: tuple[int, int] = (1280, 720)) -> XServer:
    """Xvfb on the first free display number (it picks and tells us, -displayfd)."""
    read, write = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write)
    number = b""
    deadline = time.monotonic() + 20
    with os.fdopen(read, "rb") as pipe:
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    if not number.strip():
        process.kill()
        raise RuntimeError(f"Xvfb did not start: {process.stderr.read().decode()[-500:] if process.stderr else ''}")
    return XServer(f":{number.decode().strip()}", size, process)


def mean_difference(a: pygame.Surface, b: pygame.Surface, size: tuple[int, int] = (160, 90)) -> float:
    """Mean absolute difference per colour channel (0..255) of two pictures, compared small."""

    def small(picture: pygame.Surface) -> pygame.Surface:
        plain = pygame.Surface(picture.get_size(), 0, 32)
        plain.blit(picture, (0, 0))
        return pygame.transform.smoothscale(plain, size)

    small_a, small_b = small(a), small(b)
    ra, rb = pygame.image.tobytes(small_a, "RGB"), pygame.image.tobytes(small_b, "RGB")
    return sum(abs(x - y) for x, y in zip(ra, rb, strict=True)) / len(ra)
