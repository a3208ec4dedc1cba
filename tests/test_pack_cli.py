"""kepu-pack: every subcommand has help; exit codes and messages for the author's workflow."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from content_packs.cli import build_parser, main
from content_packs.testing import make_pack

SUBCOMMANDS = ["keygen", "validate", "build", "verify", "inspect"]


def test_every_subcommand_is_listed():
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert sorted(choices) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("command", [[], *[[c] for c in SUBCOMMANDS]])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: kepu-pack")
    assert len(out.splitlines()) > 4


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "content_packs", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "validate" in result.stdout


def test_author_workflow(tmp_path, capsys):
    src = make_pack(tmp_path / "src")
    assert main(["keygen", "--out", str(tmp_path / "k")]) == 0
    assert "key id:" in capsys.readouterr().out

    assert main(["validate", str(src)]) == 0
    assert "ok: test-pack 1.0.0" in capsys.readouterr().out

    out = tmp_path / "dist" / "test.kpack"
    assert main(["build", str(src), "--key", str(tmp_path / "k.key"), "-o", str(out)]) == 0
    assert "manifest_sha256" in capsys.readouterr().out

    assert main(["verify", str(out), "--trust", str(tmp_path / "k.pub")]) == 0
    assert "5 files intact" in capsys.readouterr().out

    assert main(["inspect", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "test-pack 1.0.0" in summary and "media/room.png" in summary and "not checked" in summary

    assert main(["inspect", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["id"] == "test-pack" and doc["version"] == "1.0.0"
    assert {"path", "size", "sha256"} == set(doc["files"][0])
    assert len(doc["manifest_sha256"]) == 64


def test_validate_reports_every_problem_with_lines(tmp_path, capsys):
    src = make_pack(tmp_path / "src")
    (src / "media" / "room.png").unlink()
    (src / "media" / "slide1.png").unlink()
    assert main(["validate", str(src)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert all(line.startswith("error: pack.toml:") for line in err)
    assert "scenes[0].slides[0].image" in err[0] and "scenes[2].image" in err[1]


def test_verify_with_wrong_key_says_why(tmp_path, capsys):
    src = make_pack(tmp_path / "src")
    main(["keygen", "--out", str(tmp_path / "a")])
    main(["keygen", "--out", str(tmp_path / "b")])
    main(["build", str(src), "--key", str(tmp_path / "a.key"), "-o", str(tmp_path / "p.kpack")])
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "p.kpack"), "--trust", str(tmp_path / "b.pub")]) == 1
    assert "unknown key" in capsys.readouterr().err
    # Several --trust options: any one of them may have signed it.
    assert (
        main(
            [
                "verify",
                str(tmp_path / "p.kpack"),
                "--trust",
                str(tmp_path / "b.pub"),
                "--trust",
                str(tmp_path / "a.pub"),
            ]
        )
        == 0
    )


def test_verify_refuses_downgrade_and_tampering(tmp_path, capsys):
    src = make_pack(tmp_path / "src")
    main(["keygen", "--out", str(tmp_path / "k")])
    main(["build", str(src), "--key", str(tmp_path / "k.key"), "-o", str(tmp_path / "p.kpack")])
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "p.kpack"), "--trust", str(tmp_path / "k.pub"), "--installed", "1.2.0"]) == 1
    assert "refusing to downgrade" in capsys.readouterr().err

    with zipfile.ZipFile(tmp_path / "p.kpack") as zf, zipfile.ZipFile(tmp_path / "t.kpack", "w") as out:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == "files/pack.toml":
                data = data.replace(b"Touch to start", b"Touch to STAR")
                data += b" "
            out.writestr(info, data)
    assert main(["verify", str(tmp_path / "t.kpack"), "--trust", str(tmp_path / "k.pub")]) == 1
    assert "pack.toml" in capsys.readouterr().err


def test_missing_files_are_errors_not_tracebacks(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "none.kpack"), "--trust", str(tmp_path / "none.pub")]) == 1
    assert capsys.readouterr().err.startswith("error: ")
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert main(["build", str(tmp_path), "--key", str(tmp_path / "none.key")]) == 1


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "x.kpack"])  # --trust is required
    assert exit_.value.code == 2
    assert "--trust" in capsys.readouterr().err
