"""Narration through pygame.mixer: the only module that touches audio.

A worker thread loads and plays sounds, so the frame loop never waits on the disk or the
sound card. Anything that goes wrong (no sound card, missing or broken file) becomes an
entry in `errors`, which the app turns into `error` events; nothing here raises.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

log = logging.getLogger(__name__)
_MIXER_LOCK = threading.Lock()
_MIXER_STATE: dict[str, object] = {}


def open_mixer():
    """pygame.mixer, opened once for narration and video alike; None without a sound device.

    A small buffer (512 frames, ~12 ms) keeps the audio clock that paces video pictures fine.
    """
    with _MIXER_LOCK:
        try:
            import pygame.mixer

            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=44100, size=-16, channels=2, buffer=512)
                pygame.mixer.set_num_channels(16)
            _MIXER_STATE.pop("error", None)
            return pygame.mixer
        except Exception as exc:  # no sound card must never stop the exhibit
            _MIXER_STATE["error"] = str(exc)
            return None


def mixer_error() -> str | None:
    """Why the last open_mixer() failed, if it did."""
    error = _MIXER_STATE.get("error")
    return str(error) if error else None


class Narrator:
    """play(path) / stop() / set_volume(level); errors are collected for the app to log."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.errors: list[tuple[str, str]] = []
        self.playing: Path | None = None
        self.volume = 1.0  # control.json's volume and quiet hours (kiosk.volume), 0.0–1.0
        self._sound: object = None  # the Sound playing now, whose volume set_volume changes
        self._volume_lock = threading.Lock()
        self._sounds: dict[str, object] = {}
        self._mixer_ok: bool | None = None
        self._channel = None
        self._queue: queue.Queue[tuple[str, Path | None] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._busy = 0
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="narrator", daemon=True)
        self._thread.start()

    def play(self, path: Path | None) -> None:
        """Stop what is playing and start `path` (None: just stop)."""
        if not self.enabled:
            return
        with self._lock:
            self._busy += 1
        self._queue.put(("play", path))

    def stop(self) -> None:
        self.play(None)

    def set_volume(self, level: float) -> None:
        """Scale narration to `level` now, the sentence playing included."""
        with self._volume_lock:
            self.volume = level
            sound = self._sound
            if sound is not None:
                try:
                    sound.set_volume(level)  # type: ignore[attr-defined]
                except Exception as exc:  # the mixer closed under us (shutdown)
                    log.debug("narration volume: %s", exc)

    def mixer_volume(self) -> float | None:
        """The volume pygame plays the current sentence at (None: nothing playing); tests and diagnostics."""
        with self._volume_lock:
            sound = self._sound
            return None if sound is None else float(sound.get_volume())  # type: ignore[attr-defined]

    def drain_errors(self) -> list[tuple[str, str]]:
        if not self.errors:  # the common case, without taking the lock every frame
            return []
        with self._lock:
            errors, self.errors = self.errors, []
        return errors

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued commands are done (tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    # -- worker --------------------------------------------------------------

    def _error(self, kind: str, detail: str) -> None:
        log.warning("%s: %s", kind, detail)
        with self._lock:
            self.errors.append((kind, detail))

    def _mixer(self):
        if self._mixer_ok is None:
            mixer = open_mixer()
            self._mixer_ok = mixer is not None
            if mixer is None:
                self._error("audio", f"no audio output: {mixer_error()}")
        if not self._mixer_ok:
            return None
        import pygame.mixer

        return pygame.mixer

    def _run(self) -> None:
        while True:
            command = self._queue.get()
            if command is None:
                return
            try:
                self._do(*command)
            except Exception as exc:
                self._error("audio", f"narration failed: {exc}")
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _do(self, action: str, path: Path | None) -> None:
        mixer = self._mixer()
        if mixer is None:
            return
        # Only narration stops: a film or the attract sound on other channels plays on.
        if self._channel is not None:
            self._channel.stop()
            self._channel = None
        self.playing = None
        with self._volume_lock:
            self._sound = None
        if path is None:
            return
        key = str(path)
        sound = self._sounds.get(key)
        if sound is None:
            try:
                sound = mixer.Sound(key)
            except Exception as exc:  # pygame.error, a missing or unreadable file
                self._error("audio", f"{path.name}: {exc}")
                return
            if len(self._sounds) > 16:
                self._sounds.clear()
            self._sounds[key] = sound
        with self._volume_lock:
            # On the Sound, before it starts: Sound.play() resets its channel to full volume, and a
            # quiet-hours sentence must not begin with a loud blip.
            sound.set_volume(self.volume)  # type: ignore[attr-defined]
            self._sound = sound
        self._channel = sound.play()  # type: ignore[attr-defined]
        self.playing = path
