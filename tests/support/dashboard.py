"""Seed data for the dashboard tests and screenshots: venues, itineraries, packs and weeks of visits.

Named test_dashboard_* to live with the dashboard tests; it holds no tests itself.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from content_packs.archive import build_pack
from content_packs.signing import generate_keypair
from content_packs.store import BlobStore
from content_packs.testing import make_pack
from controller.core import Controller
from controller.domain import fleet, health_history, packs, rotations, venues
from controller.domain.auth import Principal, issue_token
from kepu_contracts.protocol import encode, exhibit_topic

# 2025-05-12 15:00 in Shanghai (防灾减灾日), a Monday.
NOW = 1_747_033_200.0
DAY = 86400.0
TZ = "Asia/Shanghai"
ADMIN = Principal(id="admin", role="admin")

VENUES = (
    ("v-yuehai", "粤海街道科普室", "guangdong/shenzhen/nanshan/yuehai"),
    ("v-shekou", "蛇口社区党群服务中心", "guangdong/shenzhen/nanshan/shekou"),
    ("v-lianhua", "莲花街道少年宫科普角", "guangdong/shenzhen/futian/lianhua"),
)
EXHIBITS = (
    ("ex-quake-01", "地震逃生体验", "guangdong/shenzhen/nanshan"),
    ("ex-food-01", "厨房食品安全", "guangdong/shenzhen/nanshan"),
    ("ex-scam-01", "防诈骗小课堂", "guangdong/shenzhen/futian"),
    ("ex-carbon-01", "低碳生活", "guangdong/shenzhen"),
)
# exhibit, venue, start day, end day (relative to NOW)
STAYS = (
    ("ex-quake-01", "v-lianhua", -75, -31),
    ("ex-quake-01", "v-yuehai", -30, 30),
    ("ex-quake-01", "v-shekou", 31, 100),
    ("ex-food-01", "v-shekou", -40, 20),
    ("ex-scam-01", "v-lianhua", -25, 50),
    ("ex-carbon-01", "v-yuehai", -60, -5),
    ("ex-carbon-01", "v-lianhua", 10, 70),
)


def signing_key(data_dir: Path) -> Path:
    """A signing key pair whose public half the controller trusts (DATA/trusted_keys/)."""
    private, _ = generate_keypair(data_dir / "trusted_keys" / "dashboard-tests")
    return private


def build_kpack(work: Path, key: Path, pack_id: str, version: str) -> Path:
    source = make_pack(work / f"{pack_id}-{version}-src", pack_id=pack_id, version=version)
    return build_pack(source, key, work / "built")


def seed(controller: Controller, work: Path, clock, sessions_per_day: int = 12) -> dict:
    """Fill a controller (with a ManualClock at NOW) with a small, realistic district; returns tokens."""
    rng = random.Random(7)
    store = controller.store
    with store.write() as db:
        for vid, name, region in VENUES:
            venues.create(db, ADMIN, {"id": vid, "name": name, "region": region}, NOW - 90 * DAY)
        for eid, name, region in EXHIBITS:
            fleet.register(db, eid, NOW - 90 * DAY, name=name, region=region, enrolled=True)
        for eid, vid, a, b in STAYS:
            rotations.create(
                db, ADMIN, {"exhibit": eid, "venue": vid}, NOW + a * DAY - 15 * 3600, NOW + b * DAY - 15 * 3600, NOW, TZ
            )
        users = {}
        for uid, role, region in (
            ("li.viewer", "viewer", "guangdong/shenzhen"),
            ("wang.nanshan", "technician", "guangdong/shenzhen/nanshan"),
            ("zhao.reviewer", "reviewer", ""),
        ):
            db["users"].insert({"id": uid, "name": uid, "role": role, "region": region, "created": NOW})
            users[uid] = issue_token(db, NOW, user=uid)
    key = signing_key(controller.settings.data_dir)
    blobs = BlobStore(controller.settings.data_dir / "store")
    keys = packs.trusted_keys([], controller.settings.data_dir)
    for pack_id, version, status in (("quake-safety", "1.0.0", "approved"), ("food-safety", "1.1.0", "draft")):
        kpack = build_kpack(work, key, pack_id, version)
        packs.upload(store, blobs, keys, kpack, ADMIN, NOW - 20 * DAY)
        if status != "draft":
            packs.review(store, pack_id, version, status, ADMIN, NOW - 19 * DAY)
    with store.write() as db:
        venues.update(db, ADMIN, "v-yuehai", {"default_pack": {"id": "quake-safety", "version": "1.0.0"}}, NOW)

    # Online since three weeks ago (scam went offline two hours ago), then visits.
    clock.set(NOW - 21 * DAY)
    for eid, *_ in EXHIBITS[:3]:
        controller.handle_message(
            exhibit_topic(eid, "state"),
            encode(
                {
                    "online": True,
                    "exhibit": eid,
                    "pack": {"id": "quake-safety", "version": "1.0.0"} if eid == "ex-quake-01" else None,
                }
            ),
        )
    clock.set(NOW - 2 * 3600)
    controller.handle_message(
        exhibit_topic("ex-scam-01", "state"), encode({"online": False, "exhibit": "ex-scam-01", "reason": "lost"})
    )
    clock.set(NOW)
    controller.ingester.tick()
    # A week of health history (hourly here; the agent's 30 s messages thin to one per 5 minutes).
    with store.write() as db:
        for n, (eid, *_) in enumerate(EXHIBITS[:3]):
            for hour in range(7 * 24, 0, -1):
                if n == 2 and hour <= 2:
                    continue  # offline for the last two hours
                warm = 6 * math.sin((hour % 24) / 24 * 2 * math.pi) + rng.uniform(-1, 1)
                health_history.record(
                    db,
                    eid,
                    {
                        "cpu_temp": round(48.5 + n * 9 + warm, 1),
                        "fps": 60 - n * 7 - (hour % 5 == 0) * 8,
                        "disk_free": int((14 - n * 5) * 1e9 + hour * 2e6),
                        "kiosk": {"alive": not (n == 2 and hour < 30)},
                        "undervoltage": n == 1 and hour % 37 == 0,
                    },
                    NOW - hour * 3600,
                )
    for n, (eid, *_) in enumerate(EXHIBITS[:3]):
        controller.handle_message(
            exhibit_topic(eid, "health"),
            encode(
                {
                    "exhibit": eid,
                    "at": NOW,
                    "uptime": 86400 * 3 + n * 5000,
                    "fps": 60 - n * 7,
                    "cpu_temp": 48.5 + n * 9,
                    "disk_free": int((14 - n * 5) * 1e9),
                    "kiosk": {"alive": n != 2, "fps": 60 - n * 7},
                    "outbox": {"backlog": {"events": n * 3}},
                }
            ),
        )
        controller.handle_message(
            exhibit_topic(eid, "reported"),
            encode(
                {
                    "installed": {"id": "quake-safety", "version": "1.0.0"} if n == 0 else None,
                    "playing": None,
                    "last_install": {
                        "pack": {"id": "quake-safety", "version": "1.0.0"},
                        "result": "ok",
                        "reason": None,
                        "at": "2025-05-11T10:00:00+08:00",
                    }
                    if n == 0
                    else None,
                    "emergency": None,
                }
            ),
        )
    packs_by_exhibit = {
        "ex-quake-01": "quake-safety",
        "ex-food-01": "food-safety",
        "ex-scam-01": "phone-scam-seniors",
        "ex-carbon-01": "low-carbon-living",
    }
    for eid, *_ in EXHIBITS:
        events, seq = [], 0

        def add(ts: float, kind: str, session: str | None = None, **data) -> None:
            nonlocal seq
            seq += 1
            events.append(
                {
                    "id": f"{eid}-{seq}",
                    "seq": seq,
                    "ts": ts,
                    "mono": float(seq),
                    "boot": "seed",
                    "synced": True,
                    "type": kind,
                    "session": session,
                    "scene": None,
                    "data": {"pack": packs_by_exhibit[eid], **data},
                }
            )

        for day in range(28, -1, -1):
            base = NOW - day * DAY - 15 * 3600  # local midnight
            weekend = (day % 7) in (1, 2)
            count = rng.randint(sessions_per_day // 2, sessions_per_day) * (2 if weekend else 1)
            if day == 0:
                count = count // 2
            for i in range(count):
                hour = rng.choice((9, 10, 10, 11, 14, 15, 15, 16, 16, 17, 19))
                if day == 0 and hour >= 15:
                    hour = rng.choice((9, 10, 11, 14))
                start = base + hour * 3600 + rng.uniform(0, 3000)
                sid = f"{eid}-d{day}-{i}"
                taps = rng.choice((1, 2, 3, 4, 6, 9))
                add(start, "session_start", sid)
                for t in range(taps):
                    add(start + 5 + t * 7, "tap", sid)
                if taps >= 3:
                    add(
                        start + 40,
                        "quiz_answer",
                        sid,
                        question="q1",
                        choice=rng.choice(("0", "0", "0", "1")),
                        correct=False,
                    )
                if taps >= 4:
                    add(start + 60, "rating", sid, value=rng.choice(("up", "up", "up", "down")))
                add(start + 10 + taps * 8, "session_end", sid, duration=5 + taps * 8.0, interactions=taps)
        # correct answers are choice 0
        for e in events:
            if e["type"] == "quiz_answer":
                e["data"]["correct"] = e["data"]["choice"] == "0"
        for i in range(0, len(events), 500):
            controller.handle_message(
                exhibit_topic(eid, "events"),
                encode({"exhibit": eid, "batch": f"seed-{i}", "events": events[i : i + 500]}),
            )
    controller.changed()
    return users
