"""One router per resource; `ROUTERS` is what create_app mounts."""

from controller.web.api import (
    alerts,
    audio,
    campaigns,
    docs,
    emergencies,
    exhibits,
    packs,
    pages,
    rotations,
    stats,
    tickets,
    users,
    venues,
)

ROUTERS = [
    exhibits.router,
    audio.router,
    venues.router,
    rotations.router,
    campaigns.router,
    emergencies.router,
    packs.router,
    users.router,
    stats.router,
    alerts.router,
    tickets.router,
    pages.router,
    docs.router,
]
