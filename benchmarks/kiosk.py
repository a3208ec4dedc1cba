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
import threading
import time
from dataclasses import dataclass
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


# -- CPU budget and touch-to-photon latency: the real frame loop (kiosk.runtime.run) ---------


@dataclass(frozen=True)
class ScreenVisit:
    """A screen to measure: how to get there from the one before (taps by target name, or a step)."""

    name: str
    taps: tuple[str, ...] = ()
    step: str | None = None  # "emergency_on" / "emergency_off": written to DATA/control.json
    wait_still: bool = False  # measure once the screen stopped animating (its resting state)


def budget_visits(pack) -> list[ScreenVisit]:
    """attract, home, slides, quiz, hotspots (pulsing, then at rest), rating, emergency, then EXTRA_SCREENS."""
    from content_packs.model import HotspotsScene, QuizScene, RatingScene, SlidesScene

    def first(kind) -> str | None:
        return next((s.id for s in pack.scenes if isinstance(s, kind)), None)

    visits = [ScreenVisit("attract"), ScreenVisit("home", ("start",))]
    for name, kind in (("slides", SlidesScene), ("quiz", QuizScene), ("hotspots", HotspotsScene)):
        if scene := first(kind):
            visits.append(ScreenVisit(f"{name}-pulsing" if name == "hotspots" else name, (f"scene:{scene}",)))
            if name == "hotspots":
                visits.append(ScreenVisit("hotspots", (), wait_still=True))
            visits.append(ScreenVisit("", ("chrome:home",)))  # back home, not measured
    if scene := first(RatingScene):
        visits.append(ScreenVisit("rating", (f"scene:{scene}",)))
        visits.append(ScreenVisit("", ("chrome:home",)))
    for extra in EXTRA_SCREENS:
        visits.extend(extra(pack))
    visits.append(ScreenVisit("emergency", step="emergency_on"))
    return visits


# Hook for screens added later (the video scene): callables pack -> [ScreenVisit, ...]. They start
# on the home screen of a visit and should end there, e.g.
#   lambda pack: [ScreenVisit("video", ("scene:<video id>",)), ScreenVisit("", ("chrome:home",))]
# A screen that moves by design (a playing video) also goes into ANIMATED.
EXTRA_SCREENS: list = []
# Screens that move by design: left out of cpu_pct_static_max, frame p99 checked instead.
ANIMATED = {"attract", "hotspots-pulsing"}


class LoopWatch:
    """Sees every presented frame of the running loop (called from it, read by the driver thread)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.frames: list[tuple[float, tuple]] = []
        self.app = None

    def __call__(self, app, t: float) -> None:
        with self.cond:
            self.app = app
            # Without the motion (the last item): a tap must change what is shown, not just move on.
            self.frames.append((t, app.frame_key()[:-1]))
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float):
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self), timeout)


def budget_child(pack_dir: str, data_dir: str, seconds: float, taps: int) -> None:
    """Child process: the real loop at 1920×1080, a driver thread touching it; prints one JSON line."""
    import pygame

    from content_packs import load_pack
    from kepu_contracts.datadir import write_json_atomic as write_atomic
    from kiosk.app import KioskConfig
    from kiosk.runtime import RunOptions, run
    from kiosk.touch import finger_event

    watch = LoopWatch()
    data = Path(data_dir)
    pack = load_pack(pack_dir)
    out: dict = {"cpu_pct_per_screen": {}, "touch_latency_ms": []}

    def touch(name: str) -> float:
        """Finger down on the target's centre, lift 60 ms later; returns when it lifted."""
        app = watch.app
        target = next((t for t in app.targets() if t.name == name), None)
        if target is None:
            raise LookupError(f"no target {name!r} on {app.state_key()}")
        pygame.event.post(finger_event("down", *target.rect.center, app.size))
        time.sleep(0.06)  # a human tap; shorter ones are filtered as ghosts
        lifted = time.perf_counter()
        pygame.event.post(finger_event("up", *target.rect.center, app.size))
        return lifted

    def tap_and_time(name: str) -> float:
        """ms from the finger lifting to the first presented frame that differs."""
        with watch.cond:
            before = watch.frames[-1][1]
        lifted = touch(name)
        ok = watch.wait_for(lambda w: w.frames[-1][0] > lifted and w.frames[-1][1] != before, 5)
        if not ok:
            raise RuntimeError(f"tapping {name!r} changed nothing on screen")
        with watch.cond:
            shown = next(t for t, key in watch.frames if t > lifted and key != before)
        return (shown - lifted) * 1000

    def measure(name: str) -> None:
        time.sleep(0.5)  # the screen's first frames (and image scaling) are not its steady state
        c0, w0 = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        cpu = (time.process_time() - c0) / (time.perf_counter() - w0) * 100
        out["cpu_pct_per_screen"][name] = round(cpu, 2)

    def drive() -> None:
        try:
            if not watch.wait_for(lambda w: w.app is not None, 30):
                raise RuntimeError("no first frame")
            for visit in budget_visits(pack):
                for name in visit.taps:
                    tap_and_time(name)
                if visit.step == "emergency_on":
                    write_atomic(
                        data / "control.json",
                        {
                            "emergency": {
                                "id": "em-bench",
                                "message": {
                                    "zh": "演习：请听从工作人员指挥。",
                                    "en": "Drill: please follow staff instructions.",
                                },
                            }
                        },
                    )
                    if not watch.wait_for(lambda w: w.app.mode == "emergency", 5):
                        raise RuntimeError("the emergency did not show")
                if visit.wait_still and not wait_until(lambda: not watch.app.animating(), 30):
                    raise RuntimeError(f"{visit.name} never came to rest")
                if visit.name:
                    out.setdefault("order", []).append(visit.name)
                    measure(visit.name)
            write_atomic(data / "control.json", {"emergency": None})
            if not watch.wait_for(lambda w: w.app.mode == "attract", 5):
                raise RuntimeError("the emergency did not clear")
            # Touch-to-photon: language switches on home, pages forward and back on slides.
            tap_and_time("start")
            for _ in range(taps):
                out["touch_latency_ms"].append(tap_and_time("chrome:lang"))
                time.sleep(0.1)
        except Exception as exc:  # reported in the JSON, the loop still stops
            out["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    def wait_until(predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    driver = threading.Thread(target=drive, name="bench-driver", daemon=True)
    driver.start()
    run(
        RunOptions(
            data=data,
            pack=Path(pack_dir),
            size=SIZE,
            config=KioskConfig(idle_timeout=3600, warning=15),
            audio=False,
            max_seconds=600,
            on_present=watch,
        )
    )
    driver.join(timeout=5)
    out["renderer"] = json.loads((data / "kiosk.json").read_text()).get("renderer")
    print(json.dumps(out), flush=True)


def pygame_budget(pack_dir: Path, seconds: float, taps: int) -> dict:
    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run(
            [sys.executable, __file__, "--budget-child", str(pack_dir), data, str(seconds), str(taps)],
            capture_output=True,
            text=True,
            timeout=900,
        )
    if out.returncode != 0:
        raise RuntimeError(f"budget child failed: {out.stderr[-1500:]}")
    line = json.loads(out.stdout.strip().splitlines()[-1])
    if "error" in line:
        raise RuntimeError(line["error"])
    per_screen = line["cpu_pct_per_screen"]
    static = {k: v for k, v in per_screen.items() if k not in ANIMATED}
    latencies = line["touch_latency_ms"]
    return {
        "cpu_pct_per_screen": per_screen,
        "cpu_pct_static_max": max(static.values()) if static else None,
        "touch_latency_p50_ms": round(percentile(latencies, 0.5), 2),
        "touch_latency_p99_ms": round(percentile(latencies, 0.99), 2),
        "renderer": line.get("renderer"),
    }


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
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of CPU measured per screen")
    parser.add_argument("--taps", type=int, default=30, help="touches timed for touch-to-photon latency")
    parser.add_argument("--cold-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--budget-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        cold_child(*args.cold_child)
        return
    if args.budget_child:
        pack, data, seconds, taps = args.budget_child
        budget_child(pack, data, float(seconds), int(taps))
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
    budget = pygame_budget(pack_dir, args.seconds, args.taps)
    result["cpu_pct_per_screen"] = budget["cpu_pct_per_screen"]
    result["cpu_pct_static_max"] = budget["cpu_pct_static_max"]
    result["touch_latency_p99_ms"] = budget["touch_latency_p99_ms"]
    result["touch_latency_p50_ms"] = budget["touch_latency_p50_ms"]
    result["renderer"] = budget["renderer"]
    for screen, pct in budget["cpu_pct_per_screen"].items():
        print(
            f"pygame  {screen:16s} CPU {pct:6.2f} % of a core, untouched{' (animated)' if screen in ANIMATED else ''}"
        )
    print(
        f"pygame  touch to photon p50 {budget['touch_latency_p50_ms']:.1f} ms  p99 {budget['touch_latency_p99_ms']:.1f} ms"
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
