"""Decode-checks for a pack's media: video, audio, subtitles, pictures and fonts.

A header can lie: a PNG cut short in a copy, a video re-exported with the wrong codec, a
`.ttf` that is really a web page. The exhibit would then show a broken placeholder in a
visitor's face, so validation decodes: every picture completely, every audio clip, the
first and the last frames of every video and all of its audio, every subtitle cue.
Each check raises `MediaProblem(reason)`; the loader adds the file name and the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The interchange format every authoring tool exports, and what the kiosk's decoder plays.
VIDEO_SUFFIXES = (".mp4", ".m4v")
VIDEO_CODECS = ("h264",)
VIDEO_AUDIO_CODECS = ("aac",)
SUBTITLE_SUFFIXES = (".vtt", ".srt")
# pygame.mixer plays these (narration and the attract loop's background sound).
SOUND_CODECS = ("vorbis", "mp3", "mp3float", "pcm_s16le", "pcm_s24le", "pcm_u8", "pcm_f32le", "pcm_s32le")
SUBTITLE_SLACK = 0.5  # seconds a cue may run past the video's end (encoders round the duration)


class MediaProblem(Exception):
    """Why one media file cannot be played; the message is for the pack's author."""


@dataclass(frozen=True)
class VideoLimits:
    """What an exhibit is asked to play; a pack may raise the resolution for a bigger screen."""

    max_width: int = 1920
    max_height: int = 1080
    max_fps: float = 60.0
    max_seconds: float = 3600.0
    max_bitrate: int = 20_000_000  # bits per second, video + audio; venue Wi-Fi and a Pi's decoder

    def fits(self, width: int, height: int) -> bool:
        # Portrait screens (1080×1920 signage) get the same budget turned on its side.
        long_side, short_side = max(width, height), min(width, height)
        return long_side <= max(self.max_width, self.max_height) and short_side <= min(self.max_width, self.max_height)


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    duration: float
    bitrate: int
    video_codec: str
    audio_codec: str | None


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from `start` to `end` seconds into the video."""

    start: float
    end: float
    text: str


def _av() -> Any:
    import av  # imported here: a controller that never validates media does not load FFmpeg

    return av


def probe_video(path: Path, limits: VideoLimits = VideoLimits()) -> VideoInfo:
    """Open, demux and decode the ends of a video; MediaProblem says what is wrong."""
    av = _av()
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise MediaProblem(f"should be an MP4 file ({', '.join(VIDEO_SUFFIXES)}) with H.264 video and AAC audio")
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise MediaProblem(f"cannot be read as a video: {_why(exc)} (truncated or not an MP4?)") from None
    with container:
        if "mp4" not in container.format.name.split(","):
            raise MediaProblem(f"is a {container.format.name} file, not an MP4; re-export it as MP4 (H.264 + AAC)")
        if not container.streams.video:
            raise MediaProblem("has no video track")
        video = container.streams.video[0]
        vcodec = video.codec_context.name
        if vcodec not in VIDEO_CODECS:
            raise MediaProblem(
                f"uses the {vcodec} video codec, which exhibits do not play; re-export it as H.264 (MP4)"
            )
        acodec = None
        for audio in container.streams.audio:
            if audio.codec_context.name not in VIDEO_AUDIO_CODECS:
                raise MediaProblem(
                    f"has {audio.codec_context.name} audio, which exhibits do not play; re-export the sound as AAC"
                )
            acodec = audio.codec_context.name
        width, height = video.codec_context.width, video.codec_context.height
        if not width or not height:
            raise MediaProblem("has no picture size (a damaged video track)")
        if not limits.fits(width, height):
            raise MediaProblem(
                f"is {width}×{height}, over the {limits.max_width}×{limits.max_height} the exhibit plays; "
                "scale it down (or declare a larger [media] max_resolution for a larger screen)"
            )
        rate = video.average_rate or video.guessed_rate
        fps = float(rate) if rate else 0.0
        if not 1.0 <= fps <= limits.max_fps:
            raise MediaProblem(f"has a frame rate of {fps:.2f}/s; use 24, 25, 30 or up to {limits.max_fps:g}")
        declared = _duration(container, video)
        end, keyframes, total_bytes = _scan_packets(container, video)
        duration = declared or end
        if duration <= 0:
            raise MediaProblem("has no duration (no video frames)")
        if declared and end < declared - max(1.0, 3.0 / fps):
            raise MediaProblem(
                f"is truncated or damaged: its video data ends at {end:.1f} s of the {declared:.1f} s it declares"
            )
        if duration > limits.max_seconds:
            raise MediaProblem(
                f"is {duration / 60:.0f} minutes long, over the {limits.max_seconds / 60:.0f}-minute cap"
            )
        bitrate = int(container.bit_rate or (total_bytes * 8 / duration))
        if bitrate > limits.max_bitrate:
            raise MediaProblem(
                f"has a bitrate of {bitrate / 1e6:.1f} Mbit/s, over the {limits.max_bitrate / 1e6:.0f} Mbit/s cap; "
                "re-export it at a lower quality"
            )
    _decode_ends(path, keyframes)
    if acodec:
        _decode_all_audio(path)
    return VideoInfo(width, height, fps, duration, bitrate, vcodec, acodec)


def probe_sound(path: Path) -> float:
    """Decode a whole audio clip; returns its length in seconds."""
    av = _av()
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaProblem("has no audio track")
            codec = container.streams.audio[0].codec_context.name
            if codec not in SOUND_CODECS:
                raise MediaProblem(f"uses the {codec} audio codec; save it as OGG Vorbis, WAV or MP3")
    except av.FFmpegError as exc:
        raise MediaProblem(f"cannot be read as audio: {_why(exc)}") from None
    return _decode_all_audio(path)


def read_subtitles(path: Path) -> list[Cue]:
    """Parse a WebVTT or SRT file into cues, in time order; MediaProblem if it does not parse."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MediaProblem("is not UTF-8 text; save the subtitles as UTF-8") from None
    suffix = path.suffix.lower()
    if suffix == ".vtt":
        cues = _parse_vtt(text)
    elif suffix == ".srt":
        cues = _parse_srt(text)
    else:
        raise MediaProblem(f"should be WebVTT (.vtt) or SRT (.srt) subtitles, not {suffix or 'no extension'}")
    if not cues:
        raise MediaProblem("has no subtitle cues")
    for cue in cues:
        if not cue.end > cue.start >= 0:
            raise MediaProblem(f"has a cue ending before it starts at {_clock(cue.start)}")
    return sorted(cues, key=lambda c: c.start)


def check_subtitles_fit(cues: list[Cue], duration: float) -> None:
    """Every cue must end within the video (plus rounding slack)."""
    late = [c for c in cues if c.end > duration + SUBTITLE_SLACK]
    if late:
        raise MediaProblem(
            f"has a cue at {_clock(late[0].start)}–{_clock(late[0].end)}, after the video ends at {_clock(duration)}"
        )


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in kepu-pack's output
    import pygame
    import pygame.freetype

    return pygame


def check_picture(path: Path) -> None:
    """Decode a PNG or JPEG completely (a file cut short fails here, not on the exhibit)."""
    pygame = _pygame()

    head = path.read_bytes()
    if head.startswith(b"\xff\xd8") and not head.rstrip(b"\x00").endswith(b"\xff\xd9"):
        # libjpeg only warns on a missing end and fills the rest with grey.
        raise MediaProblem("is a JPEG cut short (no end-of-image marker); copy the picture again")
    try:
        surface = pygame.image.load(str(path))
        surface.get_at((surface.get_width() - 1, surface.get_height() - 1))
    except (pygame.error, OSError, ValueError, IndexError) as exc:
        raise MediaProblem(f"does not decode as a picture ({exc}); it may be cut short — copy or re-save it") from None


def check_font(path: Path) -> None:
    """Load a font with FreeType and draw with it (random bytes named .ttf fail here)."""
    pygame = _pygame()

    try:
        pygame.freetype.init()
        font = pygame.freetype.Font(str(path), 24)
        font.render("科普 Aa 1", (0, 0, 0))
    except (pygame.error, OSError, ValueError) as exc:
        raise MediaProblem(f"is not a usable font ({exc}); use a TTF, OTF or TTC file") from None


# -- internals -------------------------------------------------------------------------------


def _why(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


def _duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration) / 1_000_000
    return 0.0


def _scan_packets(container: Any, video: Any) -> tuple[float, list[float], int]:
    """Demux every packet (no decoding): where the video data really ends, its keyframes, bytes."""
    av = _av()
    end, keyframes, total = 0.0, [], 0
    try:
        for packet in container.demux():
            total += packet.size
            if packet.stream.index != video.index or packet.pts is None or not packet.size:
                continue
            at = float(packet.pts * packet.time_base)
            frame = float(packet.duration * packet.time_base) if packet.duration else 0.0
            end = max(end, at + frame)
            if packet.is_keyframe:
                keyframes.append(at)
    except av.FFmpegError as exc:
        raise MediaProblem(f"is damaged: reading it failed after {end:.1f} s ({_why(exc)})") from None
    return end, keyframes, total


def _decode_ends(path: Path, keyframes: list[float]) -> None:
    """The first frame, and the last group of pictures to the very end, must decode."""
    av = _av()
    if not keyframes:
        raise MediaProblem("has no keyframe to start playing from")
    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            if next(container.decode(video), None) is None:
                raise MediaProblem("has no decodable first frame")
            last = max(keyframes)
            container.seek(int(last / video.time_base), stream=video, backward=True, any_frame=False)
            frames = sum(1 for _ in container.decode(video))
    except av.FFmpegError as exc:
        raise MediaProblem(f"does not decode: {_why(exc)}") from None
    if not frames:
        raise MediaProblem("has no decodable last frames (truncated?)")


def _decode_all_audio(path: Path) -> float:
    av = _av()
    seconds = 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                if frame.sample_rate:
                    seconds += frame.samples / frame.sample_rate
    except av.FFmpegError as exc:
        raise MediaProblem(f"audio does not decode after {seconds:.1f} s: {_why(exc)}") from None
    if seconds <= 0:
        raise MediaProblem("has no decodable audio")
    return seconds


def _parse_vtt(text: str) -> list[Cue]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_string(text, strict=True).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise MediaProblem(f"is not valid WebVTT: {exc}") from None
    return [Cue(_vtt_seconds(c.start_time), _vtt_seconds(c.end_time), c.text.strip()) for c in captions]


def _vtt_seconds(stamp: Any) -> float:
    ms = stamp.in_milliseconds
    return float(ms() if callable(ms) else ms) / 1000.0


def _parse_srt(text: str) -> list[Cue]:
    import srt

    try:
        subtitles = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as exc:
        raise MediaProblem(f"is not valid SRT: {exc}") from None
    return [Cue(s.start.total_seconds(), s.end.total_seconds(), s.content.strip()) for s in subtitles]
