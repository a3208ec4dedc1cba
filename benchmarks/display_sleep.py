"""The kiosk's CPU with the display on and off (control.json `display`), on the real frame loop.

    .venv/bin/python benchmarks/display_sleep.py [--seconds 6]

Runs `kepu-kiosk run` (dummy video driver, 1280×720, the showcase pack) twice, lit and
dark, and measures its CPU over the last `--seconds` after a warm-up (pack load and
first frames excluded) from /proc. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

WARMUP = 3.0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(display_on: bool, seconds: float, work: Path) -> dict:
    from kepu_contracts.control import write_control
    from kiosk.showcase import write_showcase_pack

    data = work / ("lit" if display_on else "dark")
    (data / "packs").mkdir(parents=True)
    pack = write_showcase_pack(work / f"pack-{data.name}" / "showcase-1.0.0")
    (data / "packs" / "current").symlink_to(pack)
    write_control(data / "control.json", None, {}, time.time(), display_on=display_on)
    code = (
        "import sys; from kiosk.runtime import RunOptions, run; from pathlib import Path;"
        f"sys.exit(run(RunOptions(data=Path({str(data)!r}), size=(1280, 720), fps=30,"
        f" max_seconds={WARMUP + seconds + 1}, audio=False)))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(_HERE.parent)})
    time.sleep(WARMUP)
    c0, t0 = cpu_seconds(proc.pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(proc.pid), time.monotonic()
    proc.wait(60)
    beat = json.loads((data / "kiosk.json").read_text())
    return {"cpu_pct": round(100 * (c1 - c0) / (t1 - t0), 2), "fps": beat.get("fps")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    import pygame

    pygame.init()
    with tempfile.TemporaryDirectory() as tmp:
        lit = measure(True, args.seconds, Path(tmp))
        dark = measure(False, args.seconds, Path(tmp))
    print(
        json.dumps(
            {
                "lit_cpu_pct": lit["cpu_pct"],
                "dark_cpu_pct": dark["cpu_pct"],
                "lit_fps": lit["fps"],
                "dark_fps": dark["fps"],
                "seconds": args.seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
