"""A decoded picture converted straight into a pygame Surface's pixels by FFmpeg's swscale.

PyAV's `reformat()` always writes into a new frame of its own, which pygame must then copy
into the canvas: at 1080p30 that is an 8 MB allocation, its page faults and an 8 MB copy
thirty times a second, as much CPU again as the conversion. Here the same library that PyAV
loaded (found in /proc/self/maps, so the very same build) is called through ctypes with the
canvas's own pixels as the destination: one pass, YUV in, the canvas's RGB out.

Only the long-stable parts of the C API are used (sws_getCachedContext, sws_scale,
sws_setColorspaceDetails, av_get_pix_fmt). Anything unexpected — another platform, a
canvas that is not 32-bit, a picture not wholly inside the canvas — is refused with
`False`, and the caller falls back to PyAV's reformat and a blit.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from typing import Any

import pygame

log = logging.getLogger(__name__)

SWS_POINT = 0x10  # unscaled: no interpolation runs at all (only chroma is upsampled)
SWS_BILINEAR = 0x2
# AVColorSpace → the SWS_CS_* coefficients swscale knows (the numbers are the same for these).
COEFFICIENTS = {1: 1, 4: 4, 5: 5, 6: 6, 7: 7, 9: 9, 10: 9}  # bt709, fcc, bt470bg, smpte170m, smpte240m, bt2020
SWS_CS_DEFAULT = 5  # ITU-R BT.601, what FFmpeg assumes for an untagged picture (as PyAV does)
JPEG_RANGE = 2  # AVCOL_RANGE_JPEG: full-range YUV


def _loaded(name: str) -> str | None:
    """The path of an already loaded shared library whose file name starts with `name`."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)  # address perms offset device inode [path]
                path = fields[5].strip() if len(fields) == 6 else ""
                if Path(path).name.startswith(name) and ".so" in path:
                    return path
    except OSError:
        return None
    return None


class _Library:
    """libswscale and libavutil as PyAV loaded them, with the few prototypes used."""

    def __init__(self, swscale: str, avutil: str):
        c_int, c_void_p = ctypes.c_int, ctypes.c_void_p
        self.sws = sws = ctypes.CDLL(swscale)
        self.avutil = avutil_lib = ctypes.CDLL(avutil)
        avutil_lib.av_get_pix_fmt.restype = c_int
        avutil_lib.av_get_pix_fmt.argtypes = [ctypes.c_char_p]
        sws.sws_getCachedContext.restype = c_void_p
        sws.sws_getCachedContext.argtypes = [c_void_p, *[c_int] * 7, c_void_p, c_void_p, c_void_p]
        sws.sws_scale.restype = c_int
        sws.sws_scale.argtypes = [
            c_void_p,
            ctypes.POINTER(c_void_p),
            ctypes.POINTER(c_int),
            c_int,
            c_int,
            ctypes.POINTER(c_void_p),
            ctypes.POINTER(c_int),
        ]
        sws.sws_getCoefficients.restype = ctypes.POINTER(c_int)
        sws.sws_getCoefficients.argtypes = [c_int]
        sws.sws_setColorspaceDetails.restype = c_int
        sws.sws_setColorspaceDetails.argtypes = [
            c_void_p,
            ctypes.POINTER(c_int),
            c_int,
            ctypes.POINTER(c_int),
            *[c_int] * 4,
        ]
        sws.sws_freeContext.restype = None
        sws.sws_freeContext.argtypes = [c_void_p]

    def pix_fmt(self, name: str) -> int:
        return int(self.avutil.av_get_pix_fmt(name.encode()))


_LIBRARY: list[_Library | None] = []


def _library() -> _Library | None:
    """Found once per process (after PyAV is imported); None where it cannot be."""
    if not _LIBRARY:
        import av  # noqa: F401  # loads FFmpeg's libraries, so they are in the maps

        swscale, avutil = _loaded("libswscale"), _loaded("libavutil")
        library = None
        if swscale and avutil:
            try:
                library = _Library(swscale, avutil)
            except (OSError, AttributeError) as exc:
                log.info("swscale not callable directly (%s): pictures go through PyAV", exc)
        _LIBRARY.append(library)
    return _LIBRARY[0]


class PictureScaler:
    """Converts (and if need be scales) decoded frames into a 32-bit Surface, in place. One per film."""

    def __init__(self, pixel_format: str):
        self.library = _library()
        self.format = pixel_format  # the surface's byte order in FFmpeg's words ("bgra", "rgba")
        self._context: int | None = None
        self._key: tuple = ()
        c_void_p, c_int = ctypes.c_void_p, ctypes.c_int
        self._src, self._src_stride = (c_void_p * 4)(), (c_int * 4)()
        self._dst, self._dst_stride = (c_void_p * 4)(), (c_int * 4)()

    @property
    def available(self) -> bool:
        return self.library is not None

    def draw(self, frame: Any, surface: pygame.Surface, rect: pygame.Rect) -> bool:
        """Write `frame` into `rect` of `surface` (scaled to its size); False if it cannot be done here."""
        library = self.library
        if library is None or surface.get_bytesize() != 4 or not surface.get_rect().contains(rect):
            return False
        if rect.width < 2 or rect.height < 2 or len(frame.planes) > 4:
            return False
        src_fmt = library.pix_fmt(frame.format.name)
        dst_fmt = library.pix_fmt(self.format)
        if src_fmt < 0 or dst_fmt < 0:
            return False
        scaled = (rect.width, rect.height) != (frame.width, frame.height)
        key = (
            frame.width,
            frame.height,
            src_fmt,
            rect.width,
            rect.height,
            dst_fmt,
            frame.colorspace,
            frame.color_range,
        )
        if key != self._key:
            context = library.sws.sws_getCachedContext(
                self._context,
                frame.width,
                frame.height,
                src_fmt,
                rect.width,
                rect.height,
                dst_fmt,
                SWS_BILINEAR if scaled else SWS_POINT,
                None,
                None,
                None,
            )
            if not context:
                return False
            self._context = context
            coefficients = library.sws.sws_getCoefficients(COEFFICIENTS.get(frame.colorspace, SWS_CS_DEFAULT))
            full = 1 if frame.color_range == JPEG_RANGE else 0
            # brightness 0, contrast and saturation 1.0 in 16.16 fixed point; RGB out is full range
            library.sws.sws_setColorspaceDetails(context, coefficients, full, coefficients, 1, 0, 1 << 16, 1 << 16)
            self._key = key
        for i, plane in enumerate(frame.planes):
            self._src[i], self._src_stride[i] = plane.buffer_ptr, plane.line_size
        pitch = surface.get_pitch()
        surface.lock()
        try:
            self._dst[0] = surface._pixels_address + rect.top * pitch + rect.left * 4
            self._dst_stride[0] = pitch
            # ctypes lets go of the GIL for the call: the decoder thread runs on meanwhile.
            rows = library.sws.sws_scale(
                self._context, self._src, self._src_stride, 0, frame.height, self._dst, self._dst_stride
            )
        finally:
            surface.unlock()
        return rows > 0

    def close(self) -> None:
        if self._context and self.library is not None:
            self.library.sws.sws_freeContext(self._context)
        self._context = None
        self._key = ()
