"""Helpers for end-to-end tests: real controller and agent processes against a real broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from controller.devtools.broker import free_port


def run_cli(module: str, *args: str, timeout: float = 300) -> str:
    """Run `python -m module args…`; return stdout, failing loudly with stderr."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout, env=env
    )
    assert done.returncode == 0, f"{module} {args} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


def last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


class Service:
    """A long-running child process in its own process group, logging to a file."""

    def __init__(self, argv: list[str], log: Path):
        self.argv = argv
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        env = {
            **os.environ,
            "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "dummy",
            "SDL_NO_SIGNAL_HANDLERS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class Controller(Service):
    def __init__(self, data: Path, mqtt_url: str, token: str = "e2e-admin-token"):
        self.port = free_port()
        self.token = token
        self.url = f"http://127.0.0.1:{self.port}"
        data.mkdir(parents=True, exist_ok=True)
        super().__init__(
            [
                sys.executable,
                "-m",
                "controller",
                "serve",
                "--data",
                str(data),
                "--mqtt",
                mqtt_url,
                "--port",
                str(self.port),
                "--admin-token",
                token,
            ],
            data / "controller.log",
        )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=5)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.get("/api/v1/exhibits").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process and self.process.poll() is None, f"controller exited:\n{self.tail()}"
            time.sleep(0.2)
        raise AssertionError(f"controller not ready:\n{self.tail()}")


def agent(exhibit: str, data: Path, mqtt_url: str, controller_url: str) -> Service:
    return Service(
        [
            sys.executable,
            "-m",
            "exhibit_agent",
            "run",
            "--exhibit",
            exhibit,
            "--mqtt",
            mqtt_url,
            "--controller",
            controller_url,
            "--data",
            str(data),
        ],
        data / f"agent-{exhibit}.log",
    )


def wait_until(predicate, timeout: float, message) -> None:
    """Poll `predicate` until true; fail with `message()` (called lazily) on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(message() if callable(message) else message)
