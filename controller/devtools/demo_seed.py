"""What the demo stack starts with: a signing key, the sample packs, venues and itineraries.

Everything goes through the public HTTP API with the admin token, exactly as a
technician's script would, so the demo also exercises upload, review and planning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from content_packs.archive import build_pack
from content_packs.signing import generate_keypair

OPEN_DAILY = {day: ["09:00-21:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CLOSED_MONDAY = {**OPEN_DAILY, "mon": []}
# A 24-hour self-service science corner: whenever the demo runs, at least one venue is open.
ROUND_THE_CLOCK = {day: ["00:00-24:00"] for day in OPEN_DAILY}


@dataclass(frozen=True)
class DemoVenue:
    id: str
    name: str
    region: str
    opening_hours: dict


VENUES = (
    DemoVenue("v-yuehai", "粤海街道科普e站", "广东省/深圳市/南山区/粤海街道", OPEN_DAILY),
    DemoVenue("v-shekou", "蛇口社区科普馆", "广东省/深圳市/南山区/蛇口街道", CLOSED_MONDAY),
    DemoVenue("v-huafu", "华富街道党群服务中心（24小时科普角）", "广东省/深圳市/福田区/华富街道", ROUND_THE_CLOCK),
    DemoVenue("v-xiangmihu", "香蜜湖街道少年科学院", "广东省/深圳市/福田区/香蜜湖街道", CLOSED_MONDAY),
)

# Each exhibit's itinerary: (venue, days from today the stay starts, days it lasts).
# The first exhibit moved venues ten days ago, so its counts are split between two venues.
ITINERARIES = {
    "ex-quake-01": (("v-shekou", -40, 30), ("v-yuehai", -10, 60), ("v-xiangmihu", 52, 60)),
    "ex-food-01": (("v-huafu", -25, 75),),
    "ex-scam-01": (("v-yuehai", -30, 10), ("v-shekou", -18, 80)),
    "ex-carbon-01": (("v-xiangmihu", -5, 70),),
    # The 科普大屏 hangs in the 24-hour corner: its playlist runs whenever the demo does.
    "ex-screen-01": (("v-huafu", -20, 90),),
}


def make_signing_key(keys_dir: Path) -> tuple[Path, Path]:
    """The demo's pack signing key pair (reused when the demo data folder is reused)."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    private, public = keys_dir / "demo-signer.key", keys_dir / "demo-signer.pub"
    if not private.exists():
        generate_keypair(keys_dir / "demo-signer")
    return private, public


def build_samples(samples: list[Path], private_key: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for sample in samples:
        kpack = out_dir / f"{sample.name}.kpack"
        # Reuse an earlier run's build: the controller refuses the same version with other bytes.
        built.append(kpack if kpack.exists() else build_pack(sample, private_key, kpack))
    return built


def _local_midnight(days: int, tz: ZoneInfo) -> str:
    today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today + timedelta(days=days)).isoformat(timespec="minutes")


def seed(
    base_url: str, token: str, kpacks: list[Path], exhibit_packs: dict[str, str], tz: str = "Asia/Shanghai"
) -> None:
    """Upload and approve packs, add venues, and plan each exhibit's stays with its pack."""
    zone = ZoneInfo(tz)
    with httpx.Client(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        versions: dict[str, str] = {}
        for kpack in kpacks:
            with kpack.open("rb") as f:
                response = api.post("/packs", files={"file": (kpack.name, f, "application/octet-stream")})
            response.raise_for_status()
            pack = response.json()
            versions[pack["id"]] = pack["version"]
            if pack.get("status") == "draft":
                api.post(
                    f"/packs/{pack['id']}/{pack['version']}/review", json={"status": "approved"}
                ).raise_for_status()
        existing = {v["id"] for v in api.get("/venues").json()}
        for venue in VENUES:
            if venue.id not in existing:
                api.post(
                    "/venues",
                    json={
                        "id": venue.id,
                        "name": venue.name,
                        "region": venue.region,
                        "opening_hours": venue.opening_hours,
                    },
                ).raise_for_status()
        for exhibit, stays in ITINERARIES.items():
            if exhibit not in exhibit_packs:
                continue
            if api.get("/rotations", params={"exhibit": exhibit}).json():
                continue  # planned on an earlier run of the demo
            pack_id = exhibit_packs[exhibit]
            for venue_id, start, days in stays:
                api.post(
                    "/rotations",
                    json={
                        "exhibit": exhibit,
                        "venue": venue_id,
                        "starts": _local_midnight(start, zone),
                        "ends": _local_midnight(start + days, zone),
                        "pack": {"id": pack_id, "version": versions[pack_id]},
                    },
                ).raise_for_status()


EXHIBIT_NAMES = {
    "ex-quake-01": ("地震火灾避险互动屏", "广东省/深圳市"),
    "ex-food-01": ("家庭食品安全互动屏", "广东省/深圳市"),
    "ex-scam-01": ("智慧助老·防诈骗互动屏", "广东省/深圳市"),
    "ex-carbon-01": ("低碳生活互动屏", "广东省/深圳市"),
    "ex-screen-01": ("社区科普大屏", "广东省/深圳市"),
}


@dataclass(frozen=True)
class Credentials:
    controller_password: str
    devices: dict[str, str]  # exhibit -> MQTT password
    tokens: dict[str, str]  # exhibit -> device API token (pack downloads, screenshot uploads)
    password_file: Path
    acl_file: Path


def enroll_exhibits(controller_data: Path, exhibits: list[str]) -> Credentials:
    """Enroll each exhibit as a technician would: its own MQTT login limited to its own topics."""
    import time

    from controller.domain.enroll import enroll, ensure_controller_user
    from controller.store.db import Store

    controller_data.mkdir(parents=True, exist_ok=True)
    store = Store(controller_data / "controller.db")
    devices: dict[str, str] = {}
    tokens: dict[str, str] = {}
    try:
        controller_password = ensure_controller_user(controller_data)
        for exhibit in exhibits:
            name, region = EXHIBIT_NAMES.get(exhibit, (exhibit, ""))
            result = enroll(store, controller_data, exhibit, time.time(), actor="demo", name=name, region=region)
            devices[exhibit] = result.mqtt_password
            tokens[exhibit] = result.api_token
            password_file, acl_file = result.password_file, result.acl_file
    finally:
        store.close()
    return Credentials(controller_password, devices, tokens, password_file, acl_file)


def agent_config(
    path: Path,
    exhibit: str,
    data: Path,
    mqtt_url: str,
    controller_url: str,
    trusted_key: Path,
    password: str | None = None,
    token: str | None = None,
) -> Path:
    """The TOML file a real exhibit would have in /etc/kepu/agent.toml."""
    login = f'username = "{exhibit}"\npassword = "{password}"\n' if password else ""
    device_token = f'controller_token = "{token}"\n' if token else ""
    path.write_text(
        f'exhibit = "{exhibit}"\n'
        f'data = "{data}"\n'
        f'controller = "{controller_url}"\n'
        f"{device_token}"
        f'trusted_keys = ["{trusted_key}"]\n\n'
        f"[mqtt]\n"
        f'url = "{mqtt_url}"\n{login}\n'
        f"[health]\ninterval = 10\n"
    )
    path.chmod(0o600)
    return path
