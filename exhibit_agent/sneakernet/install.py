"""`kepu-agent install-from DIR`: signed .kpack files from a folder (a USB stick) through the normal installer."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from content_packs.errors import PackError
from exhibit_agent.fetch import FetchError
from exhibit_agent.installer import Installer, InstallOutcome
from exhibit_agent.sneakernet.kpack_source import KpackSource
from exhibit_agent.sneakernet.lock import install_lock
from kepu_contracts.clock import SystemClock
from kepu_contracts.datadir import write_json_atomic
from kepu_contracts.events import Event
from kepu_contracts.messages import PackRef, install_result
from kepu_contracts.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsbInstall:
    file: Path
    outcome: InstallOutcome

    def line(self) -> str:
        pack = f"{self.outcome.pack.get('id')} {self.outcome.pack.get('version')}"
        reason = f": {self.outcome.reason}" if self.outcome.reason else ""
        return f"{self.file.name}: {pack} {self.outcome.result}{reason}"


def kpack_files(folder: Path) -> list[Path]:
    """The .kpack files in `folder`, its `kepu/` and `kepu/packs/` subfolders, oldest version first."""
    seen: list[Path] = []
    for where in (folder, folder / "kepu", folder / "kepu" / "packs", folder / "packs"):
        if where.is_dir():
            seen += sorted(p for p in where.glob("*.kpack") if p.is_file() and not p.is_symlink())
    return list(dict.fromkeys(seen))


def install_from(
    folder: Path, data: Path, trusted_keys: Iterable[object], kiosk_timeout: float = 60.0
) -> list[UsbInstall]:
    """Install every .kpack found (refusing unsigned, foreign-key and downgraded ones); the outcomes, each recorded."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    files = kpack_files(folder)
    keys = list(trusted_keys)
    results: list[UsbInstall] = []
    with install_lock(data):
        for path in files:
            try:
                source = KpackSource(path)
            except PackError as exc:
                outcome = InstallOutcome({"id": "?", "version": "?"}, "refused", str(exc))
            else:
                m = source.manifest
                ref = PackRef(m.id, m.version, m.sha256, f"file://{path}")
                installer = Installer(data, keys, source, kiosk_timeout=kiosk_timeout)  # type: ignore[arg-type]
                try:
                    outcome = installer.install(ref)
                except (FetchError, OSError) as exc:
                    outcome = InstallOutcome(ref.brief(), "retrying", str(exc), m.sha256)
            results.append(UsbInstall(path, outcome))
            if outcome.reason != "already installed":
                _report(data, path, outcome)
            log.info("%s", results[-1].line())
    return results


def _report(data: Path, path: Path, outcome: InstallOutcome) -> None:
    """Like a network install: an event in the outbox (it reaches the controller once online) and last_install.json."""
    clock = SystemClock()
    outbox = Outbox(Path(data) / "outbox.db")
    try:
        outbox.append(
            [
                Event(
                    type=f"pack_install_{outcome.result}",
                    stamp=clock.stamp(),
                    data={"pack": outcome.pack, "reason": outcome.reason, "source": "usb", "file": path.name},
                )
            ]
        )
    finally:
        outbox.close()
    if outcome.pack.get("id") != "?":
        write_json_atomic(
            Path(data) / "last_install.json",
            {**install_result(outcome.pack, outcome.result, outcome.reason, clock.now()), "source": "usb"},
        )
