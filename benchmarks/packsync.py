"""Pack sync cost: a full 200 MB download versus a one-file change, and the idle agent's CPU and RSS.

Runs the real installer against a real local HTTP server (the test suite's PackServer, which
serves manifests and blobs with Range like the controller), and the real `kepu-agent run`
against a private Mosquitto. Usage: `python benchmarks/packsync.py [--size-mb 200] [--files 20]`.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from controller.devtools.broker import Broker  # noqa: E402
from exhibit_agent.fetch import Fetcher  # noqa: E402
from exhibit_agent.installer import Installer  # noqa: E402
from kepu_contracts.messages import PackRef  # noqa: E402
from tests.support.agent import FakeKiosk, PackServer, spawn_agent  # noqa: E402


def install(installer: Installer, server: PackServer, block: dict) -> dict:
    before, t0 = server.bytes_served, time.perf_counter()
    outcome = installer.install(PackRef(**block))
    assert outcome.result == "ok", outcome
    return {"bytes": server.bytes_served - before, "seconds": round(time.perf_counter() - t0, 3)}


def idle_agent(tmp: Path, seconds: float) -> dict:
    """CPU share and RSS of an idle `kepu-agent run` (connected, empty outbox)."""
    with Broker(workdir=tmp / "broker") as broker:
        proc = spawn_agent("ex-bench", broker.url, tmp / "agent-data")
        try:
            time.sleep(3.0)  # imports, connect, first state
            tick = os.sysconf("SC_CLK_TCK")

            def cpu() -> float:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / tick

            c0, t0 = cpu(), time.monotonic()
            time.sleep(seconds)
            share = (cpu() - c0) / (time.monotonic() - t0)
            rss_kb = next(
                int(line.split()[1])
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
        finally:
            proc.terminate()
            proc.wait(10)
    return {"idle_cpu_percent": round(share * 100, 2), "idle_rss_mb": round(rss_kb / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="total size of the pack's media")
    parser.add_argument("--files", type=int, default=20, help="number of media files")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="how long to sample the idle agent")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kepu-packsync-") as tmp_name:
        tmp = Path(tmp_name)
        server = PackServer(tmp / "ctl").start()
        each = args.size_mb * 1024 * 1024 // args.files
        # .ogg is stored, not deflated, in the .kpack, as real media would be.
        media = {f"media/clip{i:02d}.ogg": os.urandom(each) for i in range(args.files)}
        v1 = server.publish_pack("bench", "1.0.0", media)
        media["media/clip00.ogg"] = os.urandom(each)
        v2 = server.publish_pack("bench", "1.1.0", media)
        data = tmp / "exhibit"
        kiosk = FakeKiosk(data).start()
        fetcher = Fetcher(server.url)
        installer = Installer(data, [server.public], fetcher, kiosk_timeout=120)
        full = install(installer, server, v1)
        delta = install(installer, server, v2)
        kiosk.stop()
        fetcher.close()
        server.stop()
        idle = idle_agent(tmp, args.idle_seconds)
    result = {
        "benchmark": "packsync",
        "pack_mb": args.size_mb,
        "files": args.files,
        "full_bytes": full["bytes"],
        "full_seconds": full["seconds"],
        "one_file_change_bytes": delta["bytes"],
        "one_file_change_seconds": delta["seconds"],
        "bytes_ratio": round(delta["bytes"] / full["bytes"], 4),
        **idle,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
