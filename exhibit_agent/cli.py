"""`kepu-agent`: argument parsing only; everything else lives in the library."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

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

    usb = sub.add_parser(
        "install-from",
        help="install signed .kpack files from a folder (a USB stick) through the normal verified path",
        description="Install every .kpack in DIR (and DIR/kepu, DIR/kepu/packs): signature, manifest and every"
        " file checked, staged, switched atomically, confirmed by the kiosk or rolled back. Unsigned,"
        " foreign-key and downgraded packs are refused. The agent does this by itself when a stick with a"
        " kepu/ folder is mounted.",
    )
    usb.add_argument("dir", metavar="DIR", type=Path, help="folder holding .kpack files")
    usb.add_argument("--config", help="the agent's TOML config (gives data and trusted_keys)")
    usb.add_argument("--data", type=Path, help="the exhibit's data directory")
    usb.add_argument("--trusted-key", dest="trusted_keys", action="append", default=[], help="trusted public key")
    usb.add_argument("--kiosk-timeout", type=float, default=60.0, help="seconds for the kiosk to confirm the pack")

    export = sub.add_parser(
        "export-outbox",
        help="write the outbox's unacknowledged events to a sealed file (a USB round trip)",
        description="Write every event not yet acknowledged by the controller to DIR/<exhibit>-<time>.kout,"
        " sealed with the exhibit's device token (HMAC-SHA256), for `kepu-controller import`. Rows stay in"
        " the outbox until the controller's ack comes back (ack file or MQTT).",
    )
    export.add_argument("dir", metavar="DIR", type=Path, help="where to write the file (e.g. /media/usb/kepu/outbox)")
    export.add_argument("--config", help="the agent's TOML config (may stand in for the flags)")
    export.add_argument("--data", type=Path, help="the exhibit's data directory")
    export.add_argument("--exhibit", help="exhibit id")
    export.add_argument("--token-file", type=Path, help="file with the device token (default: from the config)")

    acks = sub.add_parser(
        "apply-acks",
        help="delete outbox rows that ack files from the controller confirm",
        description="Read *.kack files in DIR (and DIR/kepu/acks), check they are sealed with this exhibit's"
        " token, and delete the rows they acknowledge.",
    )
    acks.add_argument("dir", metavar="DIR", type=Path, help="folder holding .kack files")
    acks.add_argument("--config", help="the agent's TOML config (may stand in for the flags)")
    acks.add_argument("--data", type=Path, help="the exhibit's data directory")
    acks.add_argument("--exhibit", help="exhibit id")
    acks.add_argument("--token-file", type=Path, help="file with the device token (default: from the config)")
    return parser


def _offline_settings(args: argparse.Namespace) -> dict:
    """data, exhibit, token, trusted keys from --config and/or flags (no broker needed for USB work)."""
    out: dict = {"data": None, "exhibit": None, "token": None, "trusted_keys": list(getattr(args, "trusted_keys", []))}
    if args.config:
        config = load_config(args.config)
        out.update(data=config.data, exhibit=config.exhibit, token=config.controller_token)
        out["trusted_keys"] += list(config.trusted_keys)
    if getattr(args, "data", None):
        out["data"] = args.data
    if getattr(args, "exhibit", None):
        out["exhibit"] = args.exhibit
    token_file = getattr(args, "token_file", None)
    if token_file:
        try:
            out["token"] = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read --token-file {token_file}: {exc.strerror}") from None
    if not out["data"]:
        raise ConfigError("give --data DATA (the exhibit's data directory) or --config FILE")
    return out


def usb_command(args: argparse.Namespace) -> int:
    import time

    from exhibit_agent.agent import trusted_key_items
    from exhibit_agent.sneakernet.export import ExportError, apply_acks, export_outbox
    from exhibit_agent.sneakernet.install import install_from

    settings = _offline_settings(args)
    if args.command == "install-from":
        if not settings["trusted_keys"]:
            raise ConfigError("no trusted keys: give --trusted-key FILE or a config with trusted_keys")
        try:
            results = install_from(
                args.dir, settings["data"], trusted_key_items(tuple(settings["trusted_keys"])), args.kiosk_timeout
            )
        except FileNotFoundError as exc:
            raise ConfigError(str(exc)) from None
        if not results:
            print(f"no .kpack files in {args.dir}")
            return 1
        for r in results:
            print(r.line())
        return 0 if all(r.outcome.result == "ok" for r in results) else 3
    if not settings["exhibit"]:
        raise ConfigError("give --exhibit ID or --config FILE")
    try:
        if args.command == "export-outbox":
            done = export_outbox(settings["data"], settings["exhibit"], settings["token"], args.dir, time.time())
            if done.path is None:
                print("nothing to export: every event has been acknowledged")
            else:
                print(f"wrote {done.path} ({done.events} events, {done.footfall} footfall)")
            if done.skipped:
                print(f"{done.skipped} footfall rows recorded in transit stay in the outbox (no venue)")
            return 0
        deleted, problems = apply_acks(args.dir, settings["data"], settings["exhibit"], settings["token"])
    except ExportError as exc:
        raise ConfigError(str(exc)) from None
    for problem in problems:
        print(f"refused {problem}", file=sys.stderr)
    print(f"{deleted} acknowledged rows left the outbox")
    return 0 if not problems else 3


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
    if args.command in ("install-from", "export-outbox", "apply-acks"):
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        try:
            return usb_command(args)
        except ConfigError as exc:
            print(f"kepu-agent: {exc}", file=sys.stderr)
            return 2
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
