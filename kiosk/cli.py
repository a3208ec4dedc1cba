"""`kepu-kiosk`: run the exhibit, preview a pack, or simulate visitors headlessly."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from content_packs import PackError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if not (160 <= w <= 8192 and 160 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r} is out of range")
    return w, h


def _calibration(text: str):
    from kiosk.touch import Calibration

    try:
        return Calibration.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instant(text: str) -> float:
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"time must be ISO 8601 like 2026-11-01T09:00+08:00, got {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {text}+08:00") from None
    return moment.timestamp()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kepu-kiosk", description="The visitor-facing exhibit runtime.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the exhibit full screen", description="Run the exhibit on this display.")
    run.add_argument("--data", type=Path, required=True, help="exhibit data directory (outbox.db, packs/current, …)")
    run.add_argument("--pack", type=Path, help="play this pack folder instead of DATA/packs/current")
    run.add_argument("--size", type=_size, help="window size WxH (default: full screen)")
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    run.add_argument(
        "--fullscreen",
        action="store_true",
        help="full screen, kiosk mode (the default without --size; with --size: that video mode)",
    )
    run.add_argument("--config", type=Path, help="kiosk settings file (TOML, [kiosk] table; e.g. /etc/kepu/kiosk.toml)")
    run.add_argument("--idle", type=float, help="seconds without a touch before the reset (default 60)")
    run.add_argument("--dpi", type=float, help="screen DPI, for 9 mm touch targets (default 110)")
    run.add_argument("--lang", choices=["zh", "en"], help="language a new visitor starts in (default zh)")
    run.add_argument(
        "--rotate",
        type=int,
        choices=[0, 90, 180, 270],
        help="turn the picture this many degrees clockwise on the panel (portrait cabinets; default 0)",
    )
    run.add_argument(
        "--touch-calibration",
        type=_calibration,
        help="touch panel mapping: 'x_min,x_max,y_min,y_max' or six affine numbers 'a,b,c,d,e,f' (normalised)",
    )
    run.add_argument(
        "--renderer", choices=["auto", "gpu", "software"], help="how frames reach the panel (default auto: gpu if any)"
    )

    preview = sub.add_parser(
        "preview",
        help="preview a pack folder in a window",
        description="Open a pack folder in a window with a debug overlay; reloads when a file changes.",
    )
    preview.add_argument("dir", type=Path, help="the pack source folder (with pack.toml)")
    preview.add_argument("--size", type=_size, default=(1280, 720), help="window size WxH (default 1280x720)")
    preview.add_argument("--data", type=Path, help="where preview events go (default: a temporary folder)")
    preview.add_argument("--idle", type=float, default=60.0, help="idle reset in seconds")
    preview.add_argument("--seconds", type=float, help="close after this many seconds")

    sim = sub.add_parser(
        "simulate",
        help="headless simulated visitors",
        description="Drive the real kiosk code with synthetic visitors, headless; prints a JSON summary as its last line.",
    )
    sim.add_argument(
        "--pack",
        type=Path,
        required=True,
        help="pack folder (with --live: the fallback when DATA/packs/current does not exist)",
    )
    sim.add_argument("--data", type=Path, required=True, help="exhibit data directory (events go to DATA/outbox.db)")
    sim.add_argument("--sessions", type=int, default=100, help="visits to simulate (0 with --live: forever)")
    sim.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same visits")
    sim.add_argument("--screenshots", type=Path, help="save a PNG of each distinct screen here")
    sim.add_argument("--size", type=_size, default=(1920, 1080), help="screen size WxH (default 1920x1080)")
    sim.add_argument("--lang", choices=["zh", "en"], help="language visitors start in")
    sim.add_argument("--idle", type=float, default=60.0, help="idle reset in seconds")
    sim.add_argument(
        "--live",
        action="store_true",
        help="real time, as an exhibit: plays DATA/packs/current (else --pack), writes kiosk.json, follows control.json and screenshot requests (the demo)",
    )
    sim.add_argument(
        "--mean-gap", type=float, default=None, help="mean seconds between visitors (default 20; 0 in fast mode)"
    )
    sim.add_argument(
        "--think", type=float, default=None, help="max seconds a visitor thinks between touches (default 9)"
    )
    sim.add_argument(
        "--start",
        type=_instant,
        help="backfill history: visits from this time (ISO 8601, e.g. 2026-11-01T09:00+08:00); fast mode only",
    )
    sim.add_argument("--until", type=_instant, help="with --start: stop at this time (default: now)")
    sim.add_argument("--opening", default="9-21", help="with --start: local opening hours as OPEN-CLOSE (default 9-21)")
    sim.add_argument(
        "--timezone", default="Asia/Shanghai", help="with --start: the venue's time zone (default Asia/Shanghai)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "simulate":
            return _simulate(args)
        from kiosk.app import KioskConfig
        from kiosk.runtime import RunOptions, run

        if args.command == "run":
            from kiosk.settings import KioskSettings, SettingsError, load_settings

            try:
                settings = load_settings(args.config) if args.config else KioskSettings()
            except SettingsError as exc:
                print(f"kepu-kiosk: {exc}", file=sys.stderr)
                return 2
            settings = settings.merged(
                idle=args.idle,
                dpi=args.dpi,
                lang=args.lang,
                rotation=args.rotate,
                calibration=args.touch_calibration,
                renderer=args.renderer,
            )
            return run(
                RunOptions(
                    data=args.data,
                    pack=args.pack,
                    size=args.size,
                    fullscreen=args.fullscreen or (not args.windowed and args.size is None),
                    config=KioskConfig(idle_timeout=settings.idle, dpi=settings.dpi, default_lang=settings.lang),
                    rotation=settings.rotation,
                    calibration=settings.calibration,
                    renderer=settings.renderer,
                    touch_filter=settings.touch,
                )
            )
        if args.command == "preview":
            import tempfile

            data = args.data or Path(tempfile.mkdtemp(prefix="kepu-preview-"))
            return run(
                RunOptions(
                    data=data,
                    pack=args.dir,
                    size=args.size,
                    config=KioskConfig(idle_timeout=args.idle),
                    debug_overlay=True,
                    watch=True,
                    max_seconds=args.seconds,
                )
            )
    except PackError as exc:
        print(f"kepu-kiosk: the pack cannot be used:\n{exc}", file=sys.stderr)
        return 2
    return 1


def _simulate(args: argparse.Namespace) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from kiosk.app import KioskConfig
    from kiosk.simulate import VisitingCalendar, simulate
    from kiosk.visitors import VisitorProfile

    calendar = None
    if args.start is not None:
        if args.live:
            print("kepu-kiosk: --start backfills history and cannot be combined with --live", file=sys.stderr)
            return 2
        try:
            opens, closes = (int(h) for h in args.opening.split("-"))
            assert 0 <= opens < closes <= 24
        except (ValueError, AssertionError):
            print(f"kepu-kiosk: --opening must look like 9-21, got {args.opening!r}", file=sys.stderr)
            return 2
        import time as _time

        calendar = VisitingCalendar(args.start, args.until or _time.time(), opens, closes, args.timezone)

    profile = VisitorProfile()
    if args.think is not None:
        profile = VisitorProfile(think_min=min(1.0, args.think / 2), think_max=args.think)
    mean_gap = args.mean_gap if args.mean_gap is not None else (20.0 if args.live else 0.0)
    warning = min(15.0, args.idle / 3)
    result = simulate(
        args.pack,
        args.data,
        None if ((args.live or calendar) and args.sessions == 0) else args.sessions,
        seed=args.seed,
        size=args.size,
        config=KioskConfig(idle_timeout=args.idle, warning=warning),
        live=args.live,
        screenshots=args.screenshots,
        lang=args.lang,
        profile=profile,
        mean_gap=mean_gap,
        calendar=calendar,
    )
    print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
