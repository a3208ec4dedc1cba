"""Venues without a network, through the public commands: packs in on a stick, events out on it, acks back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kepu_contracts import sneakernet
from kepu_contracts.outbox import Outbox
from tests.conftest import REPO, SAMPLES
from tests.support.agent import FakeKiosk, wait_until

PACK = SAMPLES / "earthquake-fire-safety"


def run(*argv: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    done = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, env=env, timeout=300)
    if ok:
        assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def enroll(ctl: Path, exhibit: str) -> str:
    out = run("controller", "enroll", exhibit, "--data", str(ctl)).stdout
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("api_token: "))


def events_at_controller(ctl: Path, exhibit: str) -> int:
    with sqlite3.connect(ctl / "controller.db") as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE exhibit = ?", [exhibit]).fetchone()[0]


@pytest.fixture
def venue(tmp_path):
    """A controller data dir with two enrolled exhibits; ex-usb's data dir full of simulated visits."""
    ctl, data, usb = tmp_path / "ctl", tmp_path / "ex-usb", tmp_path / "stick"
    token = enroll(ctl, "ex-usb")
    other = enroll(ctl, "ex-other")
    (tmp_path / "token").write_text(token + "\n")
    summary = json.loads(
        run("kiosk", "simulate", "--pack", str(PACK), "--data", str(data), "--sessions", "40", "--seed", "7")
        .stdout.strip()
        .splitlines()[-1]
    )
    return ctl, data, usb, tmp_path / "token", summary, token, other


def test_round_trip_counts_every_visit_once_and_refuses_forgeries(venue, tmp_path):
    ctl, data, usb, token_file, summary, _token, other_token = venue
    truth = summary["events"]
    outbox = Outbox(data / "outbox.db")
    assert outbox.count("events") == truth
    outbox.close()
    # 1. The exhibit writes its unacknowledged events to the stick.
    out = run(
        "exhibit_agent",
        "export-outbox",
        str(usb / "kepu" / "outbox"),
        "--data",
        str(data),
        "--exhibit",
        "ex-usb",
        "--token-file",
        str(token_file),
    ).stdout
    (export,) = (usb / "kepu" / "outbox").glob("*.kout")
    assert f"{truth} events" in out
    # 2. The controller (not running) imports it: every event, once.
    out = run("controller", "import", str(export), "--data", str(ctl)).stdout
    assert events_at_controller(ctl, "ex-usb") == truth, out
    assert f"{truth} new" in out
    with sqlite3.connect(ctl / "controller.db") as db:
        assert db.execute("SELECT COUNT(*) FROM visits WHERE exhibit='ex-usb'").fetchone()[0] == summary["sessions"]
    # 3. Importing the same file again changes nothing.
    out = run("controller", "import", str(export), "--data", str(ctl)).stdout
    assert events_at_controller(ctl, "ex-usb") == truth and "0 new" in out
    # 4. Rows leave the outbox only with the controller's ack, carried back on the stick.
    outbox = Outbox(data / "outbox.db")
    assert outbox.count("events") == truth, "exported is not acknowledged"
    outbox.close()
    out = run(
        "exhibit_agent",
        "apply-acks",
        str(usb),
        "--data",
        str(data),
        "--exhibit",
        "ex-usb",
        "--token-file",
        str(token_file),
    ).stdout
    assert f"{truth} acknowledged rows left" in out
    outbox = Outbox(data / "outbox.db")
    assert outbox.count() == 0
    outbox.close()

    # A hand-edited file is refused and changes nothing.
    doc = json.loads(export.read_text())
    doc["events"][0]["type"] = "rating"
    edited = tmp_path / "edited.kout"
    edited.write_text(json.dumps(doc))
    done = run("controller", "import", str(edited), "--data", str(ctl), ok=False)
    assert done.returncode == 2 and "edited by hand or damaged" in done.stderr
    # A file made with another exhibit's key for this one (a forgery) is refused too.
    body = {k: v for k, v in json.loads(export.read_text()).items() if k not in ("digest", "mac")}
    body["export_id"] = "f" * 32
    body["events"] = [{**e, "id": e["id"] + "-forged"} for e in body["events"]]
    forged = tmp_path / "forged.kout"
    forged.write_bytes(sneakernet.seal(body, sneakernet.device_key(other_token)))
    done = run("controller", "import", str(forged), "--data", str(ctl), ok=False)
    assert done.returncode == 2 and "sealed with 'ex-other''s key" in done.stderr
    # And with a key nobody has.
    forged.write_bytes(sneakernet.seal(body, sneakernet.device_key("guessed")))
    done = run("controller", "import", str(forged), "--data", str(ctl), ok=False)
    assert "not sealed with exhibit 'ex-usb''s device token" in done.stderr
    assert events_at_controller(ctl, "ex-usb") == truth


def test_export_needs_the_token_and_an_outbox(tmp_path):
    done = run(
        "exhibit_agent", "export-outbox", str(tmp_path / "o"), "--data", str(tmp_path), "--exhibit", "e", ok=False
    )
    assert done.returncode == 2 and "device token" in done.stderr
    (tmp_path / "t").write_text("tok")
    done = run(
        "exhibit_agent",
        "export-outbox",
        str(tmp_path / "o"),
        "--data",
        str(tmp_path / "none"),
        "--exhibit",
        "e",
        "--token-file",
        str(tmp_path / "t"),
        ok=False,
    )
    assert "no outbox" in done.stderr


def test_dashboard_upload_imports_idempotently(venue, tmp_path):
    import re

    import httpx

    from controller.devtools.server import ServerThread
    from controller.settings import Settings
    from controller.web.app import create_app

    ctl, data, usb, token_file, summary, _token, _other = venue
    run(
        "exhibit_agent",
        "export-outbox",
        str(usb),
        "--data",
        str(data),
        "--exhibit",
        "ex-usb",
        "--token-file",
        str(token_file),
    )
    (export,) = usb.glob("*.kout")
    app = create_app(Settings(data_dir=ctl, admin_token="adm"), run_scheduler=False)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, follow_redirects=True, timeout=30) as c:
        c.post("/login", data={"token": "adm"})
        page = c.get("/venues").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        for _ in range(2):
            done = c.post("/sneakernet/import", data={"csrf": csrf}, files={"file": (export.name, export.read_bytes())})
            assert 'data-testid="flash-ok"' in done.text
        assert events_at_controller(ctl, "ex-usb") == summary["events"]
        ack = re.search(r'href="(/sneakernet/acks/[^"]+)"', done.text).group(1)
        body = c.get(ack)
        assert body.status_code == 200 and json.loads(body.content)["format"] == "kepu-ack"
        bad = c.post("/sneakernet/import", data={"csrf": csrf}, files={"file": ("x.kout", b"{}")})
        assert "not a kepu-outbox file" in bad.text


def signed(tmp_path: Path, key_name: str, version: str) -> tuple[Path, Path]:
    from content_packs.archive import build_pack
    from content_packs.signing import generate_keypair
    from content_packs.testing import make_pack

    keys = tmp_path / f"keys-{key_name}"
    keys.mkdir(exist_ok=True)
    if not (keys / "signing.key").exists():
        generate_keypair(keys / "signing")
    source = make_pack(tmp_path / f"src-{key_name}-{version}", "usb-pack", version)
    out = tmp_path / f"out-{key_name}-{version}"
    out.mkdir()
    return build_pack(source, keys / "signing.key", out), keys / "signing.pub"


def test_install_from_a_stick_uses_the_verified_path_and_refuses_bad_packs(tmp_path):
    data = tmp_path / "ex-usb"
    data.mkdir()
    stick = tmp_path / "stick" / "kepu"
    stick.mkdir(parents=True)
    v2, trusted = signed(tmp_path, "ours", "2.0.0")
    kiosk = FakeKiosk(data).start()
    try:
        (stick / v2.name).write_bytes(v2.read_bytes())
        out = run(
            "exhibit_agent",
            "install-from",
            str(stick.parent),
            "--data",
            str(data),
            "--trusted-key",
            str(trusted),
            "--kiosk-timeout",
            "20",
        ).stdout
        assert "usb-pack 2.0.0 ok" in out
        assert os.readlink(data / "packs" / "current") == "usb-pack-2.0.0"
        for path in stick.iterdir():
            path.unlink()
        v1, _ = signed(tmp_path, "ours", "1.0.0")
        foreign, _ = signed(tmp_path, "theirs", "3.0.0")
        (stick / v1.name).write_bytes(v1.read_bytes())
        (stick / ("foreign-" + foreign.name)).write_bytes(foreign.read_bytes())
        unsigned = stick / "unsigned.kpack"
        import zipfile

        with zipfile.ZipFile(foreign) as src, zipfile.ZipFile(unsigned, "w") as dst:
            for item in src.infolist():
                if item.filename != "manifest.sig":
                    dst.writestr(item, src.read(item))
        done = run(
            "exhibit_agent",
            "install-from",
            str(stick.parent),
            "--data",
            str(data),
            "--trusted-key",
            str(trusted),
            ok=False,
        )
        assert done.returncode == 3
        lines = done.stdout.splitlines()
        assert any("1.0.0 refused" in x and "downgrade" in x for x in lines), lines
        assert any(x.startswith("foreign-") and "refused" in x for x in lines), lines
        assert any(x.startswith("unsigned") and "refused" in x for x in lines), lines
        assert os.readlink(data / "packs" / "current") == "usb-pack-2.0.0", "nothing changed"
        outbox = Outbox(data / "outbox.db")
        reported = [r for r in outbox.pending(limit=100) if r.type.startswith("pack_install_")]
        outbox.close()
        assert reported[0].type == "pack_install_ok" and reported[0].data["source"] == "usb"
        assert {r.type for r in reported[1:]} == {"pack_install_refused"}
    finally:
        kiosk.stop()


def test_agent_handles_a_mounted_stick_by_itself(tmp_path):
    from exhibit_agent.agent import Agent
    from exhibit_agent.config import build_config
    from tests.support.agent import write_events

    data = tmp_path / "ex-usb"
    data.mkdir()
    v1, trusted = signed(tmp_path, "ours", "1.0.0")
    outbox = Outbox(data / "outbox.db")
    write_events(outbox, 25)
    outbox.close()
    config = build_config(
        {
            "exhibit": "ex-usb",
            "mqtt": "mqtt://127.0.0.1:9",  # never connects
            "data": data,
            "trusted_keys": [str(trusted)],
            "controller_token": "device-token-of-ex-usb",
            "usb_roots": [str(tmp_path / "media" / "*" / "kepu")],
            "kiosk_load_timeout": 20,
        }
    )
    kiosk = FakeKiosk(data).start()
    agent = Agent(config)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        stick = tmp_path / "media" / "usb0" / "kepu"
        stick.mkdir(parents=True)
        (stick / v1.name).write_bytes(v1.read_bytes())
        assert wait_until(lambda: os.path.islink(data / "packs" / "current"), 30), "the pack is installed"
        assert wait_until(lambda: list((stick / "outbox").glob("*.kout")), 30), "the outbox is exported"
        (export,) = (stick / "outbox").glob("*.kout")
        sealed = sneakernet.open_sealed(export.read_bytes(), sneakernet.OUTBOX_FORMAT)
        assert sealed.authentic(sneakernet.device_key("device-token-of-ex-usb"))
        assert len(sealed.body["events"]) >= 25
    finally:
        stop.set()
        thread.join(10)
        kiosk.stop()
