"""The kepu-agent CLI and its config file: help everywhere, clear errors, flags override the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exhibit_agent.cli import build_parser, main
from exhibit_agent.config import ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent


def test_every_command_has_help():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) >= {"run", "check-config"}
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, f"{name} {action.dest} has no help"
    out = subprocess.run(
        [sys.executable, "-m", "exhibit_agent", "run", "--help"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "--exhibit" in out and "--mqtt" in out and "--controller" in out and "--data" in out


def write(tmp_path, text):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


GOOD = """
exhibit = "ex-quake-01"
data = "/var/lib/kepu"
controller = "http://ctl:8000/"
trusted_keys = ["/etc/kepu/museum.pub"]
[mqtt]
url = "mqtt://broker:1883"
username = "ex-quake-01"
password_file = "{pw}"
[outbox]
batch_max_events = 100
cap_bytes = 1048576
[health]
interval = 5.0
[serial]
device = "/dev/ttyUSB0"
"""


def test_config_file_is_read_and_flags_override_it(tmp_path):
    (tmp_path / "pw").write_text("s3cret\n")
    path = write(tmp_path, GOOD.format(pw=tmp_path / "pw"))
    config = load_config(path)
    assert config.exhibit == "ex-quake-01" and config.password == "s3cret" and config.username == "ex-quake-01"
    assert config.controller == "http://ctl:8000" and config.batch_max_events == 100
    assert config.outbox_cap_bytes == 1048576 and config.health_interval == 5.0
    assert config.serial_device == "/dev/ttyUSB0" and config.trusted_keys == ("/etc/kepu/museum.pub",)
    config = load_config(path, {"exhibit": "ex-other", "mqtt": "mqtt://u:p@h:1", "password": None})
    assert config.exhibit == "ex-other" and config.mqtt == "mqtt://u:p@h:1"
    assert config.password == "s3cret", "a None flag must not erase the file's value"


@pytest.mark.parametrize(
    "text, message",
    [
        ('exhibit = "ex 1"\ndata="/d"\n[mqtt]\nurl="mqtt://h"', "exhibit"),
        ('exhibit = "ex-1"\ndata="/d"\n[mqtt]\nurl="http://h"', "mqtt.url"),
        ('exhibit = "ex-1"\ndata="/d"', "mqtt.url"),
        ('exhibit = "ex-1"\ndata="/d"\n[mqtt]\nurl="mqtt://h"\n[outbox]\nbatch_max_events = 0', "batch_max_events"),
        (
            'exhibit = "ex-1"\ndata="/d"\n[mqtt]\nurl="mqtt://h"\n[outbox]\nbatch_max_event = 5',
            "outbox.batch_max_event",
        ),
        ('exhibit = "ex-1"\ndata="/d"\n[mqtt]\nurl="mqtt://h"\n[health]\ninterval = "fast"', "health_interval"),
        ('exhibit = "ex-1"\ndata="/d"\ncontroller="ctl:8000"\n[mqtt]\nurl="mqtt://h"', "controller"),
        ("exhibit = ", "not valid TOML"),
    ],
)
def test_bad_config_gives_a_clear_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(write(tmp_path, text))


def test_cli_reports_config_errors_without_a_traceback(tmp_path, capsys):
    assert main(["run", "--exhibit", "ex-1", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "missing required setting mqtt.url" in err and "Traceback" not in err
