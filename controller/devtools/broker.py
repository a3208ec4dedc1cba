"""A private Mosquitto broker run as a child process: for the demo stack and the tests.

Never relies on a system service: finds the `mosquitto` binary, writes a config for a
free loopback port into its own directory, and stops it on exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SEARCH_PATHS = (
    "/usr/sbin/mosquitto",
    "/usr/local/sbin/mosquitto",
    "/usr/bin/mosquitto",
    "/opt/homebrew/sbin/mosquitto",
)


class BrokerUnavailable(RuntimeError):
    """No mosquitto binary, or it would not start; the message says what to do."""


def find_mosquitto() -> str:
    """Path of the mosquitto binary, or BrokerUnavailable with an install hint."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in SEARCH_PATHS:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BrokerUnavailable("mosquitto is not installed: run `sudo apt-get install -y mosquitto`")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class Broker:
    """One mosquitto process with a generated config; start() and stop() are idempotent."""

    workdir: Path
    port: int = 0
    password_file: Path | None = None
    acl_file: Path | None = None
    persistence: bool = True
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            # `kepu-controller enroll --broker-pid-file` sends SIGHUP here to reload passwd and acl.
            f"pid_file {self.workdir}/mosquitto.pid",
            "autosave_interval 1",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "max_queued_messages 100000",
            "max_inflight_messages 100",
            # A device cannot make the broker (or us) hold huge messages: batches are ≤ 4 MiB.
            "max_packet_size 8388608",
        ]
        if os.geteuid() == 0:
            # Started as root, mosquitto drops to the `mosquitto` user, which cannot read our
            # private (0700) work folders. A child broker runs as whoever started it.
            lines.append("user root")
        if self.password_file:
            # The client id is the username: nobody can take over another's session (and fire its LWT).
            lines += ["allow_anonymous false", f"password_file {self.password_file}", "use_username_as_clientid true"]
        else:
            lines.append("allow_anonymous true")
        if self.acl_file:
            lines.append(f"acl_file {self.acl_file}")
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> Broker:
        if self.process and self.process.poll() is None:
            return self
        binary = find_mosquitto()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port()
        config = self.workdir / "mosquitto.conf"
        config.write_text(self.config_text())
        log = (self.workdir / "mosquitto.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        if not wait_for_port("127.0.0.1", self.port, timeout):
            self.stop()
            raise BrokerUnavailable(f"mosquitto did not start on port {self.port}; see {self.workdir}/mosquitto.log")
        return self

    def stop(self, kill: bool = False) -> None:
        if not self.process:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
