"""One router per resource; `ROUTERS` is what create_app mounts."""

from controller.web.api import campaigns, docs, emergencies, exhibits, packs, pages, rotations, stats, users, venues

ROUTERS = [
    exhibits.router,
    venues.router,
    rotations.router,
    campaigns.router,
    emergencies.router,
    packs.router,
    users.router,
    stats.router,
    pages.router,
    docs.router,
]
