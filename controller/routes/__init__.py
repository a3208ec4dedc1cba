"""One router per resource; `ROUTERS` is what create_app mounts."""

from controller.routes import docs, exhibits, pages

ROUTERS = [exhibits.router, pages.router, docs.router]
