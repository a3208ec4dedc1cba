"""The CLI: every subcommand has help; enroll writes credentials a real Mosquitto accepts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from controller.cli import admin_token, build_parser, main


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - the only way to list them
    assert set(subcommands) == {"serve", "enroll", "demo"}
    for name in ("serve", "enroll"):
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0
        assert "--data" in capsys.readouterr().out
    assert subcommands["demo"].format_help().strip()


def test_admin_token_is_generated_once_and_reused(tmp_path):
    token, generated = admin_token(tmp_path, None, {})
    assert generated and len(token) > 30
    assert admin_token(tmp_path, None, {}) == (token, True)
    assert admin_token(tmp_path, None, {"KEPU_ADMIN_TOKEN": "from-env"}) == ("from-env", False)
    assert admin_token(tmp_path, "flag", {"KEPU_ADMIN_TOKEN": "from-env"}) == ("flag", False)
    assert (tmp_path / "admin_token").stat().st_mode & 0o777 == 0o600


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "controller", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout and "enroll" in result.stdout
