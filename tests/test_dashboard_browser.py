"""The dashboard in headless Chromium against a live controller fed by simulated exhibits over real Mosquitto.

Chain: kiosk simulate --live → outbox → exhibit agent → Mosquitto → controller → dashboard (Playwright).
Screenshots of every page at 1366×768 and 1920×1080 in zh and en go to $KEPU_SCREENSHOTS (default: a tmp dir).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.support.controller import session_cookies
from tests.support.e2e import Controller, Service

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("KEPU_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
EXHIBIT = "ex-web-01"
VENUE = "v-web"
REGION = "guangdong/shenzhen/nanshan/yuehai"
DEPLOY = "earthquake-fire-safety"  # built, uploaded and deployed through the dashboard
PLAYING = "food-safety-home"  # what the kiosk plays before that
PAGES = {
    "overview": "/",
    "fleet": "/fleet",
    "exhibit": "/exhibits/ex-quake-01",
    "rotations": "/rotations",
    "packs": "/packs",
    "campaigns": "/campaigns",
    "reports": "/reports",
    "login": "/login",
}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("KEPU_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _prepare(data: Path, work: Path) -> tuple[Path, Path, str]:
    """The controller's venue, exhibit, stay, device token and trusted key, written before it starts.

    Returns the .kpack, the public key to trust and the exhibit's device token (for screenshot uploads).
    """
    from content_packs.archive import build_pack
    from content_packs.signing import generate_keypair
    from controller.domain import fleet, rotations, venues
    from controller.domain.auth import Principal, issue_token
    from controller.store.db import Store

    admin, now = Principal("admin", "admin"), time.time()
    store = Store(data / "controller.db")
    try:
        with store.write() as db:
            venues.create(
                db,
                admin,
                {
                    "id": VENUE,
                    "name": "粤海街道科普室",
                    "region": REGION,
                    "opening_hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                },
                now,
            )
            fleet.register(db, EXHIBIT, now, name="地震体验 Web", region="guangdong/shenzhen/nanshan", enrolled=True)
            rotations.create(
                db, admin, {"exhibit": EXHIBIT, "venue": VENUE}, now - 86400, now + 30 * 86400, now, "Asia/Shanghai"
            )
            device_token = issue_token(db, now, exhibit=EXHIBIT, label="browser test")
    finally:
        store.close()
    key, public = generate_keypair(data / "trusted_keys" / "browser-test")
    return build_pack(SAMPLES / DEPLOY, key, work / "built"), public, device_token


def _agent(exhibit_data: Path, mqtt_url: str, controller_url: str, public_key: Path, device_token: str) -> Service:
    """kepu-agent with a config file: it must trust the key the pack is signed with."""
    config = exhibit_data / "agent.toml"
    config.write_text(
        f'exhibit = "{EXHIBIT}"\ndata = "{exhibit_data}"\ncontroller = "{controller_url}"\ncontroller_token = "{device_token}"\n'
        f'trusted_keys = ["{public_key}"]\n\n[mqtt]\nurl = "{mqtt_url}"\n\n[health]\ninterval = 2\n'
    )
    return Service(
        [sys.executable, "-m", "exhibit_agent", "run", "--config", str(config)], exhibit_data / f"agent-{EXHIBIT}.log"
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Broker, controller, one simulated exhibit (kiosk + agent); yields (controller, exhibit data dir, kpack)."""
    from controller.devtools.broker import Broker

    work = tmp_path_factory.mktemp("browser-stack")
    data = work / "controller"
    data.mkdir()
    kpack, public_key, device_token = _prepare(data, work)
    exhibit_data = work / "exhibit"
    exhibit_data.mkdir()
    with Broker(workdir=work / "broker") as broker:
        controller = Controller(data, broker.url).start()
        children: list[Service] = []
        try:
            controller.wait_ready()
            kiosk = Service(
                [
                    sys.executable,
                    "-m",
                    "kiosk",
                    "simulate",
                    "--live",
                    "--sessions",
                    "0",
                    "--pack",
                    str(SAMPLES / PLAYING),
                    "--data",
                    str(exhibit_data),
                    "--mean-gap",
                    "0.5",
                    "--think",
                    "1",
                    "--idle",
                    "3",
                    "--size",
                    "640x360",
                    "--seed",
                    "5",
                ],
                exhibit_data / "kiosk.log",
            )
            children = [
                kiosk.start(),
                _agent(exhibit_data, broker.url, controller.url, public_key, device_token).start(),
            ]
            yield controller, exhibit_data, kpack
        finally:
            for child in children:
                child.stop()
            controller.stop()


def _logged_in(browser, url: str, token: str, lang: str = "zh", size=(1366, 768)):
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#token", token)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{url}/")
    return context, page


def _desired_refused(exhibit_data: Path) -> str | None:
    """The agent's log line if it refused the controller's desired state (a protocol mismatch, not a UI fault)."""
    log = exhibit_data / f"agent-{EXHIBIT}.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return next((line for line in reversed(lines) if "ignored message" in line and "/desired" in line), None)


def _wait_or_say_why(
    page, selector: str, exhibit_data: Path, timeout: float, what: str, failed: str | None = None
) -> None:
    """Wait for `selector`; fail at once, naming the cause, if the dashboard shows `failed` or the agent refuses desired state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator(selector).count():
            return
        if failed and page.locator(failed).count():
            raise AssertionError(
                f"{what} failed; the dashboard says: {page.locator(failed).first.locator('xpath=..').inner_text()}"
            )
        refused = _desired_refused(exhibit_data)
        if refused:
            raise AssertionError(
                f"{what}: the agent refuses the controller's desired state: {refused.split(': ', 1)[-1]}"
            )
        page.wait_for_timeout(500)
    raise AssertionError(f"{what}: {selector} did not appear within {timeout:.0f}s")


def _appears(page, selector: str, timeout: float) -> bool:
    try:
        page.wait_for_selector(selector, timeout=timeout * 1000)
    except playwright_api.TimeoutError:
        return False
    return True


def _wait_for_file(path: Path, text: str, timeout: float, why, present: bool = True) -> None:
    """Wait until `text` is (or is no longer) in the exhibit's file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if (text in content) == present:
            return
        time.sleep(0.25)
    raise AssertionError(
        f"{path.name} {'never got' if present else 'still has'} {text!r} after {timeout:.0f}s {why() if why else ''}"
    )


def _number(text: str) -> int:
    return int(text.replace(",", "").split("/")[0].strip() or 0)


def test_login_then_visit_counts_rise_live(browser, stack):
    controller, _, _ = stack
    context, page = _logged_in(browser, controller.url, controller.token)
    try:
        today = page.locator("[data-testid=today-visits]")
        first = _number(today.inner_text())
        # The page refreshes its live regions by itself; no reload here.
        page.wait_for_function(
            "n => Number(document.querySelector('[data-testid=today-visits]').textContent.replace(/,/g, '')) > n",
            arg=first,
            timeout=60_000,
        )
        row = page.locator(f"tr[data-exhibit={EXHIBIT}]")
        assert _number(row.locator("td.sessions").inner_text()) > 0
        page.wait_for_selector(f"tr[data-exhibit={EXHIBIT}] [data-online='1']", timeout=30_000)
        # A wrong token is refused on the login page itself.
        page.goto(f"{controller.url}/login")
        page.fill("#token", "not-a-token")
        page.click("form.login button[type=submit]")
        assert "unknown or revoked token" in page.locator(".flash.error").inner_text()
    finally:
        context.close()


def test_screenshot_button_shows_what_the_kiosk_draws(browser, stack, screenshots):
    """Fleet page → command over MQTT → agent → kiosk frame → PNG upload → thumbnail (live), enlarged on click."""
    controller, exhibit_data, _ = stack
    context, page = _logged_in(browser, controller.url, controller.token, "en")
    try:
        page.goto(f"{controller.url}/fleet")
        row = f"tr[data-exhibit={EXHIBIT}]"
        page.wait_for_selector(f"{row} [data-online='1']", timeout=30_000)
        assert page.locator(f"{row} [data-testid=screenshot-img]").count() == 0
        page.click(f"{row} [data-action=screenshot]")
        page.wait_for_selector("[data-testid=flash-ok]")
        img = f"{row} img[data-testid=screenshot-img]"
        if not _appears(page, img, 40):  # the live refresh brings it; say why if it never does
            state = page.locator(f"{row} [data-testid=screenshot]").inner_text()
            log = (exhibit_data / f"agent-{EXHIBIT}.log").read_text(errors="replace")[-1500:]
            raise AssertionError(f"no screenshot on the fleet row; it says {state!r}; agent log:\n{log}")
        page.wait_for_function(
            "sel => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
            arg=img,
            timeout=10_000,
        )
        assert page.eval_on_selector(img, "i => i.naturalWidth") == 640  # the simulated kiosk's --size
        assert "taken" in page.locator(f"{row} [data-testid=screenshot-at]").inner_text()
        page.locator(f"{row} [data-testid=screenshot]").screenshot(path=str(screenshots / "fleet-screenshot-cell.png"))
        page.click(img)
        page.wait_for_selector("dialog#enlarge[open]")
        page.wait_for_function("() => document.querySelector('dialog#enlarge img').naturalWidth > 0")
        page.screenshot(path=str(screenshots / "fleet-screenshot-enlarged.png"))
        page.keyboard.press("Escape")
        page.wait_for_selector("dialog#enlarge[open]", state="hidden")
        # The exhibit page shows the same picture.
        page.goto(f"{controller.url}/exhibits/{EXHIBIT}")
        page.wait_for_function(
            "() => { const i = document.querySelector('#ex-screenshot img'); return i && i.complete && i.naturalWidth > 0; }",
            timeout=10_000,
        )
    finally:
        context.close()


def test_upload_approve_deploy_and_see_the_exhibit_install_it(browser, stack):
    controller, exhibit_data, kpack = stack
    context, page = _logged_in(browser, controller.url, controller.token, "en")
    try:
        page.goto(f"{controller.url}/packs")
        page.set_input_files("[data-testid=upload-form] input[type=file]", str(kpack))
        page.click("[data-testid=upload-form] button[type=submit]")
        page.wait_for_selector("[data-testid=flash-ok]")
        card = page.locator(f"article[data-pack='{DEPLOY}@1.0.0']")
        assert card.locator("[data-status]").get_attribute("data-status") == "draft"
        card.locator("[data-action=approve]").click()
        page.wait_for_selector(f"article[data-pack='{DEPLOY}@1.0.0'] [data-status=approved]")
        card = page.locator(f"article[data-pack='{DEPLOY}@1.0.0']")
        card.locator("[data-testid=assign-form] select").select_option(VENUE)
        card.locator("[data-testid=assign-form] button[type=submit]").click()
        page.wait_for_selector("[data-testid=flash-ok]")
        # Rollout progress names the exhibit, then (live) shows it installed.
        page.wait_for_selector(f"article[data-pack='{DEPLOY}@1.0.0'] tr[data-rollout={EXHIBIT}]")
        installed = f"article[data-pack='{DEPLOY}@1.0.0'] tr[data-rollout={EXHIBIT}] [data-install=installed]"
        failed = f"article[data-pack='{DEPLOY}@1.0.0'] tr[data-rollout={EXHIBIT}] [data-install=failed]"
        _wait_or_say_why(page, installed, exhibit_data, 120, "pack install", failed)
        assert (
            "1/1 installed"
            in page.locator(f"article[data-pack='{DEPLOY}@1.0.0'] [data-testid=rollout-count]").inner_text()
        )
        page.goto(f"{controller.url}/fleet")
        row = page.locator(f"tr[data-exhibit={EXHIBIT}]")
        assert DEPLOY in row.locator("[data-testid=pack]").inner_text()
        assert row.locator("[data-install=installed]").count() == 1
        assert (exhibit_data / "packs" / "current").resolve().name.startswith(DEPLOY) or DEPLOY in str(
            (exhibit_data / "packs" / "current").resolve()
        )
    finally:
        context.close()


def test_emergency_needs_typed_confirmation_shows_on_the_exhibit_and_ends(browser, stack):
    controller, exhibit_data, _ = stack
    context, page = _logged_in(browser, controller.url, controller.token, "en")
    try:
        page.goto(f"{controller.url}/campaigns")
        page.wait_for_selector("[data-testid=no-emergency]")
        form = page.locator("[data-testid=emergency-form]")
        form.locator("select[name=region]").select_option(REGION)
        form.locator("input[name=message_zh]").fill("台风红色预警：请留在室内")
        form.locator("input[name=message_en]").fill("Typhoon red alert: stay indoors")
        form.locator("input[name=minutes]").fill("10")
        submit = form.locator("[data-confirm-submit]")
        assert submit.is_disabled()
        form.locator("input[name=confirm]").fill("yuehai")
        assert submit.is_disabled(), "a partial name does not unlock the broadcast"
        form.locator("input[name=confirm]").fill(REGION)
        assert submit.is_enabled()
        submit.click()
        page.wait_for_selector("[data-testid=flash-ok]")
        card = page.locator("article.onair")
        assert "台风红色预警" in card.inner_text()
        assert (
            "0/1 exhibits show it" in card.locator("[data-testid=emergency-shown]").inner_text()
            or page.locator(f"[data-showing='{EXHIBIT}:1']").count()
        )
        control = exhibit_data / "control.json"
        deadline = time.monotonic() + 30
        while "台风红色预警" not in (control.read_text(errors="replace") if control.exists() else ""):
            refused = _desired_refused(exhibit_data)
            assert not refused, (
                f"emergency on the exhibit: the agent refuses the controller's desired state: {refused.split(': ', 1)[-1]}"
            )
            assert time.monotonic() < deadline, "the exhibit's control.json never got the broadcast"
            time.sleep(0.25)
        # Live confirmation: the kiosk says it is on screen (kiosk.json), the agent reports `emergency_shown`.
        assert _appears(page, f"[data-showing='{EXHIBIT}:1']", 30), (
            "the exhibit got the broadcast (control.json) but never confirmed it on screen; kiosk.json: "
            + (
                (exhibit_data / "kiosk.json").read_text(errors="replace")[:500]
                if (exhibit_data / "kiosk.json").exists()
                else "missing"
            )
        )
        assert "1/1 exhibits show it" in card.locator("[data-testid=emergency-shown]").inner_text()
        page.click("[data-action=end-emergency]")
        page.wait_for_selector("[data-testid=no-emergency]")
        _wait_for_file(control, "台风红色预警", 60, None, present=False)
    finally:
        context.close()


def _on_air(core) -> None:
    """A running campaign and an emergency on air, so those pages show their busy state too."""
    from controller.domain import campaigns, emergencies
    from controller.domain.auth import Principal
    from tests.support.dashboard import DAY, NOW, TZ

    admin = Principal("admin", "admin")
    with core.store.write() as db:
        campaigns.create(
            db,
            admin,
            {
                "name": "防灾减灾日 May 12",
                "region": "guangdong/shenzhen",
                "pack": {"id": "quake-safety", "version": "1.0.0"},
                "priority": 5,
            },
            NOW - 15 * 3600,
            NOW + 6 * DAY,
            NOW,
            TZ,
        )
        emergencies.create(
            db,
            admin,
            {
                "region": "guangdong/shenzhen/nanshan",
                "message": {"zh": "台风红色预警：请留在室内", "en": "Typhoon red alert: stay indoors"},
            },
            NOW - 600,
            NOW + 3600,
            NOW,
            TZ,
        )
    core.changed()


def _screenshots_taken(core, data_dir: Path) -> None:
    """ex-quake-01 has a screenshot (a kiosk frame drawn by pygame), ex-food-01 is still waited for."""
    import json

    import pygame

    from controller.domain import screenshots as shots
    from tests.support.dashboard import NOW

    pygame.init()
    surface = pygame.Surface((960, 540))
    surface.fill((15, 46, 42))
    pygame.draw.rect(surface, (255, 209, 102), (60, 60, 840, 90), border_radius=18)
    for i, colour in enumerate(((14, 124, 107), (192, 57, 43), (41, 128, 185))):
        pygame.draw.rect(surface, colour, (60 + i * 290, 200, 260, 280), border_radius=24)
    pygame.draw.circle(surface, (255, 255, 255), (480, 340), 60)
    path = data_dir / "frame.png"
    pygame.image.save(surface, str(path))
    with core.store.write() as db:
        for command, exhibit, ago in (("shot-quake", "ex-quake-01", 300), ("shot-food", "ex-food-01", 10)):
            db["commands"].insert(
                {
                    "id": command,
                    "exhibit": exhibit,
                    "type": "screenshot",
                    "payload": json.dumps({"id": command, "type": "screenshot"}),
                    "created": NOW - ago,
                    "created_by": "admin",
                }
            )
    shots.keep(core.store, core.settings.data_dir, "ex-quake-01", "shot-quake", path.read_bytes(), NOW - 290)


def _no_forms_but_filters(page) -> list[str]:
    """What a viewer must not see: any form that writes (POST) or uploads, inside the page's main area."""
    found = page.eval_on_selector_all(
        "main form", "fs => fs.filter(f => f.method.toLowerCase() === 'post').map(f => f.getAttribute('action'))"
    )
    return found + [f"file input ×{page.locator('main input[type=file]').count()}"] * bool(
        page.locator("main input[type=file]").count()
    )


def test_viewer_and_district_technician_pages_hold_only_what_they_may(browser, tmp_path, screenshots):
    """Users made through the API with the admin token, logged in through the login page, every page checked."""
    import httpx

    from controller.devtools.server import ServerThread
    from controller.settings import Settings
    from controller.web.app import create_app
    from kepu_contracts.clock import ManualClock
    from tests.support.dashboard import NOW, seed

    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=tmp_path / "controller", admin_token="roles"), clock=clock, run_scheduler=False)
    core = app.state.controller
    seed(core, tmp_path, clock)
    _on_air(core)
    _screenshots_taken(core, tmp_path)
    errors: list[str] = []
    with ServerThread(app) as server:
        admin = {"Authorization": "Bearer roles"}
        tokens = {}
        for uid, role, region in (
            ("chen.viewer", "viewer", "guangdong/shenzhen"),
            ("liu.futian", "technician", "guangdong/shenzhen/futian"),
        ):
            assert (
                httpx.post(
                    f"{server.url}/api/v1/users",
                    json={"id": uid, "name": uid, "role": role, "region": region},
                    headers=admin,
                ).status_code
                == 201
            )
            made = httpx.post(f"{server.url}/api/v1/users/{uid}/tokens", json={"label": "browser test"}, headers=admin)
            assert made.status_code == 201, made.text
            tokens[uid] = made.json()["token"]
        futian_sees = {
            e["id"]
            for e in httpx.get(
                f"{server.url}/api/v1/exhibits", headers={"Authorization": f"Bearer {tokens['liu.futian']}"}
            ).json()
        }
        assert "ex-scam-01" in futian_sees and not futian_sees & {"ex-quake-01", "ex-food-01"}
        nanshan_only = (
            "粤海街道科普室",
            "蛇口社区党群服务中心",
            "ex-quake-01",
            "ex-food-01",
            "台风红色预警",
            "Typhoon red alert",
        )

        for uid, lang in (("chen.viewer", "zh"), ("chen.viewer", "en"), ("liu.futian", "zh"), ("liu.futian", "en")):
            context, page = _logged_in(browser, server.url, tokens[uid], lang)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            try:
                assert page.locator("[data-testid=user]").inner_text() == uid
                for name, path in PAGES.items():
                    if name == "login":
                        continue
                    if name == "exhibit" and uid == "liu.futian":
                        assert page.goto(server.url + path).status == 404  # ex-quake-01 is in nanshan
                        path = "/exhibits/ex-scam-01"
                    page.goto(server.url + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(screenshots / f"role-{uid}-{name}-{lang}.png"), full_page=True)
                    main = page.locator("main").inner_text()
                    if uid == "chen.viewer":
                        assert not _no_forms_but_filters(page), (name, _no_forms_but_filters(page))
                        assert page.locator("main [data-action]").count() == 0, name
                        if name in ("fleet", "exhibit"):  # pictures are for viewers too, the button is not
                            page.wait_for_function(
                                "() => [...document.querySelectorAll('[data-testid=screenshot-img]')].some(i => i.naturalWidth > 0)"
                            )
                    else:
                        # A past stay at their own venue names the exhibit that came (rotations), never a nanshan venue.
                        leaked = [
                            text
                            for text in nanshan_only
                            if text in page.content() and not (name == "rotations" and text.startswith("ex-"))
                        ]
                        assert not leaked, (name, leaked)
                        rows = set(
                            page.eval_on_selector_all("tr[data-exhibit]", "rs => rs.map(r => r.dataset.exhibit)")
                        )
                        assert rows <= futian_sees, (name, rows - futian_sees)
                        assert page.locator("[data-testid=emergency-form]").count() == 0  # reviewers only
                        assert page.locator("[data-action=approve]").count() == 0
                        if name == "fleet":
                            assert rows == futian_sees and page.locator("[data-action=screenshot]").count() == len(rows)
                        if name == "rotations":
                            assert page.locator("[data-testid=stay-form]").count() == 1  # technicians plan stays
                    assert main.strip(), name
            finally:
                context.close()
    assert not errors, errors


def test_screenshot_every_page_in_both_sizes_and_languages(browser, tmp_path, screenshots):
    """Seeded district data (weeks of visits) so the charts have something to show; every page, four ways."""
    from controller.devtools.server import ServerThread
    from controller.settings import Settings
    from controller.web.app import create_app
    from kepu_contracts.clock import ManualClock
    from tests.support.dashboard import NOW, seed

    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=tmp_path / "controller", admin_token="shots"), clock=clock, run_scheduler=False)
    core = app.state.controller
    seed(core, tmp_path, clock)
    _on_air(core)
    _screenshots_taken(core, tmp_path)
    errors: list[str] = []
    with ServerThread(app) as server:
        for size in ((1366, 768), (1920, 1080)):
            for lang in ("zh", "en"):
                context = browser.new_context(viewport={"width": size[0], "height": size[1]})
                context.add_cookies([{"name": "kepu_lang", "value": lang, "url": server.url}])
                page = context.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("requestfailed", lambda req: errors.append(f"failed {req.url}"))
                page.on(
                    "request",
                    lambda req: (
                        req.url.startswith(server.url)
                        or req.url.startswith("data:")
                        or errors.append(f"external {req.url}")
                    ),
                )
                for name, path in PAGES.items():
                    if name == "login":
                        context.clear_cookies()
                        context.add_cookies([{"name": "kepu_lang", "value": lang, "url": server.url}])
                    elif not context.cookies():
                        pass
                    if name != "login" and not any(c["name"] == "kepu_session" for c in context.cookies()):
                        session = session_cookies(server.url, "shots")["kepu_session"]
                        context.add_cookies([{"name": "kepu_session", "value": session, "url": server.url}])
                    page.goto(server.url + path)
                    page.wait_for_load_state("networkidle")
                    if page.locator("[data-chart]").count():
                        page.wait_for_selector("[data-chart] svg")
                    page.screenshot(path=str(screenshots / f"{name}-{size[0]}x{size[1]}-{lang}.png"), full_page=True)
                    if name == "reports" and size[0] == 1366:
                        page.emulate_media(media="print")
                        assert page.locator("nav.side").is_hidden(), "print CSS hides the navigation"
                        page.screenshot(path=str(screenshots / f"reports-print-{lang}.png"), full_page=True)
                        page.emulate_media(media="screen")
                context.close()
    assert not errors, errors
    assert len(list(screenshots.glob("*.png"))) >= len(PAGES) * 4
