"""Every console script and every subcommand explains itself with --help."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

COMMANDS = {
    "kepu-pack": ("content_packs", {"keygen", "validate", "build", "verify", "inspect"}),
    "kepu-kiosk": ("kiosk", {"run", "preview", "simulate"}),
    "kepu-agent": ("exhibit_agent", {"run"}),
    "kepu-controller": ("controller", {"serve", "demo", "enroll"}),
}


def help_text(module: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", module, *args, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{module} {args} --help failed: {done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.parametrize("script", sorted(COMMANDS))
def test_every_subcommand_has_help(script):
    module, contract = COMMANDS[script]
    top = help_text(module)
    # Subcommands appear either as {a,b,c} or as an indented list under a metavar.
    listed = set(re.findall(r"^    ([a-z][a-z0-9-]*)\s", top, re.M))
    for group in re.findall(r"\{([a-z0-9_,-]+)\}", top):
        listed.update(group.split(","))
    assert contract <= listed, f"{script} lacks the contract subcommands {contract - listed}"
    for sub in sorted(listed):
        text = help_text(module, sub)
        assert "usage:" in text and len(text.splitlines()) > 2, f"{script} {sub} --help says too little"
