"""Encode drawn frames and a generated sound to MP4 (H.264 + AAC) with PyAV, byte for byte reproducibly.

Used by `scripts/make_media.py` for the sample films, by the video benchmark, and by tests
that need a real (or a deliberately wrong) video. Frames are RGB `numpy` arrays (height ×
width × 3); sound is a function from a time array (seconds) to samples in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

AUDIO_RATE = 44100
# bitexact: no encoder version strings or timestamps in the file, so a rebuild is identical.
_CONTAINER_OPTIONS = {"movflags": "+faststart", "fflags": "+bitexact"}


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    size: tuple[int, int],
    fps: int = 30,
    sound: Callable[[np.ndarray], np.ndarray] | None = None,
    seconds: float | None = None,
    codec: str = "libx264",
    crf: int = 23,
    preset: str = "veryfast",
    container_format: str | None = None,
) -> Path:
    """Write `frames` (and `seconds` of `sound`, stereo AAC) to `path`; returns the path."""
    import av

    path = Path(path)
    width, height = size
    options = dict(_CONTAINER_OPTIONS)
    if (container_format or path.suffix.lstrip(".")) not in ("mp4", "m4v", "mov"):
        options.pop("movflags")
    out = av.open(str(path), "w", format=container_format, options=options)
    try:
        video: Any = out.add_stream(codec, rate=fps)  # a VideoStream (PyAV types add_stream as any stream)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.codec_context.time_base = Fraction(1, fps)
        if codec == "libx264":
            # One thread and a fixed GOP: the same input always gives the same bytes.
            video.codec_context.options = {
                "preset": preset,
                "crf": str(crf),
                "threads": "1",
                "g": str(fps * 2),
                "flags": "+bitexact",
            }
        else:
            video.codec_context.options = {"threads": "1", "flags": "+bitexact"}
        audio: Any = None
        if sound is not None:
            audio = out.add_stream("aac", rate=AUDIO_RATE)
            audio.layout = "stereo"
            audio.codec_context.options = {"flags": "+bitexact"}
        count = 0
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
            count += 1
        for packet in video.encode():
            out.mux(packet)
        if audio is not None and sound is not None:
            total = round((seconds if seconds is not None else count / fps) * AUDIO_RATE)
            step = 1024
            for start in range(0, total, step):
                n = min(step, total - start)
                t = (start + np.arange(n)) / AUDIO_RATE
                mono = np.clip(sound(t), -1.0, 1.0).astype(np.float32)
                chunk = av.AudioFrame.from_ndarray(np.vstack([mono, mono]), format="fltp", layout="stereo")
                chunk.sample_rate = AUDIO_RATE
                chunk.pts = start
                chunk.time_base = Fraction(1, AUDIO_RATE)
                for packet in audio.encode(chunk):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)
    finally:
        out.close()
    return path


def tone(frequency: float = 440.0, volume: float = 0.2) -> Callable[[np.ndarray], np.ndarray]:
    """A soft sine tone, for a test video's sound."""
    return lambda t: volume * np.sin(2 * np.pi * frequency * t)


def colour_frames(size: tuple[int, int], count: int, moving: bool = True) -> Iterable[np.ndarray]:
    """Plain frames with a moving bar: enough for a codec to encode and a decoder to show."""
    width, height = size
    for i in range(count):
        frame = np.empty((height, width, 3), dtype=np.uint8)
        frame[:] = (30 + i % 60, 80, 160)
        if moving:
            x = (i * 7) % max(1, width - width // 8)
            frame[:, x : x + width // 8] = (250, 200, 40)
        yield frame
