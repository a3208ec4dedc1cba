"""Kiosk speed and memory: pygame frame times per scene, RSS and cold start, against headless Chromium.

    .venv/bin/python benchmarks/kiosk.py [--frames 240] [--no-browser]

pygame runs with the dummy video driver at 1920×1080 (CPU rendering, as on a Pi without
a compositor). Chromium (/usr/bin/chromium, driven over CDP by playwright) shows the
equivalent static slide: the same picture, CJK title and body. Chromium's frame time is
the requestAnimationFrame interval with a small animation running (it is paced by its
compositor, so ~16.7 ms means "kept up"); pygame's is the measured cost of update+draw.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is called kiosk.py: keep its folder off the path so `import kiosk` finds the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

SIZE = (1920, 1080)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree_rss_mib(root: int) -> float:
    """RSS of a process and all its descendants (Chromium is many processes)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    family, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in family:
                family.add(child)
                frontier.append(child)
    total = 0.0
    for pid in family:
        try:
            total += rss_mib(pid)
        except OSError:
            pass
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- pygame ---------------------------------------------------------------------------


def cold_child(pack_dir: str, data_dir: str) -> None:
    """Child process: start the real kiosk path and report when the first attract frame is shown."""
    import pygame

    from content_packs import load_pack
    from kepu_contracts.clock import SystemClock
    from kepu_contracts.outbox import Outbox
    from kiosk.host import HostOptions, KioskHost
    from kiosk.packs import make_painter, pack_images
    from kiosk.recorder import Recorder

    pygame.init()
    screen = pygame.display.set_mode(SIZE)
    pack = load_pack(pack_dir)
    painter = make_painter(pack).warm()
    painter.preload(pack_images(pack)[:1])
    clock = SystemClock()
    outbox = Outbox(Path(data_dir) / "outbox.db")
    recorder = Recorder(outbox, clock)
    host = KioskHost(Path(data_dir), pack, painter, recorder, clock, SIZE, options=HostOptions(audio=False)).start()
    host.tick(0.0)
    host.app.draw(screen)
    pygame.display.flip()
    print(json.dumps({"first_frame": time.time(), "rss_mib": rss_mib()}), flush=True)
    host.stop()
    recorder.close()
    outbox.close()


def pygame_cold_start(pack_dir: Path) -> dict:
    with tempfile.TemporaryDirectory() as data:
        started = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--cold-child", str(pack_dir), data],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    line = json.loads(out.stdout.strip().splitlines()[-1])
    return {"cold_start_s": round(line["first_frame"] - started, 3), "rss_first_frame_mib": round(line["rss_mib"], 1)}


def pygame_frames(pack_dir: Path, frames: int) -> dict:
    import pygame

    from content_packs import load_pack
    from kiosk.gallery import Tour
    from kiosk.packs import prepare

    pygame.init()
    screen = pygame.display.set_mode(SIZE)
    pack = load_pack(pack_dir)
    painter = prepare(pack)
    tour = Tour(pack, SIZE, "zh", painter=painter)
    per_scene: dict[str, dict] = {}
    wanted = {"attract", "home", "slides", "hotspots-open", "quiz-answered", "rating", "warning", "emergency"}
    for step in tour.steps():
        if step not in wanted:
            continue
        times = []
        for _ in range(frames):
            t0 = time.perf_counter()
            tour.app.update(1 / 60)  # the app's frame: update + draw (the clock does not move: no idle reset)
            tour.app.draw(screen)
            pygame.display.flip()
            times.append((time.perf_counter() - t0) * 1000)
        per_scene[step] = {"p50_ms": round(percentile(times, 0.5), 2), "p99_ms": round(percentile(times, 0.99), 2)}
    return {"frame_ms": per_scene, "rss_after_mib": round(rss_mib(), 1)}


# -- chromium ---------------------------------------------------------------------------


def slide_html(pack_dir: Path) -> str:
    picture = base64.b64encode((pack_dir / "media" / "drop.png").read_bytes()).decode()
    return f"""<!doctype html><html lang="zh"><meta charset="utf-8"><style>
body {{ margin: 0; width: 1920px; height: 1080px; background: #f7f4ec; font-family: 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif; color: #212529; }}
.bar {{ height: 124px; background: #fff; border-bottom: 2px solid #d2ccbe; }}
.slide {{ display: flex; gap: 43px; padding: 43px; height: 780px; }}
.slide img {{ width: 960px; height: 640px; object-fit: contain; }}
h1 {{ font-size: 67px; margin: 0 0 22px; }} p {{ font-size: 40px; line-height: 1.35; margin: 0; }}
.dot {{ width: 20px; height: 20px; border-radius: 10px; background: #006e8c; position: absolute; left: 950px; top: 1000px; animation: pulse 1s infinite alternate; }}
@keyframes pulse {{ from {{ transform: scale(1); }} to {{ transform: scale(1.4); }} }}
</style><div class="bar"></div><div class="slide"><img src="data:image/png;base64,{picture}"><div>
<h1>伏地</h1><p>感到摇晃时，立刻趴下，降低重心，防止摔倒。不要慌张地往外跑，也不要乘坐电梯。</p></div></div><div class="dot"></div></html>"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium(pack_dir: Path, frames: int) -> dict:
    from playwright.sync_api import sync_playwright

    html = Path(tempfile.mkdtemp()) / "slide.html"
    html.write_text(slide_html(pack_dir), encoding="utf-8")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="kepu-bench-chromium-")
    started = time.time()
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
            page.goto(html.as_uri())
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            cold = time.time() - started
            intervals = page.evaluate(
                """(n) => new Promise(resolve => { const out = []; let last = performance.now();
                   function tick(now) { out.push(now - last); last = now; if (out.length < n) requestAnimationFrame(tick); else resolve(out); }
                   requestAnimationFrame(tick); })""",
                frames,
            )[1:]
            rss = tree_rss_mib(proc.pid)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "cold_start_s": round(cold, 3),
        "frame_ms": {
            "slide": {"p50_ms": round(percentile(intervals, 0.5), 2), "p99_ms": round(percentile(intervals, 0.99), 2)}
        },
        "rss_mib": round(rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--cold-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        cold_child(*args.cold_child)
        return
    import pygame

    pygame.init()
    from kiosk.showcase import write_showcase_pack

    pack_dir = write_showcase_pack(Path(tempfile.mkdtemp(prefix="kepu-bench-")) / "showcase")
    result: dict = {"benchmark": "kiosk", "size": f"{SIZE[0]}x{SIZE[1]}", "driver": os.environ["SDL_VIDEODRIVER"]}
    cold = pygame_cold_start(pack_dir)
    frames = pygame_frames(pack_dir, args.frames)
    result["pygame"] = {**cold, **frames}
    for scene, figures in frames["frame_ms"].items():
        print(f"pygame  {scene:14s} p50 {figures['p50_ms']:7.2f} ms   p99 {figures['p99_ms']:7.2f} ms")
    print(
        f"pygame  cold start to first attract frame {cold['cold_start_s']:.2f} s, RSS {cold['rss_first_frame_mib']:.0f} MiB (after all scenes {frames['rss_after_mib']:.0f} MiB)"
    )
    if not args.no_browser and Path(CHROMIUM).exists():
        try:
            browser = chromium(pack_dir, args.frames)
        except Exception as exc:  # report, do not hide the pygame figures
            result["chromium"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        else:
            result["chromium"] = browser
            slide = frames["frame_ms"]["slides"]
            result["ratios"] = {
                "cold_start_chromium_over_pygame": round(browser["cold_start_s"] / max(cold["cold_start_s"], 1e-6), 2),
                "rss_chromium_over_pygame": round(browser["rss_mib"] / max(cold["rss_first_frame_mib"], 1e-6), 2),
                "slide_frame_p50_chromium_over_pygame": round(
                    browser["frame_ms"]["slide"]["p50_ms"] / max(slide["p50_ms"], 1e-6), 2
                ),
            }
            print(
                f"chromium slide p50 {browser['frame_ms']['slide']['p50_ms']:.2f} ms (rAF interval), cold start {browser['cold_start_s']:.2f} s, RSS {browser['rss_mib']:.0f} MiB"
            )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
