"""Install a signed pack: fetch, verify, assemble, switch `DATA/packs/current`, confirm, or roll back.

The order makes every crash point safe (DESIGN.md: "an exhibit always plays a complete,
verified pack"):

1. manifest + signature fetched and checked (trusted key, manifest_sha256, id/version);
2. missing blobs downloaded into `DATA/store` by sha256 (resumed, each hash-checked);
3. the pack assembled under `packs/.staging-*` with hard links, fsynced, then renamed to
   `packs/<id>-<version>` — a directory with that name is therefore always complete;
4. `install.json` records the switch as pending, then `current` is switched atomically;
5. the kiosk must report the pack "loaded" in `kiosk.json` within the timeout, otherwise
   `current` goes back to the previous pack and the manifest is remembered as bad.

A kill -9 anywhere leaves `current` on a complete pack; `recover()` at the next start
removes staging leftovers and finishes a pending confirmation.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from content_packs.errors import PackError
from content_packs.fsutil import fsync_dir, write_bytes_atomic
from content_packs.manifest import Manifest, compare_versions, parse_manifest, read_signed_manifest
from content_packs.signing import KeyLike
from content_packs.store import BlobStore
from exhibit_agent.fetch import Fetcher, FetchError
from kepu_contracts.datadir import DataDir, link_target, read_json, switch_symlink, write_json_atomic
from kepu_contracts.heartbeat import read_kiosk_status
from kepu_contracts.messages import PackRef

log = logging.getLogger(__name__)

MANIFEST = ".kepu-manifest.json"  # hidden: pack builds skip dotfiles, so it never collides with pack content
SIGNATURE = ".kepu-manifest.sig"


@dataclass(frozen=True)
class InstallOutcome:
    """ok, rolled_back, refused (won't retry this manifest) or retrying (transient, e.g. network)."""

    pack: dict[str, str]
    result: str
    reason: str | None = None
    manifest_sha256: str | None = None


class Cancelled(Exception):
    """The desired pack changed while this one was downloading."""


class Installer:
    """Owns `DATA/packs` and `DATA/store`; one install at a time (the agent runs it on a worker thread)."""

    def __init__(
        self,
        data: Path,
        trusted_keys: Iterable[KeyLike],
        fetcher: Fetcher | None,
        *,
        kiosk_timeout: float = 60.0,
        poll: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.data = Path(data)
        self.packs = DataDir(self.data).packs
        self.packs.mkdir(parents=True, exist_ok=True)
        self.store = BlobStore(self.data / "store")
        self.trusted_keys = list(trusted_keys)
        self.fetcher = fetcher
        self.kiosk_timeout = kiosk_timeout
        self.poll = poll
        self.clock = clock
        self.state_path = self.data / "install.json"

    # -- state ---------------------------------------------------------------

    @property
    def current_link(self) -> Path:
        return self.packs / "current"

    def _state(self) -> dict:
        state = read_json(self.state_path, {})
        return state if isinstance(state, dict) else {}

    def _save(self, state: dict) -> None:
        write_json_atomic(self.state_path, state)

    def current_dir(self) -> str | None:
        return link_target(self.current_link)

    def manifest_of(self, dirname: str | None) -> tuple[Manifest, str] | None:
        """The manifest (and its sha256) of an installed pack directory."""
        if not dirname:
            return None
        try:
            raw = (self.packs / dirname / MANIFEST).read_bytes()
            manifest = parse_manifest(raw)
        except (OSError, PackError):
            return None
        return manifest, manifest.sha256

    def installed(self) -> dict[str, str] | None:
        """{id, version} of the pack `current` points at."""
        found = self.manifest_of(self.current_dir())
        return {"id": found[0].id, "version": found[0].version} if found else None

    def is_bad(self, ref: PackRef) -> InstallOutcome | None:
        """The remembered outcome if this exact manifest was refused or rolled back before."""
        bad = self._state().get("bad", {}).get(ref.manifest_sha256)
        if bad:
            return InstallOutcome(ref.brief(), bad["result"], bad["reason"], ref.manifest_sha256)
        return None

    def needs(self, ref: PackRef) -> bool:
        """Whether installing `ref` would change anything (not installed, not known bad)."""
        found = self.manifest_of(self.current_dir())
        if found and found[1] == ref.manifest_sha256:
            return False
        return self.is_bad(ref) is None

    # -- recovery ------------------------------------------------------------

    def recover(self) -> InstallOutcome | None:
        """Clean up after a crash; finish a pending kiosk confirmation. Call once at start."""
        for leftover in self.packs.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        (self.packs / ".current.tmp").unlink(missing_ok=True)
        state = self._state()
        pending = state.get("pending")
        if not pending:
            return None
        if self.current_dir() != pending["dir"]:
            # Died before the switch: the old pack is still current and nothing was promised.
            state.pop("pending")
            self._save(state)
            return None
        log.info("resuming the kiosk check of %s after a restart", pending["dir"])
        return self._confirm(pending, threading.Event())

    # -- install -------------------------------------------------------------

    def install(self, ref: PackRef, cancel: threading.Event | None = None) -> InstallOutcome:
        """Bring `current` to `ref`; never raises for a bad pack or a network error."""
        cancel = cancel or threading.Event()
        if not self.needs(ref):
            return self.is_bad(ref) or InstallOutcome(ref.brief(), "ok", "already installed", ref.manifest_sha256)
        try:
            manifest, raw, sig = self._fetch_and_verify(ref)
            self._download(manifest, cancel)
            dirname = self._assemble(manifest, raw, sig)
        except Cancelled:
            return InstallOutcome(ref.brief(), "retrying", "the desired pack changed", ref.manifest_sha256)
        except FetchError as exc:
            return InstallOutcome(ref.brief(), "retrying", f"controller unreachable: {exc}", ref.manifest_sha256)
        except PackError as exc:
            return self._remember_bad(ref, "refused", str(exc))
        except OSError as exc:
            # Disk full or I/O error: not the pack's fault, try again later.
            return InstallOutcome(ref.brief(), "retrying", f"local disk error: {exc}", ref.manifest_sha256)
        pending = {
            "dir": dirname,
            "previous": self.current_dir(),
            "pack": ref.brief(),
            "manifest_sha256": ref.manifest_sha256,
        }
        state = self._state()
        state["pending"] = pending
        self._save(state)
        switch_symlink(self.current_link, dirname)
        return self._confirm(pending, cancel)

    def _fetch_and_verify(self, ref: PackRef) -> tuple[Manifest, bytes, bytes]:
        if self.fetcher is None:
            raise FetchError("no controller URL configured")
        raw, sig = self.fetcher.fetch_manifest(ref.url)
        manifest = read_signed_manifest(raw, sig, self.trusted_keys, expected_sha256=ref.manifest_sha256)
        if (manifest.id, manifest.version) != (ref.id, ref.version):
            raise PackError(
                f"the manifest is {manifest.id} {manifest.version}, but {ref.id} {ref.version} was announced"
            )
        current = self.manifest_of(self.current_dir())
        if current and current[0].id == manifest.id and compare_versions(manifest.version, current[0].version) < 0:
            # A replayed old desired state must not roll the exhibit back; a new version must be published.
            raise PackError(
                f"version {manifest.version} is older than the installed {current[0].version}; refusing to downgrade"
            )
        self.store.put_manifest(raw, sig)
        return manifest, raw, sig

    def _download(self, manifest: Manifest, cancel: threading.Event) -> None:
        if self.fetcher is None:
            raise FetchError("no controller URL configured")
        sizes = {f.sha256: f.size for f in manifest.files}
        for sha in self.store.missing(manifest):
            if cancel.is_set():
                raise Cancelled()
            self.fetcher.download_blob(self.store, sha, sizes[sha])

    def _assemble(self, manifest: Manifest, raw: bytes, sig: bytes) -> str:
        dirname = f"{manifest.id}-{manifest.version}"
        final = self.packs / dirname
        if final.exists():
            if dirname in (self.current_dir(), self._state().get("previous")) and self._complete(final, manifest):
                return dirname
            # Not in use: rebuild it rather than trust a directory of unknown history.
            shutil.rmtree(final)
        staging = self.packs / f".staging-{dirname}-{os.getpid()}-{time.monotonic_ns()}"
        self.store.assemble(manifest, staging)
        write_bytes_atomic(staging / SIGNATURE, sig)
        write_bytes_atomic(staging / MANIFEST, raw)
        os.rename(staging, final)
        fsync_dir(self.packs)
        return dirname

    def _complete(self, folder: Path, manifest: Manifest) -> bool:
        found = self.manifest_of(folder.name)
        if not found or found[1] != manifest.sha256:
            return False
        return all((folder / f.path).is_file() and (folder / f.path).stat().st_size == f.size for f in manifest.files)

    # -- confirm or roll back ----------------------------------------------

    def _confirm(self, pending: dict, cancel: threading.Event) -> InstallOutcome:
        pack = pending["pack"]
        deadline = self.clock() + self.kiosk_timeout
        status, reason = None, None
        while self.clock() < deadline:
            kiosk = read_kiosk_status(DataDir(self.data).heartbeat)
            if kiosk:
                status, reason = kiosk.pack_status(pack["id"], pack["version"])
                # "pending" = loaded and verified by the kiosk, shown once the current visitor leaves.
                if status in ("loaded", "pending", "failed"):
                    break
            time.sleep(self.poll)
        if status in ("loaded", "pending"):
            state = self._state()
            state.pop("pending", None)
            if pending["previous"] != pending["dir"]:
                state["previous"] = pending["previous"]
            self._save(state)
            self.cleanup()
            return InstallOutcome(pack, "ok", None, pending["manifest_sha256"])
        reason = (
            f"kiosk failed to load the pack: {reason}"
            if status == "failed"
            else (f"kiosk did not report the pack loaded within {self.kiosk_timeout:.0f}s")
        )
        return self._roll_back(pending, reason)

    def _roll_back(self, pending: dict, reason: str) -> InstallOutcome:
        previous = pending["previous"]
        if previous and (self.packs / previous).is_dir():
            switch_symlink(self.current_link, previous)
        else:
            # Nothing to go back to: an empty screen is worse than an unconfirmed pack.
            (self.current_link).unlink(missing_ok=True)
            reason += "; no previous pack, so none is current"
        log.warning("rolled back %s: %s", pending["dir"], reason)
        state = self._state()
        state.pop("pending", None)
        self._save(state)
        ref = PackRef(pending["pack"]["id"], pending["pack"]["version"], pending["manifest_sha256"], "")
        return self._remember_bad(ref, "rolled_back", reason)

    def _remember_bad(self, ref: PackRef, result: str, reason: str) -> InstallOutcome:
        state = self._state()
        state.setdefault("bad", {})[ref.manifest_sha256] = {"result": result, "reason": reason, "pack": ref.brief()}
        self._save(state)
        return InstallOutcome(ref.brief(), result, reason, ref.manifest_sha256)

    # -- space ---------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Keep the current and previous packs; delete other pack folders, manifests and blobs."""
        keep_dirs = {d for d in (self.current_dir(), self._state().get("previous")) if d}
        for child in self.packs.iterdir():
            if child.name == "current" or child.name.startswith("."):
                continue
            if child.is_dir() and child.name not in keep_dirs:
                shutil.rmtree(child, ignore_errors=True)
        kept = [found for d in keep_dirs if (found := self.manifest_of(d))]
        keep_shas = {sha for _, sha in kept}
        for sha in self.store.manifests():
            if sha not in keep_shas:
                self.store.delete_manifest(sha)
        return self.store.gc([m for m, _ in kept])
