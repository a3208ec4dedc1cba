"""`kepu-controller`: a thin shell over the library — parses arguments, prints results, turns errors into messages."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from controller.errors import DomainError

log = logging.getLogger("controller.cli")


BROKER_PID_FILES = (Path("/run/mosquitto/mosquitto.pid"), Path("/var/run/mosquitto.pid"))


def reload_broker(pid_file: Path | None) -> str:
    """SIGHUP the broker so it rereads passwd and acl; say what happened, or what to do instead."""
    candidates = [pid_file] if pid_file else [p for p in BROKER_PID_FILES if p.exists()]
    for path in candidates:
        try:
            pid = int(path.read_text().split()[0])
            os.kill(pid, signal.SIGHUP)
        except (OSError, ValueError, IndexError) as exc:
            reason = f"{path}: {exc.strerror if isinstance(exc, OSError) else 'no pid in it'}"
            break
        return f"reloaded (SIGHUP to pid {pid} from {path})"
    else:
        reason = "no Mosquitto pid file found"
    return (
        f"not reloaded ({reason}): run `systemctl reload mosquitto` or send SIGHUP to Mosquitto"
        " before the exhibit logs in"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kepu-controller", description="The kepu controller: API, dashboard, MQTT ingest."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="run the API, dashboard and MQTT ingest", description="Run the controller service."
    )
    serve.add_argument(
        "--data", required=True, type=Path, help="directory for the database, admin token and broker files"
    )
    serve.add_argument(
        "--mqtt",
        default=None,
        help="broker URL without the password, e.g. mqtt://kepu-controller@127.0.0.1:1883"
        " (or env KEPU_MQTT_URL, which may hold the password: argv is visible to every user in `ps`)",
    )
    serve.add_argument(
        "--mqtt-password-file",
        type=Path,
        default=None,
        help="file holding the broker password (e.g. DATA/mosquitto/controller.password)",
    )
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--admin-token", default=None, help="admin API token (or env KEPU_ADMIN_TOKEN; generated if neither)"
    )
    serve.add_argument(
        "--public-base", default=None, help="base URL exhibits use to fetch packs (default http://HOST:PORT)"
    )
    serve.add_argument(
        "--timezone", default=None, help="time zone of opening hours and reports (default Asia/Shanghai)"
    )
    serve.add_argument(
        "--trusted-key", action="append", type=Path, default=[], help="public key that may sign packs (repeatable)"
    )
    serve.add_argument(
        "--allow-self-approval",
        action="store_true",
        help="let the uploader of a pack version also approve it (default: another reviewer must)",
    )

    enroll = sub.add_parser(
        "enroll",
        help="register an exhibit and create its device credentials",
        description="Enroll an exhibit: MQTT password, ACL, API token.",
    )
    enroll.add_argument("exhibit", metavar="ID", help="exhibit id, e.g. ex-quake-01")
    enroll.add_argument("--data", required=True, type=Path, help="the controller's data directory")
    enroll.add_argument("--name", default="", help="display name")
    enroll.add_argument("--region", default="", help="owning region path province/city/district/community")
    enroll.add_argument(
        "--broker-pid-file",
        type=Path,
        default=None,
        help="Mosquitto's pid file, to reload it (SIGHUP) so the exhibit can log in at once"
        f" (default: the first of {', '.join(str(p) for p in BROKER_PID_FILES)} that exists)",
    )

    again = sub.add_parser(
        "reattribute",
        help="re-attribute stored events to the itineraries as they stand and rebuild the rollups",
        description="Repair: every stored event (of the given exhibits, or all) gets the venue its exhibit's stays say,"
        " and the rollups are rebuilt from raw events. Stay changes through the API do this by themselves.",
    )
    again.add_argument("--data", required=True, type=Path, help="the controller's data directory")
    again.add_argument("--exhibit", action="append", default=None, help="only this exhibit (repeatable)")
    again.add_argument(
        "--timezone", default=None, help="the controller's time zone (default Asia/Shanghai or KEPU_TIMEZONE)"
    )

    imp = sub.add_parser(
        "import",
        help="ingest an exhibit's outbox export (.kout from a USB stick), idempotently",
        description="Check that FILE is intact and sealed with its exhibit's device token, then ingest its events"
        " through the same path as MQTT (duplicates ignored: importing twice changes nothing). Works whether or"
        " not the controller is running on DIR. Writes a sealed ack file (.kack) for the trip back to the exhibit.",
    )
    imp.add_argument("file", metavar="FILE", type=Path, help="the .kout file written by kepu-agent export-outbox")
    imp.add_argument("--data", required=True, type=Path, help="the controller's data directory")
    imp.add_argument("--acks", type=Path, default=None, help="folder for the ack file (default: beside FILE)")
    imp.add_argument(
        "--timezone", default=None, help="the controller's time zone (default Asia/Shanghai or KEPU_TIMEZONE)"
    )
    bridge = sub.add_parser(
        "bridge-config",
        help="write a Mosquitto bridge configuration for a venue's or city's broker",
        description="Write mosquitto.conf, passwd and acl for a city (or venue) broker that bridges its exhibits"
        " to the province broker, and enrol the bridge's own user on the province broker (DATA/mosquitto/).",
    )
    bridge.add_argument("--data", required=True, type=Path, help="the controller's data directory")
    bridge.add_argument("--name", required=True, help="the city or venue, e.g. shenzhen (lowercase, digits, '-')")
    bridge.add_argument("--province", required=True, help="province broker as the city reaches it, mqtt://host:port")
    bridge.add_argument("--out", required=True, type=Path, help="folder for the city broker's files")
    bridge.add_argument("--exhibit", action="append", default=[], help="an enrolled exhibit of this city (repeatable)")
    bridge.add_argument("--region", default="", help="every enrolled exhibit in this region path and below")
    bridge.add_argument("--listen-port", type=int, default=1883, help="the city broker's port (default 1883)")
    bridge.add_argument("--listen-address", default="", help="address to listen on (default: every interface)")
    bridge.add_argument("--protocol", default="mqttv311", help="bridge protocol: mqttv311 (default) or mqttv50")
    bridge.add_argument("--max-queued", type=int, default=100_000, help="messages queued per client while offline")
    bridge.add_argument("--autosave-interval", type=int, default=30, help="seconds between persistence saves")
    bridge.add_argument("--run-as", default="", help="`user` the broker runs as (default: Mosquitto's own)")

    demo = sub.add_parser("demo", help="run the demo stack (broker, controller, simulated exhibits)", add_help=False)
    demo.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the demo (try `demo --help`)")
    return parser


def admin_token(data: Path, given: str | None, environ: Mapping[str, str]) -> tuple[str, bool]:
    """The admin token from the flag, the environment or DATA/admin_token; generated and saved if none."""
    if given:
        return given, False
    if environ.get("KEPU_ADMIN_TOKEN"):
        return environ["KEPU_ADMIN_TOKEN"], False
    path = data / "admin_token"
    if path.exists():
        return path.read_text().strip(), True
    token = secrets.token_urlsafe(32)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token, True


def mqtt_url_from(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """The broker URL: --mqtt or KEPU_MQTT_URL, with the password from --mqtt-password-file if given."""
    url = args.mqtt or environ.get("KEPU_MQTT_URL") or None
    if url and args.mqtt_password_file:
        password = args.mqtt_password_file.read_text().strip()
        parsed = urlsplit(url)
        user = parsed.username or "kepu-controller"
        host = parsed.hostname or ""
        netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (
            f":{parsed.port}" if parsed.port else ""
        )
        url = urlunsplit(parsed._replace(netloc=netloc))
    elif args.mqtt and urlsplit(args.mqtt).password:
        log.warning(
            "the MQTT password is on the command line, visible in `ps`: use --mqtt-password-file or KEPU_MQTT_URL"
        )
    return url


def announce_admin_token(data: Path, token: str, generated: bool) -> None:
    """Say where the admin token is, never the token itself (stdout ends up in the journal)."""
    if generated:
        print(f"admin token: in {data / 'admin_token'} (mode 0600); read it from there", flush=True)


def serve(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    import uvicorn

    from controller.settings import Settings
    from controller.web.app import create_app

    token, show = admin_token(args.data, args.admin_token, environ)
    settings = Settings.from_env(
        environ,
        data_dir=args.data,
        mqtt_url=mqtt_url_from(args, environ),
        host=args.host,
        port=args.port,
        admin_token=token,
        public_base=args.public_base,
        timezone=args.timezone,
        trusted_keys=args.trusted_key,
        separate_review=not args.allow_self_approval,
    )
    announce_admin_token(args.data, token, show)
    print(f"dashboard: http://{args.host}:{args.port}/  API docs: http://{args.host}:{args.port}/docs", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def enroll(args: argparse.Namespace) -> int:
    import time

    from controller.domain.enroll import enroll as do_enroll
    from controller.store.db import Store

    store = Store(args.data / "controller.db")
    try:
        result = do_enroll(store, args.data, args.exhibit, time.time(), name=args.name, region=args.region)
    finally:
        store.close()
    print(f"exhibit: {result.exhibit}")
    print(f"mqtt_username: {result.mqtt_username}")
    print(f"mqtt_password: {result.mqtt_password}")
    print(f"api_token: {result.api_token}")
    print(f"password_file: {result.password_file}")
    print(f"acl_file: {result.acl_file}")
    print(f"mosquitto: {reload_broker(args.broker_pid_file)}")
    return 0


def bridge_config(args: argparse.Namespace) -> int:
    from controller.domain.bridges import BridgeOptions, write_bridge
    from controller.store.db import Store

    options = BridgeOptions(
        name=args.name,
        province=args.province,
        exhibits=tuple(args.exhibit),
        region=args.region,
        listen_port=args.listen_port,
        listen_address=args.listen_address,
        protocol=args.protocol,
        max_queued_messages=args.max_queued,
        autosave_interval=args.autosave_interval,
        run_as=args.run_as,
    )
    if not (args.data / "controller.db").exists():
        print(f"error: no controller database in {args.data}", file=sys.stderr)
        return 2
    store = Store(args.data / "controller.db")
    try:
        files = write_bridge(store, args.data, args.out, options)
    finally:
        store.close()
    print(f"config: {files.config}")
    print(f"password_file: {files.password_file}")
    print(f"acl_file: {files.acl_file}")
    print(f"bridge_user: {files.username} (enrolled in {args.data / 'mosquitto'})")
    print(f"exhibits: {len(files.exhibits)}")
    print(f"run: mosquitto -c {files.config}")
    return 0


def reattribute(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    import time

    from controller.domain import audit
    from controller.domain.attribution import reattribute_all
    from controller.settings import Settings
    from controller.store.db import Store

    tz = Settings.from_env(environ, data_dir=args.data, timezone=args.timezone).timezone
    store = Store(args.data / "controller.db")
    try:
        with store.write() as db:
            done = reattribute_all(db, tz, args.exhibit)
            for item in done:
                audit.record(db, time.time(), "cli", "rotation.reattribute", item.exhibit, item.detail(tz))
    finally:
        store.close()
    for item in done:
        print(f"{item.exhibit}: {item.events_moved} events moved, {item.hours_rebuilt} hours rebuilt")
    return 0


def import_file(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    import time

    from content_packs.fsutil import write_bytes_atomic
    from controller.domain.sneakernet import import_outbox
    from controller.ingest.ingester import Ingester
    from controller.settings import Settings
    from controller.store.db import Store
    from kepu_contracts.clock import SystemClock

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    if not (args.data / "controller.db").exists():
        print(f"error: no controller database in {args.data}", file=sys.stderr)
        return 2
    tz = Settings.from_env(environ, data_dir=args.data, timezone=args.timezone).timezone
    store = Store(args.data / "controller.db")
    try:
        result = import_outbox(store, Ingester(store, SystemClock(), tz), raw, time.time())
    finally:
        store.close()
    folder = args.acks or args.file.parent
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(folder / result.ack_name, result.ack)
    print(result.line())
    print(f"ack file: {folder / result.ack_name} (carry it back to the exhibit's kepu/ folder)")
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    if argv[:1] == ["demo"]:
        from controller.devtools.demo import main as demo_main  # written alongside the kiosk; owns its own --help

        return demo_main(argv[1:]) or 0
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "serve":
            return serve(args, environ)
        if args.command == "enroll":
            return enroll(args)
        if args.command == "bridge-config":
            return bridge_config(args)
        if args.command == "reattribute":
            return reattribute(args, environ)
        if args.command == "import":
            return import_file(args, environ)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
