"""Real things for the power backends to talk to: fake tools on PATH, a Tasmota plug, a Shelly, a projector, a UDP ear."""

from __future__ import annotations

import json
import socket
import socketserver
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

# One script for every display tool: it records argv (and stdin) and keeps a state file so
# the status query answers the way the real tool would.
FAKE_TOOL = r"""#!/usr/bin/env python3
import json, os, sys
name = os.path.basename(sys.argv[0]); args = sys.argv[1:]
log = os.environ["FAKE_POWER_LOG"]; state_file = log + "." + name + ".state"
stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
with open(log, "a") as f:
    f.write(json.dumps({"tool": name, "args": args, "stdin": stdin}) + "\n")
def state():
    try: return open(state_file).read().strip() == "on"
    except OSError: return True
def put(on):
    open(state_file, "w").write("on" if on else "off")
if name == "vcgencmd":
    if args[1:2] in (["1"], ["0"]): put(args[1] == "1"); print("display_power=" + args[1])
    else: print("display_power=%d" % state())
elif name == "wlr-randr":
    if "--on" in args: put(True)
    elif "--off" in args: put(False)
    else: print('HDMI-A-1 "Fake Monitor"\n  Enabled: %s\n  Modes:' % ("yes" if state() else "no"))
elif name == "xset":
    if "force" in args: put(args[-1] == "on")
    elif "q" in args: print("DPMS (Energy Star):\n  Monitor is %s" % ("On" if state() else "Off"))
elif name == "cec-ctl":
    if "--image-view-on" in args: put(True)
    elif "--standby" in args: put(False)
    else: print("\tpwr-state: %s (0x00)" % ("on" if state() else "standby"))
elif name == "cec-client":
    word = stdin.split()[0] if stdin.split() else ""
    if word == "on": put(True)
    elif word == "standby": put(False)
    elif word == "pow": print("power status: %s" % ("on" if state() else "standby"))
elif name == "failing-tool":
    print("no display attached", file=sys.stderr); sys.exit(3)
"""

TOOLS = ("vcgencmd", "wlr-randr", "xset", "cec-ctl", "cec-client", "failing-tool")


def install_fake_tools(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in TOOLS:
        path = bin_dir / name
        path.write_text(FAKE_TOOL)
        path.chmod(path.stat().st_mode | stat.S_IEXEC | stat.S_IXGRP | stat.S_IXOTH)


def calls(log: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in log.read_text().splitlines()]
    except FileNotFoundError:
        return []


class ShellyServer:
    """A Shelly on localhost: Gen2 `/rpc/Switch.Set|GetStatus` and Gen1 `/relay/0`."""

    def __init__(self) -> None:
        self.on = False
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.requests.append(self.path)
                if url.path == "/rpc/Switch.Set" and query.get("id") == "0":
                    was = outer.on
                    outer.on = query.get("on") == "true"
                    body = {"was_on": was}
                elif url.path == "/rpc/Switch.GetStatus" and query.get("id") == "0":
                    body = {"id": 0, "output": outer.on, "apower": 12.5}
                elif url.path == "/relay/0":
                    if "turn" in query:
                        outer.on = query["turn"] == "on"
                    body = {"ison": outer.on, "has_timer": False}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PJLinkProjector:
    """A class-1 PJLink projector on localhost (no password): POWR 1/0 and POWR ?."""

    def __init__(self) -> None:
        self.on = False
        self.commands: list[str] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"PJLINK 0\r")
                line = self.rfile.readline().decode().strip("\r\n")  # PJLink ends lines with CR
                outer.commands.append(line)
                if line == "%1POWR 1":
                    outer.on = True
                    self.wfile.write(b"%1POWR=OK\r")
                elif line == "%1POWR 0":
                    outer.on = False
                    self.wfile.write(b"%1POWR=OK\r")
                elif line == "%1POWR ?":
                    self.wfile.write(b"%1POWR=" + (b"1" if outer.on else b"0") + b"\r")
                else:
                    self.wfile.write(b"%1" + line[2:6].encode() + b"=ERR1\r")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        # readline() needs \r as the line end: wrap the socket reader.
        Handler.rbufsize = 0
        Handler.setup = _cr_setup(Handler.setup)
        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _cr_setup(original):
    def setup(self) -> None:
        original(self)
        sock = self.connection

        class CrReader:
            def readline(self) -> bytes:
                out = b""
                while not out.endswith(b"\r"):
                    chunk = sock.recv(1)
                    if not chunk:
                        break
                    out += chunk
                return out

        self.rfile = CrReader()

    return setup


def udp_ear() -> socket.socket:
    """A UDP socket on localhost to catch a magic packet."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    return sock
