"""Backends that are command-line tools: vcgencmd, wlr-randr, xset, cec-ctl, cec-client and plain commands.

Each runs a program found on PATH (no shell, except for the technician's own `command`
lines) with a timeout; a missing program or a non-zero exit is a BackendError that says so.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exhibit_agent.power.backends import BackendConfigError, BackendError, number, text

TIMEOUT = 10.0


def run(
    argv: Sequence[str], *, stdin: str | None = None, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT
) -> str:
    """Run a program and return its stdout; BackendError when it is missing, hangs or fails."""
    if shutil.which(argv[0], path=(env or os.environ).get("PATH")) is None:
        raise BackendError(f"{argv[0]} is not installed (not found on PATH)")
    try:
        done = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, env=dict(env) if env else None
        )
    except subprocess.TimeoutExpired:
        raise BackendError(f"{argv[0]} did not finish within {timeout:.0f}s") from None
    except OSError as exc:
        raise BackendError(f"{argv[0]} could not run: {exc}") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackendError(f"{shlex.join(argv)} exited with {done.returncode}: {detail[-1] if detail else 'no output'}")
    return done.stdout


@dataclass
class CommandBackend:
    """Switch with one argv for on and one for off; read the state with `status` parsed by `parse`."""

    name: str
    on_argv: Sequence[str]
    off_argv: Sequence[str]
    status_argv: Sequence[str] | None = None
    parse: Callable[[str], bool | None] = lambda _out: None
    stdin: tuple[str | None, str | None, str | None] = (None, None, None)  # on, off, status
    env: Mapping[str, str] | None = None
    timeout: float = TIMEOUT
    last: bool | None = field(default=None, init=False)

    def switch(self, on: bool) -> None:
        run(self.on_argv if on else self.off_argv, stdin=self.stdin[0 if on else 1], env=self.env, timeout=self.timeout)
        self.last = on

    def state(self) -> bool | None:
        if self.status_argv is None:
            return None
        return self.parse(run(self.status_argv, stdin=self.stdin[2], env=self.env, timeout=self.timeout))

    def close(self) -> None:
        pass


def _vcgencmd_state(out: str) -> bool | None:
    m = re.search(r"display_power=(-?\d)", out)
    return None if m is None or m.group(1) == "-1" else m.group(1) == "1"


def vcgencmd(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> CommandBackend:
    """Raspberry Pi firmware: `vcgencmd display_power 0|1 [display]` (Pi OS with the legacy/FKMS stack)."""
    display = spec.get("display")
    extra = [] if display is None else [str(display)]
    return CommandBackend(
        "vcgencmd",
        ["vcgencmd", "display_power", "1", *extra],
        ["vcgencmd", "display_power", "0", *extra],
        ["vcgencmd", "display_power", *(["-1", *extra] if extra else [])],
        _vcgencmd_state,
    )


def _wlr_state(output: str) -> Callable[[str], bool | None]:
    def parse(out: str) -> bool | None:
        current: str | None = None
        for line in out.splitlines():
            if line and not line[0].isspace():
                current = line.split()[0]
            elif current == output and line.strip().lower().startswith("enabled:"):
                return line.split(":", 1)[1].strip().lower() == "yes"
        return None

    return parse


def wlr_randr(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> CommandBackend:
    """Raspberry Pi OS with Wayland (labwc/wayfire): `wlr-randr --output HDMI-A-1 --on|--off`."""
    output = text(spec, "output", "HDMI-A-1")
    return CommandBackend(
        "wlr-randr",
        ["wlr-randr", "--output", output, "--on"],
        ["wlr-randr", "--output", output, "--off"],
        ["wlr-randr"],
        _wlr_state(output),
    )


def _xset_state(out: str) -> bool | None:
    m = re.search(r"Monitor is (On|Off|Standby|Suspend)", out)
    return None if m is None else m.group(1) == "On"


def xset(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> CommandBackend:
    """X11 DPMS: `xset -display :0 dpms force on|off`, state from `xset q`."""
    display = text(spec, "display", ":0")
    base = ["xset", "-display", display]
    return CommandBackend(
        "xset", [*base, "dpms", "force", "on"], [*base, "dpms", "force", "off"], [*base, "q"], _xset_state
    )


def _cec_ctl_state(out: str) -> bool | None:
    m = re.search(r"pwr-state:\s*([a-z-]+)", out)
    if m is None:
        return None
    return m.group(1) in ("on", "to-on")


def cec_ctl(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> CommandBackend:
    """HDMI-CEC with v4l-utils: `cec-ctl -d /dev/cec0 --to 0 --image-view-on` / `--standby`."""
    device = text(spec, "device", "/dev/cec0")
    base = ["cec-ctl", "-d", device, "--to", str(spec.get("address", 0))]
    return CommandBackend(
        "cec-ctl",
        [*base, "--image-view-on"],
        [*base, "--standby"],
        [*base, "--give-device-power-status"],
        _cec_ctl_state,
        timeout=number(spec, "timeout", TIMEOUT),
    )


def _cec_client_state(out: str) -> bool | None:
    m = re.search(r"power status:\s*([a-z ]+)", out)
    if m is None:
        return None
    status = m.group(1).strip()
    return status in ("on", "in transition from standby to on")


def cec_client(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> CommandBackend:
    """HDMI-CEC with libcec: `echo 'on 0' | cec-client -s -d 1` (standby / pow likewise)."""
    address = str(spec.get("address", 0))
    argv = ["cec-client", "-s", "-d", "1"]
    return CommandBackend(
        "cec-client",
        argv,
        argv,
        argv,
        _cec_client_state,
        stdin=(f"on {address}\n", f"standby {address}\n", f"pow {address}\n"),
        timeout=number(spec, "timeout", 20.0),
    )


def _word_state(out: str) -> bool | None:
    word = out.strip().split()[0].lower() if out.strip() else ""
    if word in ("on", "1", "true", "yes"):
        return True
    if word in ("off", "0", "false", "no"):
        return False
    return None


def command(spec: Mapping[str, Any], agent: Mapping[str, Any]) -> CommandBackend:
    """The technician's own shell lines: `on`, `off` and optionally `status` (prints on/off)."""
    on, off = text(spec, "on"), text(spec, "off")
    status = spec.get("status")
    if status is not None and (not isinstance(status, str) or not status.strip()):
        raise BackendConfigError("status must be a shell command or left out")
    return CommandBackend(
        str(spec.get("name") or "command"),
        ["sh", "-c", on],
        ["sh", "-c", off],
        ["sh", "-c", status] if status else None,
        _word_state,
        timeout=number(spec, "timeout", TIMEOUT),
    )
