"""The systemd units and the exhibit installer as files: `systemd-analyze verify`, the templates, the script."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "systemd").glob("*.service"))
VENV_BIN = "/opt/kepu/.venv/bin/"


def unit_sections(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_units_pass_systemd_analyze_verify(tmp_path):
    # verify also checks that ExecStart= exists: point the copies at stand-ins for /opt/kepu/.venv/bin.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("kepu-agent", "kepu-kiosk", "kepu-controller"):
        (bin_dir / name).write_text("#!/bin/sh\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text(encoding="utf-8").replace(VENV_BIN, f"{bin_dir}/"), encoding="utf-8")
        copies.append(str(copy))
    out = subprocess.run(["systemd-analyze", "verify", "--man=no", *copies], capture_output=True, text=True, timeout=60)
    complaints = (out.stdout + out.stderr).strip()
    assert out.returncode == 0, complaints
    assert "Unknown key" not in complaints and "ignoring" not in complaints, complaints


def test_the_kiosk_never_stops_retrying():
    kiosk = unit_sections(ROOT / "systemd" / "kepu-kiosk.service")
    assert kiosk["Unit"]["StartLimitIntervalSec"] == "0", "in [Unit], where systemd reads it"
    assert "StartLimitIntervalSec" not in kiosk["Service"]
    assert kiosk["Service"]["Restart"] == "always" and kiosk["Service"]["Type"] == "notify"
    assert int(kiosk["Service"]["WatchdogSec"]) >= 2, "the loop feeds the watchdog once a second, also when idle"
    assert "--config /etc/kepu/kiosk.toml" in kiosk["Service"]["ExecStart"]


def test_the_config_templates_are_valid(tmp_path):
    assert load_settings(ROOT / "systemd" / "kiosk.toml.example").rotation == 0
    from exhibit_agent.config import load_config

    text = (ROOT / "systemd" / "agent.toml.example").read_text(encoding="utf-8")
    filled = tmp_path / "agent.toml"
    filled.write_text(text.replace("@EXHIBIT@", "ex-quake-01").replace("@MQTT@", "mqtt://localhost:1883"))
    config = load_config(filled)
    assert config.exhibit == "ex-quake-01" and str(config.data) == "/var/lib/kepu"


def test_install_exhibit_is_bash_and_explains_itself():
    script = ROOT / "scripts" / "install-exhibit"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    out = subprocess.run(["bash", str(script), "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "--uninstall" in out.stdout and "kepu" in out.stdout
    bad = subprocess.run(["bash", str(script), "--bogus"], capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and "unknown option --bogus" in bad.stderr
