"""Video playback: the kiosk playing a 1080p30 H.264 film, against decoding alone and headless Chromium.

    .venv/bin/python benchmarks/video.py [--seconds 32] [--no-browser]

One run, three players of the same file (made here from the sample film's drawings by
scripts/make_media.py's code, 1920×1080, 30 fps, H.264 + AAC):

- the kiosk: the real runtime (`kiosk.runtime.run`, pygame dummy video driver, 60 Hz frame
  loop, sound through pygame.mixer on SDL's dummy audio driver) playing a 科普大屏 pack whose
  playlist is that one film; every new picture's time and its distance from the audio clock
  are recorded by the player;
- the floor: a loop that only demuxes and decodes the same file with PyAV (same library,
  same FFmpeg threads, every frame, video and sound), no conversion, no display; its CPU is
  per second of film. `decode_only_cpu_pct` decodes paced by the film's clock (as far ahead
  as the kiosk's frame queue, asleep in between), as playback must; `decode_unpaced_cpu_pct`
  decodes flat out (warm caches, no wake-ups), with its ratio beside it;
- Chromium (/usr/bin/chromium, headless, fresh profile) playing the file in a <video>.

CPU and memory come from /proc (utime+stime, VmRSS) sampled during playback only, each
player in its own process. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]
sys.path.insert(0, str(REPO))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

SIZE = (1920, 1080)
FPS = 30
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
TICK = os.sysconf("SC_CLK_TCK")

PACK = """id = "bench-screen"
version = "1.0.0"
title = {{ zh = "视频基准", en = "Video benchmark" }}
topic = "custom"
audience = ["adults"]
languages = ["zh", "en"]

[signage]

[[signage.items]]
id = "film"
kind = "video"
video = "media/{name}"
"""


# -- /proc -----------------------------------------------------------------------------------


def cpu_seconds(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def family(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def tree(root: int) -> tuple[float, float]:
    """(CPU seconds, RSS MiB) of a process and all its descendants."""
    cpu = rss = 0.0
    for pid in family(root):
        try:
            cpu += cpu_seconds(pid)
            rss += rss_mib(pid)
        except (OSError, ValueError, IndexError):
            pass
    return cpu, rss


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


# -- the sample ------------------------------------------------------------------------------


def make_sample(folder: Path, seconds: float) -> Path:
    """1080p30 H.264 + AAC: the sample film's drawings, animated, at full HD."""
    sys.path.insert(0, str(REPO / "scripts"))
    import make_media
    import numpy as np

    from content_packs.mediawriter import AUDIO_RATE, write_video

    film = make_media.QUAKE
    soundtrack = film.sound(seconds)

    def sound(t):
        return soundtrack[np.minimum((t * AUDIO_RATE).astype(np.int64), len(soundtrack) - 1)]

    frames = itertools.islice(make_media.frames(film, SIZE), round(seconds * FPS))
    return write_video(folder / "film-1080p.mp4", frames, SIZE, fps=FPS, sound=sound, seconds=seconds, crf=20)


# -- the kiosk (child process) ---------------------------------------------------------------


def kiosk_child(pack: str, data: str, seconds: float) -> None:
    import kiosk.media
    from kiosk.runtime import RunOptions, run

    players = []
    samples: list[tuple[float, float, float]] = []
    made = kiosk.media.MediaDesk.player

    def player(self, *args, **kwargs):
        p = made(self, *args, **kwargs)
        p.stats.keep = True
        players.append(p)
        return p

    kiosk.media.MediaDesk.player = player  # type: ignore[method-assign]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            samples.append((time.monotonic(), cpu_seconds(), rss_mib()))

    threading.Thread(target=sample, daemon=True).start()
    run(RunOptions(data=Path(data), pack=Path(pack), size=SIZE, fps=60, max_seconds=seconds, audio=True))
    stop.set()
    first = players[0]
    stats = first.stats
    window = [s for s in samples if stats.shown_at[0] <= s[0] <= stats.shown_at[-1]]
    cpu = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])
    intervals = [(b - a) * 1000 for a, b in itertools.pairwise(stats.shown_at)]
    print(
        json.dumps(
            {
                "frames_shown": stats.shown,
                "frames_dropped_late": stats.dropped,
                "frame_interval_p50_ms": round(percentile(intervals, 0.5), 2),
                "frame_interval_p99_ms": round(percentile(intervals, 0.99), 2),
                "frame_interval_max_ms": round(max(intervals), 2),
                "av_drift_p50_ms": round(percentile([abs(d) * 1000 for d in stats.drift], 0.5), 2),
                "av_drift_p99_ms": round(percentile([abs(d) * 1000 for d in stats.drift], 0.99), 2),
                "frames_paced_by_audio": stats.audio_paced,
                "first_pts": round(stats.shown_pts[0], 3),
                "last_pts": round(stats.shown_pts[-1], 3),
                "dropped_late_pts": [round(t, 3) for t in stats.dropped_pts],
                "cpu_pct": round(cpu * 100, 1),
                "rss_mib": round(max(s[2] for s in window), 1),
                "played_s": round(stats.shown_at[-1] - stats.shown_at[0], 2),
            }
        )
    )


def run_kiosk(sample: Path, work: Path, seconds: float) -> dict:
    pack = work / "pack"
    (pack / "media").mkdir(parents=True)
    (pack / "media" / sample.name).write_bytes(sample.read_bytes())
    (pack / "pack.toml").write_text(PACK.format(name=sample.name), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(HERE), "--child-kiosk", str(pack), str(work / "data"), str(seconds + 4)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the floor: decode only (child process) --------------------------------------------------


def decode_child(path: str, paced: bool) -> None:
    """Demux and decode every packet of the file, video and sound, with PyAV (the kiosk's settings).

    Paced, the decoder keeps just ahead of the film's own clock (as far ahead as the kiosk's
    frame queue) and sleeps in between, as any player decoding for playback must: the CPU a
    film costs to decode while it plays, which is what the kiosk's playback is held against.
    Unpaced, it decodes as fast as it can (warm caches, no wake-ups): the lowest possible cost.
    """
    import av

    from kiosk.video import FRAME_QUEUE

    cpu0, wall0 = cpu_seconds(), time.monotonic()
    frames = 0
    with av.open(path) as container:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        streams = [video, *container.streams.audio[:1]]
        duration = float(video.duration * video.time_base)
        lead = FRAME_QUEUE / FPS
        for packet in container.demux(*streams):
            for frame in packet.decode():
                if packet.stream.index == video.index:
                    frames += 1
                    if paced and (ahead := wall0 + frame.time - lead - time.monotonic()) > 0:
                        time.sleep(ahead)
    cpu = cpu_seconds() - cpu0
    print(
        json.dumps(
            {
                "paced": paced,
                "frames": frames,
                "media_s": round(duration, 3),
                "cpu_s": round(cpu, 3),
                "wall_s": round(time.monotonic() - wall0, 3),
                "cpu_pct": round(cpu / duration * 100, 1),
                "rss_mib": round(rss_mib(), 1),
            }
        )
    )


def run_decode(sample: Path, paced: bool) -> dict:
    command = [sys.executable, str(HERE), "--child-decode", str(sample)] + (["--paced"] if paced else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- Chromium --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_chromium(sample: Path, work: Path, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    page_html = work / "video.html"
    page_html.write_text(
        f"<!doctype html><html><body style='margin:0;background:#000'>"
        f"<video id='v' src='{sample.as_uri()}' autoplay style='width:1920px;height:1080px'></video></body></html>",
        encoding="utf-8",
    )
    profile = tempfile.mkdtemp(prefix="kepu-bench-chromium-", dir=work)
    port = free_port()
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_ARGS,
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "--window-size=1920,1080",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as p:
            browser = None
            for _ in range(200):
                try:
                    browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                    break
                except Exception:
                    time.sleep(0.05)
            assert browser is not None, "chromium did not start"
            page = browser.contexts[0].new_page() if browser.contexts else browser.new_page()
            page.set_viewport_size({"width": SIZE[0], "height": SIZE[1]})
            can = page.evaluate(
                "() => document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.640028, mp4a.40.2\"')"
            )
            page.goto(page_html.as_uri())
            page.wait_for_function("() => document.getElementById('v').currentTime > 0.2", timeout=15000)
            samples = []
            started = time.monotonic()
            while time.monotonic() - started < seconds - 1.5:
                cpu, rss = tree(proc.pid)
                samples.append((time.monotonic(), cpu, rss))
                time.sleep(0.25)
            quality = page.evaluate(
                """() => { const v = document.getElementById('v'); const q = v.getVideoPlaybackQuality();
                   return {t: v.currentTime, err: v.error ? v.error.code : null,
                           total: q.totalVideoFrames, dropped: q.droppedVideoFrames}; }"""
            )
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    cpu = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
    return {
        "plays_h264": can in ("probably", "maybe") and quality["err"] is None and quality["t"] > 1.0,
        "can_play_type": can,
        "played_s": round(quality["t"], 2),
        "frames_total": quality["total"],
        "frames_dropped": quality["dropped"],
        "cpu_pct": round(cpu * 100, 1),
        "rss_mib": round(max(s[2] for s in samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=32.0, help="length of the film (≥ 30)")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kepu-bench-video-") as tmp:
        work = Path(tmp)
        t0 = time.monotonic()
        cache = REPO / ".cache" / f"bench-video-{args.seconds:g}s"
        sample = cache / "film-1080p.mp4"
        if not sample.is_file():  # reproducible, so made once per machine and kept out of git
            cache.mkdir(parents=True, exist_ok=True)
            make_sample(cache, args.seconds)
        made_s = time.monotonic() - t0
        size_bytes = sample.stat().st_size
        print(f"sample: {sample} {size_bytes / 1e6:.1f} MB, ready in {made_s:.0f} s", file=sys.stderr)
        kiosk = run_kiosk(sample, work, args.seconds)
        print(f"kiosk: {kiosk}", file=sys.stderr)
        floor = run_decode(sample, paced=True)
        print(f"decode only, paced: {floor}", file=sys.stderr)
        unpaced = run_decode(sample, paced=False)
        print(f"decode only, unpaced: {unpaced}", file=sys.stderr)
        browser = None if args.no_browser else run_chromium(sample, work, args.seconds)
        print(f"chromium: {browser}", file=sys.stderr)
    expected = floor["frames"]
    result = {
        "sample": {
            "width": SIZE[0],
            "height": SIZE[1],
            "fps": FPS,
            "seconds": args.seconds,
            "codec": "h264+aac",
            "mbit_s": round(size_bytes * 8 / args.seconds / 1e6, 2),
        },
        "frames_expected": expected,
        "frames_shown": kiosk["frames_shown"],
        "dropped_pct": round(max(0, expected - kiosk["frames_shown"]) / expected * 100, 2),
        "frame_interval_p99_ms": kiosk["frame_interval_p99_ms"],
        "av_drift_p99_ms": kiosk["av_drift_p99_ms"],
        "kiosk_cpu_pct": kiosk["cpu_pct"],
        "decode_only_cpu_pct": floor["cpu_pct"],
        "cpu_ratio_vs_decode_only": round(kiosk["cpu_pct"] / floor["cpu_pct"], 2),
        "decode_unpaced_cpu_pct": unpaced["cpu_pct"],
        "cpu_ratio_vs_decode_unpaced": round(kiosk["cpu_pct"] / unpaced["cpu_pct"], 2),
        "kiosk_rss_mib": kiosk["rss_mib"],
        "chromium_rss_mib": browser["rss_mib"] if browser else None,
        "rss_ratio_vs_chromium": round(kiosk["rss_mib"] / browser["rss_mib"], 3) if browser else None,
        "kiosk": kiosk,
        "decode_only": floor,
        "decode_unpaced": unpaced,
        "chromium": browser,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-kiosk":
        kiosk_child(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-decode":
        decode_child(sys.argv[2], paced="--paced" in sys.argv[3:])
    else:
        main()
