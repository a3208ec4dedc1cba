"""Pack install against a real HTTP server: verify, fetch only what is missing, resume, switch, roll back."""

from __future__ import annotations

import os

import pytest

from content_packs.signing import generate_keypair
from exhibit_agent.fetch import Fetcher
from exhibit_agent.installer import Installer
from kepu_contracts.messages import PackRef
from tests.support.agent import FakeKiosk, PackServer, check_current_is_complete


@pytest.fixture
def server(tmp_path):
    srv = PackServer(tmp_path / "ctl").start()
    yield srv
    srv.stop()


@pytest.fixture
def setup(tmp_path, server):
    data = tmp_path / "data"
    fetcher = Fetcher(server.url, timeout=5)
    kiosk = FakeKiosk(data).start()
    installer = Installer(data, [server.public], fetcher, kiosk_timeout=5, poll=0.02)
    yield data, installer, kiosk
    kiosk.stop()
    fetcher.close()


def ref(block: dict) -> PackRef:
    return PackRef(**block)


def test_install_verifies_assembles_switches_and_waits_for_the_kiosk(server, setup):
    data, installer, kiosk = setup
    block = server.publish_pack("quake", "1.0.0")
    outcome = installer.install(ref(block))
    assert outcome.result == "ok", outcome
    assert os.readlink(data / "packs" / "current") == "quake-1.0.0"
    assert check_current_is_complete(data, server.public) == ("quake", "1.0.0")
    assert ("quake", "1.0.0") in kiosk.loaded
    assert installer.installed() == {"id": "quake", "version": "1.0.0"}
    assert not installer.needs(ref(block)), "installing the same manifest again is a no-op"


def test_a_one_file_change_downloads_only_that_file(server, setup):
    data, installer, _kiosk = setup
    big = os.urandom(300_000)
    assert installer.install(ref(server.publish_pack("quake", "1.0.0", {"media/video.bin": big}))).result == "ok"
    before = server.bytes_served
    changed = os.urandom(5000)
    assert (
        installer.install(
            ref(server.publish_pack("quake", "1.1.0", {"media/video.bin": big, "media/new.bin": changed}))
        ).result
        == "ok"
    )
    transferred = server.bytes_served - before
    # pack.toml changed (version) and new.bin is new; video.bin and the PNGs are reused.
    assert transferred < 20_000, transferred
    assert check_current_is_complete(data, server.public) == ("quake", "1.1.0")
    # Hard links: the installed copies of unchanged files share the blob's inode.
    v1, v2 = data / "packs" / "quake-1.0.0" / "media/video.bin", data / "packs" / "quake-1.1.0" / "media/video.bin"
    assert v1.stat().st_ino == v2.stat().st_ino


def test_unsigned_or_untrusted_or_mismatched_packs_are_refused_and_change_nothing(tmp_path, server, setup):
    data, installer, _kiosk = setup
    assert installer.install(ref(server.publish_pack("quake", "1.0.0"))).result == "ok"
    stranger, _ = generate_keypair(tmp_path / "stranger")
    untrusted = server.publish_pack("quake", "2.0.0", key=stranger)
    outcome = installer.install(ref(untrusted))
    assert outcome.result == "refused" and "unknown key" in outcome.reason
    wrong_sha = dict(server.publish_pack("quake", "3.0.0"), manifest_sha256="0" * 64)
    outcome = installer.install(ref(wrong_sha))
    assert outcome.result == "refused" and "manifest_sha256" in outcome.reason
    mislabelled = dict(server.publish_pack("quake", "4.0.0"), version="5.0.0")
    assert "announced" in installer.install(ref(mislabelled)).reason
    assert os.readlink(data / "packs" / "current") == "quake-1.0.0"
    assert sorted(p.name for p in (data / "packs").iterdir()) == ["current", "quake-1.0.0"]
    # Remembered: the same bad manifest is not fetched again and again.
    requests = len(server.requests)
    assert installer.install(ref(untrusted)).result == "refused"
    assert len(server.requests) == requests


def test_downgrade_is_refused(server, setup):
    data, installer, _kiosk = setup
    old = server.publish_pack("quake", "1.0.0")
    assert installer.install(ref(server.publish_pack("quake", "2.0.0"))).result == "ok"
    outcome = installer.install(ref(old))
    assert outcome.result == "refused" and "downgrade" in outcome.reason
    assert os.readlink(data / "packs" / "current") == "quake-2.0.0"


def test_kiosk_failure_rolls_back_to_the_previous_pack(tmp_path, server):
    data = tmp_path / "data"
    kiosk = FakeKiosk(data, fail_versions=("2.0.0",)).start()
    installer = Installer(data, [server.public], Fetcher(server.url), kiosk_timeout=5, poll=0.02)
    try:
        assert installer.install(ref(server.publish_pack("quake", "1.0.0"))).result == "ok"
        outcome = installer.install(ref(server.publish_pack("quake", "2.0.0")))
        assert outcome.result == "rolled_back"
        assert "no questions" in outcome.reason
        assert os.readlink(data / "packs" / "current") == "quake-1.0.0"
        assert check_current_is_complete(data, server.public) == ("quake", "1.0.0")
    finally:
        kiosk.stop()


def test_silent_kiosk_times_out_and_rolls_back(tmp_path, server):
    data = tmp_path / "data"
    kiosk = FakeKiosk(data, silent_versions=("2.0.0",)).start()
    installer = Installer(data, [server.public], Fetcher(server.url), kiosk_timeout=10, poll=0.02)
    try:
        assert installer.install(ref(server.publish_pack("quake", "1.0.0"))).result == "ok"
        installer.kiosk_timeout = 0.5
        outcome = installer.install(ref(server.publish_pack("quake", "2.0.0")))
        assert outcome.result == "rolled_back" and "within" in outcome.reason
        assert os.readlink(data / "packs" / "current") == "quake-1.0.0"
    finally:
        kiosk.stop()


def test_cut_download_is_resumed_with_range(server, setup):
    data, installer, _kiosk = setup
    big = os.urandom(1_000_000)
    block = server.publish_pack("quake", "1.0.0", {"media/video.bin": big})
    server.cut_after = 400_000
    first = installer.install(ref(block))
    assert first.result == "retrying" and "unreachable" in first.reason
    assert not os.path.lexists(data / "packs" / "current")
    second = installer.install(ref(block))
    assert second.result == "ok", second
    ranged = [r for _, r in server.requests if r]
    assert ranged and int(ranged[0].split("=")[1].rstrip("-")) >= 200_000
    # Each byte of the big file crossed the wire about once, not twice.
    assert server.bytes_served < len(big) + 200_000
    assert check_current_is_complete(data, server.public) == ("quake", "1.0.0")


def test_controller_errors_are_retried_not_refused(server, setup):
    _data, installer, _kiosk = setup
    block = server.publish_pack("quake", "1.0.0")
    server.fail_status = 503
    assert installer.install(ref(block)).result == "retrying"
    server.fail_status = None
    assert installer.install(ref(block)).result == "ok"


def test_old_packs_and_their_blobs_are_collected_keeping_the_previous(server, setup):
    data, installer, _kiosk = setup
    blocks = [server.publish_pack("quake", f"{n}.0.0", {"media/only.bin": os.urandom(1000 + n)}) for n in (1, 2, 3)]
    for block in blocks:
        assert installer.install(ref(block)).result == "ok"
    names = sorted(p.name for p in (data / "packs").iterdir())
    assert names == ["current", "quake-2.0.0", "quake-3.0.0"]
    assert len(installer.store.manifests()) == 2
    v1_only = {e.sha256 for e in installer.store.stored_manifests()[0].files}
    assert all(installer.store.has(s) for s in v1_only)
    blob_count = sum(1 for _ in installer.store.blobs())
    needed = set().union(*(m.blobs for m in installer.store.stored_manifests()))
    assert blob_count == len(needed), "v1's unique blob is gone, everything kept is referenced"


def test_recover_cleans_staging_and_finishes_a_pending_confirmation(tmp_path, server):
    data = tmp_path / "data"
    installer = Installer(data, [server.public], Fetcher(server.url), kiosk_timeout=0.3, poll=0.02)
    kiosk = FakeKiosk(data).start()
    assert installer.install(ref(server.publish_pack("quake", "1.0.0"))).result == "ok"
    kiosk.stop()
    # Simulate a crash right after the switch to 2.0.0, before the kiosk said anything.
    silent = Installer(data, [server.public], Fetcher(server.url), kiosk_timeout=0.01, poll=0.01)
    block = server.publish_pack("quake", "2.0.0")
    real_confirm = silent._confirm
    silent._confirm = lambda pending, cancel: (_ for _ in ()).throw(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        silent.install(ref(block))
    silent._confirm = real_confirm
    assert os.readlink(data / "packs" / "current") == "quake-2.0.0"
    (data / "packs" / ".staging-junk").mkdir()
    kiosk = FakeKiosk(data).start()
    try:
        outcome = Installer(data, [server.public], Fetcher(server.url), kiosk_timeout=5, poll=0.02).recover()
        assert outcome.result == "ok"
        assert not (data / "packs" / ".staging-junk").exists()
    finally:
        kiosk.stop()


def test_pending_means_loaded_and_waiting_for_the_visitor_to_leave(tmp_path, server):
    from kepu_contracts.datadir import write_json_atomic

    data = tmp_path / "data"
    installer = Installer(data, [server.public], Fetcher(server.url), kiosk_timeout=5, poll=0.02)
    block = server.publish_pack("quake", "1.0.0")
    # The kiosk (kiosk/host.py) says "pending" while a visitor is mid-visit: that is a success.
    write_json_atomic(data / "kiosk.json", {"pid": 1, "pack": {"id": "quake", "version": "1.0.0", "status": "pending"}})
    outcome = installer.install(ref(block))
    assert outcome.result == "ok"
    assert os.readlink(data / "packs" / "current") == "quake-1.0.0"
