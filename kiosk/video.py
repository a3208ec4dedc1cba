"""Video playback inside the kiosk's own frame: PyAV decodes off the frame loop, pygame shows.

One `VideoPlayer` per file being shown. Its decoder thread demuxes, decodes (FFmpeg's own
threads) and keeps a few decoded pictures (YUV, as they come) in a bounded queue; sound is
resampled to the mixer's format and queued on a mixer channel in short chunks. The frame
loop asks `advance()` to put up the picture whose time has come, and `show()` paints it:
converted from YUV straight into the canvas's pixels at the size shown (kiosk.swscale), the
one pass a picture costs beyond decoding. `next_picture_in()` tells the loop when to wake.

The clock is the sound card's: each time the mixer starts the next chunk, the chunk's
timestamp re-anchors playback time, so the picture follows the audio however the loop's
frames fall. With no sound (no audio device, a silent video, muted attract loops) the
clock is the kiosk's monotonic clock — the same clock tests advance by hand.

Nothing here raises into the frame loop: a file that cannot be opened or stops decoding
sets `error` (the screen shows the poster and logs it) and the thread ends.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from kiosk.audio import open_mixer
from kiosk.swscale import PictureScaler

log = logging.getLogger(__name__)

FRAME_QUEUE = 8  # decoded pictures ahead of the clock: 270 ms at 30 fps (YUV, ~3 MB each at 1080p)
PACKET_QUEUE = 240  # compressed video packets read ahead (a few seconds; small)
AUDIO_AHEAD = 1.5  # seconds of sound decoded ahead of the clock
AUDIO_CHUNK = 0.1  # seconds per mixer chunk: how often the audio clock re-anchors
EARLY = 0.008  # a frame may go up this much before its time (half a 60 Hz loop frame)
AUDIO_GRACE = 0.5  # seconds the picture waits for the first sound before going by the wall clock
FEED_POLL = 0.003  # s between the audio feeder's looks at the mixer near a chunk's end
FEED_NAP = 0.03  # s at most between looks mid-chunk (a seek or a pause is noticed within this)


@dataclass
class PlaybackStats:
    """What the benchmark and tests read: when each new picture went up, and how far off the audio."""

    shown: int = 0
    dropped: int = 0
    shown_at: list[float] = field(default_factory=list)  # monotonic time of each new picture
    drift: list[float] = field(default_factory=list)  # audio clock − picture time, seconds
    dropped_pts: list[float] = field(default_factory=list)  # film time of each picture never shown
    shown_pts: list[float] = field(default_factory=list)  # film time of each picture shown
    keep: bool = False  # the lists grow only when asked (benchmark)
    audio_paced: int = 0  # pictures shown by the audio clock (the rest: by the wall clock)


class _AudioClock:
    """Playback time from the mixer: re-anchored whenever it starts the next chunk."""

    def __init__(self, now: Callable[[], float]):
        self.now = now
        self.anchor_pts: float | None = None
        self.anchor_at = 0.0
        self.anchor_len = 0.0

    def anchor(self, pts: float, length: float) -> None:
        self.anchor_pts, self.anchor_at, self.anchor_len = pts, self.now(), length

    def position(self) -> float | None:
        if self.anchor_pts is None:
            return None
        # Never run past the chunk being played: if the mixer starves, the picture waits.
        return self.anchor_pts + min(self.now() - self.anchor_at, self.anchor_len + 0.05)


class VideoPlayer:
    """play / pause / resume / seek / close one file; `frame()` gives the picture to show now."""

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        now: Callable[[], float] = time.monotonic,
        audio: bool = True,
        loop: bool = False,
        volume: float = 1.0,
        duration: float = 0.0,
    ):
        self.path = Path(path)
        self.now = now
        self.loop = loop
        self.volume = volume
        self.want_audio = audio
        self.duration = duration  # from validation; refined from the file
        self.error: str | None = None
        self.stats = PlaybackStats()
        self.paused = False
        self._size = _even(size)
        self._format = _picture_format(pygame.display.get_surface())
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._frames: collections.deque[tuple[float, Any]] = collections.deque()  # pts, decoded frame
        self._sound: collections.deque[tuple[float, float, bytes, int]] = (
            collections.deque()
        )  # pts, length, PCM, generation
        self._sound_ahead = 0.0
        self._seek_to: float | None = None
        self._generation = 0  # bumped by every seek: stale frames are dropped
        self._eof = False
        self._stop = False
        self._picture: Any = None  # the decoded frame (YUV, FFmpeg's buffer) up now
        self._surface: pygame.Surface | None = None  # it as a Surface, made when someone asks
        self._surface_of = -1  # stats.shown of the picture in `_surface`
        self._scaler = PictureScaler(self._format[0])
        self._shown_pts = -1.0
        self._last_pts = 0.0  # of the last picture decoded (decoder thread)
        # Wall clock: position = base + (now − started) while playing.
        self._base = 0.0
        self._started = now()
        self._audio_clock = _AudioClock(time.monotonic)
        self._channel: Any = None  # a pygame.mixer.Channel while the film has sound
        self._audio_done = not audio  # True: the wall clock paces the picture
        self._bytes_per_second = 176_400
        self._thread = threading.Thread(target=self._decode, name=f"video:{self.path.name}", daemon=True)
        self._feeder: threading.Thread | None = None
        self._thread.start()

    # -- control (frame loop) -------------------------------------------------------------

    @property
    def position(self) -> float:
        """Seconds into the film now (the audio clock when there is sound)."""
        if self.paused:
            return self._base
        if not self._audio_done:
            audio = self._audio_clock.position()
            if audio is not None:
                return audio
            if self.now() - self._started < AUDIO_GRACE:
                return self._base  # the picture waits for the sound to start
            self._audio_done = True  # no sound came: the wall clock takes over from here
        return self._base + (self.now() - self._started)

    def _audio_finished(self) -> None:
        """The sound ran out before the picture: carry on by the wall clock from where it was."""
        self._base = self.position
        self._started = self.now()
        self._audio_done = True

    @property
    def ended(self) -> bool:
        if self.error:
            return True
        if self.loop:
            return False
        if self.duration > 0:
            return self.position >= self.duration
        return self._eof and not self._frames and self._picture is not None

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def pause(self) -> None:
        if self.paused:
            return
        self._base = self.position
        self.paused = True
        if self._channel is not None:
            self._channel.pause()

    def resume(self) -> None:
        if not self.paused:
            return
        self.paused = False
        self._started = self.now()
        if self._channel is not None:
            self._channel.unpause()
            self._audio_clock.anchor(self._base, 0.0)  # until the next chunk starts
            self._audio_clock.anchor_len = AUDIO_CHUNK

    def seek(self, seconds: float) -> None:
        """Jump to `seconds` (clamped to the film); the picture follows within a frame or two."""
        limit = self.duration if self.duration > 0 else seconds
        seconds = max(0.0, min(seconds, max(0.0, limit - 0.05)))
        with self._wake:
            self._seek_to = seconds
            self._generation += 1
            self._frames.clear()
            self._sound.clear()
            self._sound_ahead = 0.0
            self._eof = False
            self._wake.notify_all()
        if self._channel is not None:
            self._channel.stop()
        self._audio_clock.anchor_pts = None
        self._audio_done = self._channel is None
        self._base = seconds
        self._started = self.now()
        self._shown_pts = -1.0

    def replay(self) -> None:
        self.seek(0.0)
        self.resume()

    def set_volume(self, level: float) -> None:
        """Scale the film's sound to `level` (0.0–1.0) now; before its sound starts, from the start."""
        self.volume = level
        channel = self._channel
        if channel is not None:
            try:
                channel.set_volume(level)
            except pygame.error:
                pass  # the mixer closed under us (shutdown)

    def mixer_volume(self) -> float | None:
        """The volume of the film's mixer channel (None: no sound, or not started yet); tests and diagnostics."""
        channel = self._channel
        return None if channel is None else float(channel.get_volume())

    def resize(self, size: tuple[int, int]) -> None:
        with self._wake:
            self._size = _even(size)

    def close(self) -> None:
        """Stop the threads and the sound; safe to call twice."""
        with self._wake:
            self._stop = True
            self._frames.clear()
            self._sound.clear()
            self._wake.notify_all()
        if self._channel is not None:
            try:
                self._channel.stop()
            except pygame.error:
                pass
        self._thread.join(timeout=2.0)
        if self._feeder is not None:
            self._feeder.join(timeout=2.0)
        self._picture = self._surface = None
        self._scaler.close()

    def next_picture_in(self) -> float | None:
        """Seconds until the next decoded picture is due (≤ 0: now); None while none is decoded yet."""
        if self.paused:
            return None
        with self._lock:
            if not self._frames:
                return None
            pts = self._frames[0][0]
        # Half the early allowance: woken a little before its time, the picture is never a pass late.
        return pts - self.position - EARLY / 2

    def advance(self) -> bool:
        """Put up the newest decoded picture whose time has come (later ones wait); True if one did."""
        if self.loop and self._eof and not self._frames and self.duration > 0 and self.position >= self.duration:
            self.seek(0.0)
        position = self.position
        newest = None
        with self._lock:
            while self._frames and self._frames[0][0] <= position + EARLY:
                if newest is not None:
                    self.stats.dropped += 1  # its time passed while an older one was up
                    if self.stats.keep:
                        self.stats.dropped_pts.append(newest[0])
                newest = self._frames.popleft()
            if newest is not None:
                self._wake.notify_all()
        if newest is None:
            return False
        self._shown_pts, self._picture = newest
        stats = self.stats
        stats.shown += 1
        if stats.keep:
            stats.shown_at.append(time.monotonic())
            stats.shown_pts.append(self._shown_pts)
            audio = self._audio_clock.position() if self._channel is not None and not self._audio_done else None
            stats.drift.append((audio if audio is not None else position) - self._shown_pts)
            stats.audio_paced += audio is not None
        return True

    def picture_size(self) -> tuple[int, int] | None:
        """The size the picture up now is shown at (the film's shape inside the player's size)."""
        picture = self._picture
        return None if picture is None else _fit(picture.width, picture.height, self._size)

    def show(self, canvas: pygame.Surface, center: tuple[int, int]) -> pygame.Rect | None:
        """Paint the picture up now onto `canvas`, centred on `center`; where it went (None: no picture yet).

        Converted straight into the canvas's pixels (kiosk.swscale): no picture-sized copy in
        between. Where that cannot be done, the picture's Surface is blitted.
        """
        size = self.picture_size()
        if size is None:
            return None
        rect = pygame.Rect((0, 0), size)
        rect.center = center
        if self._scaler.draw(self._picture, canvas, rect):
            return rect
        surface = self.frame_surface()
        if surface is not None:
            canvas.blit(surface, rect)
        return rect

    def frame(self) -> pygame.Surface | None:
        """`advance()`, then the picture up now as a Surface (kept until the next one)."""
        self.advance()
        return self.frame_surface()

    def frame_surface(self) -> pygame.Surface | None:
        """The picture up now as a Surface in the canvas's format, converted once per picture."""
        size = self.picture_size()
        if size is None:
            return None
        if self._surface_of != self.stats.shown or self._surface is None or self._surface.get_size() != size:
            surface = self._surface
            if surface is None or surface.get_size() != size:
                surface = pygame.Surface(size, 0, 32, PICTURE_MASKS[self._format[0]])
            if not self._scaler.draw(self._picture, surface, surface.get_rect()):
                surface = _reformatted(self._picture, size, self._format)
            self._surface, self._surface_of = surface, self.stats.shown
        return self._surface

    # -- decoder thread --------------------------------------------------------------------

    def _decode(self) -> None:
        try:
            import av

            with av.open(str(self.path)) as container:
                self._play(av, container)
        except Exception as exc:  # a broken file must never take the exhibit down
            if not self._stop:
                self.error = f"{self.path.name}: {exc}"
                log.warning("video %s failed: %s", self.path, exc)

    def _play(self, av, container) -> None:
        if not container.streams.video:
            raise ValueError("no video track")
        video = container.streams.video[0]
        video.thread_type = "AUTO"  # FFmpeg's frame threads: the GIL is released while decoding
        start = float(video.start_time * video.time_base) if video.start_time is not None else 0.0
        if video.duration is not None and not self.duration:
            self.duration = float(video.duration * video.time_base)
        audio = container.streams.audio[0] if container.streams.audio and self.want_audio else None
        resampler = None
        if audio is not None:
            mixer = open_mixer()
            if mixer is not None:
                freq, fmt, channels = mixer.get_init()
                layout = "stereo" if channels == 2 else "mono"
                resampler = av.AudioResampler(format="s16" if fmt == -16 else "flt", layout=layout, rate=freq)
                self._bytes_per_second = freq * channels * (2 if fmt == -16 else 4)
                self._channel = mixer.find_channel(True)
                self._channel.set_volume(self.volume)
                self._feeder = threading.Thread(target=self._feed, name="video-audio", daemon=True)
                self._feeder.start()
            else:
                audio = None
        if audio is None and not self._audio_done:
            self._started, self._audio_done = self.now(), True  # no sound to follow: the wall clock
        streams = [video] + ([audio] if audio is not None else [])
        packets: collections.deque = collections.deque()
        pending = bytearray()
        pending_pts = 0.0
        demux = container.demux(*streams)
        demux_done = flushed = False
        generation = self._generation
        skip_before = 0.0
        while True:
            with self._wake:
                if self._stop:
                    return
                if self._seek_to is not None:
                    target, self._seek_to = self._seek_to, None
                    generation = self._generation
                    container.seek(int((target + start) / video.time_base), stream=video, backward=True)
                    video.codec_context.flush_buffers()
                    if audio is not None:
                        audio.codec_context.flush_buffers()
                    packets.clear()
                    pending.clear()
                    pending_pts = skip_before = target
                    demux = container.demux(*streams)
                    demux_done = flushed = self._eof = False
                frames_full = len(self._frames) >= FRAME_QUEUE
                sound_full = audio is None or self._sound_ahead >= AUDIO_AHEAD
                idle = (frames_full and (sound_full or demux_done or len(packets) >= PACKET_QUEUE)) or flushed
                if idle:
                    self._wake.wait(0.25)  # every change it waits for notifies; this is a safety net
                    continue
            if not frames_full and packets:
                for frame in video.decode(packets.popleft()):
                    self._push_frame(frame, video.time_base, start, skip_before, generation)
                continue
            if demux_done:
                # Every packet decoded: drain the decoder's delayed frames, then wait for a seek.
                for frame in video.decode(None):
                    self._push_frame(frame, video.time_base, start, skip_before, generation)
                if pending:
                    self._push_sound(bytes(pending), pending_pts, generation)
                    pending.clear()
                flushed = True
                with self._wake:
                    self._eof = True
                continue
            packet = next(demux, None)
            if packet is None or packet.dts is None:
                demux_done = True
                continue
            if packet.stream.index == video.index:
                packets.append(packet)
            elif resampler is not None:
                for frame in packet.decode():
                    t = frame.time - start if frame.time is not None else pending_pts
                    if t < skip_before - 0.05:
                        continue
                    if not pending:
                        pending_pts = t
                    for out in resampler.resample(frame):
                        pending += bytes(out.planes[0])[: out.samples * self._bytes_per_second // out.sample_rate]
                    if len(pending) >= AUDIO_CHUNK * self._bytes_per_second:
                        self._push_sound(bytes(pending), pending_pts, generation)
                        pending.clear()

    def _push_frame(self, frame, time_base, start: float, skip_before: float, generation: int) -> None:
        # The stream's time base, not the frame's: the pictures drained from the decoder at the
        # end (decode(None)) carry none, so their `time` is NaN — never due, never shown.
        t = float(frame.pts * time_base) - start if frame.pts is not None else self._last_pts + 1 / 30
        self._last_pts = t
        if t < skip_before - 0.02:
            return  # decoded only to reach the seek point
        # Kept as decoded (YUV, a third of the RGB size): converted when shown, into the canvas.
        with self._wake:
            if generation == self._generation and not self._stop:
                self._frames.append((t, frame))

    def _push_sound(self, data: bytes, pts: float, generation: int) -> None:
        length = len(data) / self._bytes_per_second
        with self._wake:
            if generation == self._generation and not self._stop:
                self._sound.append((pts, length, data, generation))
                self._sound_ahead += length

    # -- audio feeder thread ---------------------------------------------------------------

    def _feed_nap(self, waiting: tuple[float, float] | None) -> float:
        """How long the feeder may sleep: until just before the playing chunk ends, else a few ms.

        The moment the mixer moves on to the waiting chunk anchors the clock, so it is looked
        for closely (every FEED_POLL) around that time only, not 250 times a second all along.
        """
        if waiting is None or self._audio_clock.anchor_pts is None:
            return FEED_POLL
        ends = self._audio_clock.anchor_at + self._audio_clock.anchor_len
        return min(FEED_NAP, max(FEED_POLL, ends - time.monotonic() - 2 * FEED_POLL))

    def _picture_ready(self) -> bool:
        """A picture is decoded for the sound to start with (or no picture is coming soon)."""
        return bool(self._frames) or self._shown_pts >= 0 or self._eof or self.now() - self._started > AUDIO_GRACE / 2

    def _feed(self) -> None:
        """Keep one chunk waiting in the channel's queue slot; when the slot empties, that chunk began.

        Only play(), queue(), get_queue() and get_busy() are used: Channel.get_sound() races
        with the mixer's end-of-chunk callback and can crash the process.
        """
        channel = self._channel
        waiting: tuple[float, float] | None = None  # pts, length of the chunk in the queue slot
        inflight: collections.deque = collections.deque(maxlen=8)  # our references to chunks in the mixer
        started = False
        while not self._stop:
            time.sleep(self._feed_nap(waiting))
            if self.paused:
                continue
            if not pygame.mixer.get_init():
                return  # the mixer closed under us (shutdown)
            try:
                busy = channel.get_busy()
                if not busy and waiting is None and not self._picture_ready():
                    continue  # the sound (re)starts with the first picture, or that picture starts late
                if waiting is not None and not busy:
                    # Between two chunks the channel is idle for a moment while pygame's end-of-sound
                    # callback starts the queued one. Taken for a starved channel, the next chunk
                    # would be play()ed over the queued one: a tenth of a second of sound skipped
                    # and the picture clock jumping ahead (three pictures dropped). Look again (the
                    # callback needs the GIL, so give it a few polls).
                    for _ in range(3):
                        time.sleep(FEED_POLL)
                        busy = channel.get_busy()
                        if busy:
                            break
                if waiting is not None and (not busy or channel.get_queue() is None):
                    if busy:
                        self._audio_clock.anchor(*waiting)  # the mixer moved on to it just now
                    waiting = None
                if waiting is not None:
                    continue
                with self._wake:
                    item = self._sound.popleft() if self._sound else None
                    if item is not None:
                        self._sound_ahead -= item[1]
                        self._wake.notify_all()
                if item is None:
                    if self._eof and started and not busy and not self._audio_done:
                        self._audio_finished()
                    continue
                pts, length, data, generation = item
                if generation != self._generation:
                    continue  # decoded before a seek: never play it
                sound = pygame.mixer.Sound(buffer=data)
                inflight.append(sound)
                if busy:
                    channel.queue(sound)
                    waiting = (pts, length)
                else:
                    channel.play(sound)
                    self._audio_clock.anchor(pts, length)
                    started = True
            except pygame.error as exc:
                self.error = f"{self.path.name}: audio failed: {exc}"
                return


# FFmpeg's pixel format and pygame's name for the same bytes, by the canvas's (red, green, blue) masks.
XRGB = (0xFF0000, 0xFF00, 0xFF)  # SDL's usual 32-bit surface: the display's, and the GPU path's canvas
PICTURE_FORMATS = {XRGB: ("bgra", "BGRA"), (0xFF, 0xFF00, 0xFF0000): ("rgba", "RGBA")}
PICTURE_MASKS = {"bgra": (*XRGB, 0), "rgba": (0xFF, 0xFF00, 0xFF0000, 0)}  # a picture's own Surface, no alpha


def _picture_format(canvas: pygame.Surface | None) -> tuple[str, str]:
    """Pictures in the canvas's own byte order: converted straight into it, or blitted as a plain copy.

    Without a display surface (the GPU path draws into a default 32-bit Surface) that is
    XRGB8888. swscale writes an opaque alpha byte where the canvas has its unused one.
    """
    masks = XRGB
    if canvas is not None and canvas.get_bytesize() == 4:
        red, green, blue, _ = canvas.get_masks()
        masks = (red, green, blue)
    return PICTURE_FORMATS.get(masks, PICTURE_FORMATS[XRGB])


def _reformatted(frame: Any, size: tuple[int, int], formats: tuple[str, str]) -> pygame.Surface:
    """The picture as a Surface through PyAV (where kiosk.swscale cannot write into one itself)."""
    width, height = size
    picture = frame.reformat(width=width, height=height, format=formats[0])
    plane: Any = picture.planes[0]  # a buffer (PyAV's VideoPlane)
    if plane.line_size == width * 4 and plane.buffer_size == width * height * 4:
        pixels = bytes(plane)
    else:  # rows padded for alignment: copy them out tight
        import numpy as np

        pixels = np.frombuffer(plane, np.uint8).reshape(height, plane.line_size)[:, : width * 4].tobytes()
    surface = pygame.image.frombuffer(pixels, size, formats[1])  # type: ignore[arg-type]  # BGRA or RGBA
    surface.set_alpha(None)  # the pad byte is opaque: blitting copies, it blends nothing
    return surface


def _even(size: tuple[int, int]) -> tuple[int, int]:
    return max(2, int(size[0]) // 2 * 2), max(2, int(size[1]) // 2 * 2)


def _fit(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The largest even size with the film's shape inside `box` (never upscaled past 1:1 by much)."""
    ratio = min(box[0] / width, box[1] / height)
    # Widths in multiples of 16 keep FFmpeg's rows unpadded (no copy before showing).
    return max(16, round(width * ratio) // 16 * 16), max(2, round(height * ratio) // 2 * 2)
