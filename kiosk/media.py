"""What screens use to play media: players on the kiosk's clock and audio path, subtitles, ambient sound.

Handed down to screens in their Context ("attributes down"), so a screen never opens the
mixer or reads the clock itself, and tests give the app a desk with sound off whose
players follow the test's clock.

Proof-of-play events (`media_start` / `media_end`) are built here so the video scene and the
signage playlist describe a play the same way; their fields are listed in docs/kiosk.md.
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from content_packs.media import Cue, MediaProblem, read_subtitles
from kiosk.audio import open_mixer
from kiosk.video import VideoPlayer

log = logging.getLogger(__name__)
AMBIENT_GAIN = 0.5  # the attract loop's background sound sits under narration and films


class MediaDesk:
    """One per app: makes players, reads subtitles once, plays the attract loop's background sound."""

    def __init__(
        self,
        audio: bool = True,
        now: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        volume: float = 1.0,
    ):
        self.audio = audio
        self.now = now
        self.wall = wall
        self.volume = volume
        self.players: list[VideoPlayer] = []  # open ones (tests and the benchmark look here)
        self._subtitles: dict[str, list[Cue]] = {}
        self._ambient: tuple[str, object, object] | None = None  # path, channel, sound

    def player(
        self, path: Path, size: tuple[int, int], loop: bool = False, muted: bool = False, duration: float = 0.0
    ) -> VideoPlayer:
        player = VideoPlayer(
            path,
            size,
            now=self.now,
            audio=self.audio and not muted,
            loop=loop,
            volume=self.volume,
            duration=duration,
        )
        self.players = [p for p in self.players if p.alive] + [player]
        return player

    def set_volume(self, level: float) -> None:
        """control.json's volume and quiet hours (kiosk.volume): every film and the attract sound, now."""
        self.volume = level
        for player in self.players:
            player.set_volume(level)
        if self._ambient is not None:
            try:
                self._ambient[2].set_volume(AMBIENT_GAIN * level)  # type: ignore[attr-defined]
            except Exception as exc:  # the mixer closed under us (shutdown)
                log.debug("ambient volume: %s", exc)

    def mixer_volumes(self) -> dict[str, object]:
        """What pygame plays films and the attract sound at now (tests and diagnostics)."""
        ambient = None
        if self._ambient is not None:
            ambient = float(self._ambient[2].get_volume())  # type: ignore[attr-defined]
        return {"films": [p.mixer_volume() for p in self.players], "ambient": ambient}

    def close(self, player: VideoPlayer | None) -> None:
        if player is not None:
            player.close()
            if player in self.players:
                self.players.remove(player)

    def close_all(self) -> None:
        """Stop every film and the background sound (before the mixer closes at shutdown)."""
        for player in list(self.players):
            self.close(player)
        self.ambient(None)

    def subtitles(self, path: Path) -> tuple[list[Cue], str | None]:
        """The cues of a subtitle file (validated with the pack), and why not if it cannot be read now."""
        key = str(path)
        if key in self._subtitles:
            return self._subtitles[key], None
        try:
            cues = read_subtitles(path)
        except (MediaProblem, OSError) as exc:
            self._subtitles[key] = []
            return [], f"{path.name}: {exc}"
        self._subtitles[key] = cues
        return cues, None

    def minute_of_day(self, timezone: str) -> int:
        """Minutes since midnight at the venue, for dayparts."""
        try:
            zone = zoneinfo.ZoneInfo(timezone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            zone = zoneinfo.ZoneInfo("Asia/Shanghai")
        local = datetime.fromtimestamp(self.wall(), zone)
        return local.hour * 60 + local.minute

    def ambient(self, path: Path | None) -> str | None:
        """Loop `path` quietly under the attract screen (None: stop); returns an error to log, if any."""
        if not self.audio:
            return None
        key = str(path) if path else None
        if self._ambient is not None and self._ambient[0] == key:
            return None
        if self._ambient is not None:
            try:
                self._ambient[1].stop()  # type: ignore[attr-defined]
            except Exception:
                pass
            self._ambient = None
        if path is None:
            return None
        mixer = open_mixer()
        if mixer is None:
            return None
        try:
            sound = mixer.Sound(str(path))
            # On the Sound before it starts (Sound.play() resets the channel to full volume).
            sound.set_volume(AMBIENT_GAIN * self.volume)
            channel = sound.play(loops=-1)
            if channel is not None:
                self._ambient = (key or "", channel, sound)
        except Exception as exc:  # a missing or broken file: log it, stay quiet
            return f"{path.name}: {exc}"
        return None


_SILENT: list[MediaDesk] = []


def silent_desk() -> MediaDesk:
    """A desk without sound for screens built outside an app (layout tools)."""
    if not _SILENT:
        _SILENT.append(MediaDesk(audio=False))
    return _SILENT[0]


def cue_at(cues: list[Cue], seconds: float) -> str:
    """The subtitle showing at `seconds` ("" between cues)."""
    for cue in cues:
        if cue.start <= seconds < cue.end:
            return cue.text
        if cue.start > seconds:
            break
    return ""


def play_data(item: str, pack, language: str, kind: str, source: str) -> dict:
    """The fields every media_start / media_end carries (docs/kiosk.md); the scene is the event's own."""
    return {
        "item": item,
        "pack": pack.id,
        "version": pack.version,
        "language": language,
        "kind": kind,
        "source": source,
    }
