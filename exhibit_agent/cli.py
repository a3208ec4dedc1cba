"""`kepu-agent`: argument parsing only; everything else lives in the library."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from exhibit_agent import __version__
from exhibit_agent.config import ConfigError, load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kepu-agent", description="The kepu exhibit agent (runs on the exhibit's Pi)."
    )
    parser.add_argument("--version", action="version", version=f"kepu-agent {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run the agent until SIGTERM/SIGINT",
        description="Drain the outbox to MQTT, reconcile to the desired state, report health.",
    )
    run.add_argument("--config", help="TOML config file (flags override it)")
    run.add_argument("--exhibit", help="exhibit id, e.g. ex-quake-01")
    run.add_argument("--mqtt", help="broker URL, mqtt://[user:pass@]host[:port]")
    run.add_argument("--controller", help="controller base URL for manifests and blobs, http://host:port")
    run.add_argument(
        "--controller-token",
        dest="controller_token",
        help="the device's API token (from kepu-controller enroll), sent with uploads",
    )
    run.add_argument("--data", help="data directory (outbox.db, packs/, control.json, kiosk.json)")
    run.add_argument("--username", help="MQTT username (default: from config or URL)")
    run.add_argument("--password", help="MQTT password (prefer mqtt.password_file in the config)")
    run.add_argument("--serial", dest="serial_device", help="serial device of the door counter / buttons")
    run.add_argument("--health-interval", dest="health_interval", type=float, help="seconds between health messages")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log verbosity")
    check = sub.add_parser(
        "check-config",
        help="validate a config file and print the effective settings",
        description="Validate the TOML config (and flags) without connecting to anything.",
    )
    check.add_argument("--config", required=True, help="TOML config file")
    return parser


_OVERRIDES = (
    "exhibit",
    "mqtt",
    "controller",
    "controller_token",
    "data",
    "username",
    "password",
    "serial_device",
    "health_interval",
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {name: getattr(args, name, None) for name in _OVERRIDES}
    try:
        config = load_config(args.config, overrides)
    except ConfigError as exc:
        print(f"kepu-agent: {exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        shown = {k: v for k, v in vars(config).items() if k != "password"}
        for key, value in shown.items():
            print(f"{key} = {value}")
        return 0
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from exhibit_agent.agent import Agent

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    agent = Agent(config)
    agent.run(stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
