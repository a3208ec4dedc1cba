"""Helpers for the agent tests: a tiny fake controller that ingests like the real one, and event writers.

The fake controller does what DESIGN.md asks of ingest: INSERT OR IGNORE on the event id into
a real SQLite file, commit, and only then ack. It counts every delivery, so tests can tell
duplicates on the wire (allowed) from duplicates in the store (never).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from kepu_contracts.clock import ManualClock
from kepu_contracts.events import Event
from kepu_contracts.messages import ack as ack_payload
from kepu_contracts.outbox import Outbox
from kepu_contracts.protocol import decode, encode, parse_broker_url, parse_topic

REPO = Path(__file__).resolve().parents[2]


class FakeController:
    """Subscribes to every exhibit's events and footfall; stores and acks (on the sender's own topics)."""

    def __init__(self, url: str, db_path: Path, ack: bool = True):
        self.db_path = db_path
        self.ack = ack
        self.deliveries = 0
        self.batches: list[dict] = []
        self.lock = threading.Lock()
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, stream TEXT, exhibit TEXT, seq INTEGER)"
        )
        broker = parse_broker_url(url)
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"fake-controller-{os.getpid()}-{id(self)}", clean_session=False
        )
        self.client.reconnect_delay_set(0.1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect_async(broker.host, broker.port, keepalive=10)
        self.connected = threading.Event()

    def start(self) -> FakeController:
        self.client.loop_start()
        assert self.connected.wait(10), "fake controller could not connect"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.db.close()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe([("kepu/v1/exhibits/+/events", 1), ("kepu/v1/exhibits/+/footfall", 1)])
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        payload = decode(msg.payload)
        parts = parse_topic(msg.topic)
        events = payload["events"]
        stream = "footfall" if parts.channel == "footfall" else "events"
        with self.lock:
            self.deliveries += len(events)
            self.batches.append(payload)
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO events (id, stream, exhibit, seq) VALUES (?,?,?,?)",
                [(e["id"], stream, payload["exhibit"], e["seq"]) for e in events],
            )
            self.db.execute("COMMIT")
            if not self.ack:
                return
        seqs = [e["seq"] for e in events]
        body = ack_payload(payload["batch"], min(seqs), max(seqs))
        channel = "ack" if stream == "events" else "footfall_ack"
        topic = f"kepu/v1/exhibits/{parts.ident}/{channel}"
        client.publish(topic, encode(body), qos=1)

    def ids(self, stream: str = "events") -> set[str]:
        with self.lock:
            return {r[0] for r in self.db.execute("SELECT id FROM events WHERE stream = ?", (stream,))}

    def stored(self) -> int:
        with self.lock:
            return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def write_events(
    outbox: Outbox, n: int, clock: ManualClock | None = None, stream: str = "events", type_: str = "tap"
) -> list[str]:
    """Commit n events to the outbox; return their ids in order."""
    clock = clock or ManualClock()
    events = []
    for _ in range(n):
        clock.advance(0.01)
        events.append(Event(type=type_, stamp=clock.stamp(), session="s1", scene="intro", data={"x": 1}))
    outbox.append(events, stream=stream)
    return [e.id for e in events]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def spawn_agent(exhibit: str, url: str, data: Path, *extra: str) -> subprocess.Popen:
    """The real CLI in a child process (for kill -9 and LWT tests)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with open(data.parent / f"{data.name}-agent.log", "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exhibit_agent",
                "run",
                "--exhibit",
                exhibit,
                "--mqtt",
                url,
                "--data",
                str(data),
                "--log-level",
                "WARNING",
                *extra,
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


class Retained:
    """Collects the latest message per topic from a subscription (retained state, reported)."""

    def __init__(self, url: str, topic: str):
        broker = parse_broker_url(url)
        self.messages: dict[str, dict] = {}
        self.history: list[tuple[str, dict]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"watch-{id(self)}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, 1)
        self.client.on_message = self._on
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on(self, client, userdata, msg):
        if not msg.payload:
            return
        doc = json.loads(msg.payload)
        self.messages[msg.topic] = doc
        self.history.append((msg.topic, doc))

    def get(self, topic: str) -> dict | None:
        return self.messages.get(topic)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish_retained(url: str, topic: str, payload: dict | None) -> None:
    """Publish (or with None, clear) a retained message and wait until the broker has it."""
    broker = parse_broker_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{os.getpid()}-{time.monotonic_ns()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    info = client.publish(topic, encode(payload) if payload is not None else b"", qos=1, retain=True)
    info.wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


# -- packs: a real HTTP server with Range, signed packs, a fake kiosk ---------------

import hashlib  # noqa: E402
import re  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from content_packs.archive import build_pack, import_kpack  # noqa: E402
from content_packs.signing import generate_keypair  # noqa: E402
from content_packs.store import BlobStore  # noqa: E402
from content_packs.testing import make_pack  # noqa: E402


class PackServer:
    """The controller's pack endpoints, for real over HTTP: manifests, signatures, blobs with Range.

    GET /api/v1/manifests/{sha}      -> the exact signed manifest bytes
    GET /api/v1/manifests/{sha}.sig  -> manifest.sig
    GET /api/v1/blobs/{sha}          -> the blob; honours `Range: bytes=N-` with 206
    """

    def __init__(self, root: Path):
        self.store = BlobStore(root / "server-store")
        self.keys_dir = root / "keys"
        self.private, self.public = generate_keypair(self.keys_dir / "museum")
        self.bytes_served = 0
        self.requests: list[tuple[str, str | None]] = []
        self.cut_after: int | None = None  # drop the connection after this many body bytes (once)
        self.delay = 0.0  # seconds per 64 KiB chunk, to make downloads slow enough to kill mid-way
        self.fail_status: int | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                if server.fail_status:
                    return self._send(server.fail_status, b"")
                m = re.fullmatch(r"/api/v1/manifests/([0-9a-f]{64})(\.sig)?", self.path)
                if m:
                    try:
                        raw, sig = server.store.get_manifest(m.group(1))
                    except Exception:
                        return self._send(404, b"")
                    return self._send(200, sig if m.group(2) else raw)
                m = re.fullmatch(r"/api/v1/blobs/([0-9a-f]{64})", self.path)
                if not m or not server.store.has(m.group(1)):
                    return self._send(404, b"")
                data = server.store.get(m.group(1))
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                for i in range(0, len(body), 65536):
                    chunk = body[i : i + 65536]
                    if server.cut_after is not None and server.bytes_served + len(chunk) > server.cut_after:
                        server.cut_after = None
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(chunk)
                    server.bytes_served += len(chunk)
                    if server.delay:
                        time.sleep(server.delay)

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if status == 200:
                    server.bytes_served += len(body)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a killed agent hangs up mid-blob; that is the point of the fault tests

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.root = root

    def start(self) -> PackServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish_pack(
        self,
        pack_id: str = "quake",
        version: str = "1.0.0",
        extra: dict[str, bytes] | None = None,
        key: Path | None = None,
    ) -> dict:
        """Build, sign and import a pack; return the desired-state `pack` block for it."""
        src = self.root / "src" / f"{pack_id}-{version}"
        make_pack(src, pack_id=pack_id, version=version)
        for rel, data in (extra or {}).items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_bytes(data)
        kpack = build_pack(src, key or self.private, self.root / "built")
        signer_pub = Path(str(key)).with_suffix(".pub") if key else self.public
        manifest = import_kpack(kpack, self.store, [signer_pub])
        return {
            "id": pack_id,
            "version": version,
            "manifest_sha256": manifest.sha256,
            "url": f"/api/v1/manifests/{manifest.sha256}",
        }


class FakeKiosk:
    """Does what the kiosk does with packs/current: loads it and says so in kiosk.json."""

    def __init__(self, data: Path, fail_versions: tuple[str, ...] = (), silent_versions: tuple[str, ...] = ()):
        self.data = data
        self.fail_versions = fail_versions
        self.silent_versions = silent_versions
        self.stop_event = threading.Event()
        self.loaded: list[tuple[str, str]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeKiosk:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)

    def _run(self):
        from kepu_contracts.datadir import write_json_atomic

        seen = None
        while not self.stop_event.is_set():
            try:
                # Resolve the link once, as the kiosk does, so a switch mid-load cannot mix two packs.
                current = self.data / "packs" / os.readlink(self.data / "packs" / "current")
                manifest = json.loads((current / ".kepu-manifest.json").read_bytes())
                key = (manifest["id"], manifest["version"])
                if key != seen:
                    for entry in manifest["files"]:
                        # A real load reads the files: every one must be there, complete.
                        assert hashlib.sha256((current / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
            except (OSError, ValueError):
                key = None
            if key and key != seen and key[1] not in self.silent_versions:
                seen = key
                status = "failed" if key[1] in self.fail_versions else "loaded"
                self.loaded.append(key)
                write_json_atomic(
                    self.data / "kiosk.json",
                    {
                        "pid": os.getpid(),
                        "fps": 30.0,
                        "last_frame": time.time(),
                        "written": time.time(),
                        "pack": {
                            "id": key[0],
                            "version": key[1],
                            "status": status,
                            "reason": "scene 'quiz' has no questions" if status == "failed" else None,
                        },
                    },
                )
            self.stop_event.wait(0.05)


def check_current_is_complete(data: Path, trusted: Path) -> tuple[str, str] | None:
    """Assert packs/current is a complete pack whose signed manifest verifies; return (id, version)."""
    from content_packs.manifest import read_signed_manifest

    current = data / "packs" / "current"
    if not os.path.lexists(current):
        return None
    raw = (current / ".kepu-manifest.json").read_bytes()
    sig = (current / ".kepu-manifest.sig").read_bytes()
    manifest = read_signed_manifest(raw, sig, [trusted])
    for entry in manifest.files:
        assert hashlib.sha256((current / entry.path).read_bytes()).hexdigest() == entry.sha256, entry.path
    return manifest.id, manifest.version
