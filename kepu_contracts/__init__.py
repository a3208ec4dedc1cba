"""The contracts kiosk, exhibit agent and controller share: none of the three owns them.

- `protocol` — MQTT topics, the JSON codec, the event-batch envelope, broker URLs
- `messages` — every payload on those topics, built and parsed in one place
- `events` — the event model and the event types
- `outbox` — the exhibit's durable outbox (SQLite)
- `datadir` — the exhibit data directory: paths, atomic writes, the `packs/current` link
- `control` — `DATA/control.json` (agent → kiosk)
- `heartbeat` — `DATA/kiosk.json` (kiosk → agent)
- `limits` — sizes and ids both sides check
- `clock`, `times` — one clock interface and one way to write an instant

The rule (enforced by tests/test_dependency_rule.py): the apps import this package and
`content_packs`, never each other; this package imports only the standard library and
`content_packs`.
"""
