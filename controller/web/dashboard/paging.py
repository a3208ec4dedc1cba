"""Long lists on the dashboard, a page at a time: a province has thousands of exhibits, stays and venues."""

from __future__ import annotations

from typing import Any

PAGE_SIZE = 50


def page_of(items: list[Any], page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Page `page` (1-based, clamped to what exists) of `items`, with what the pager shows."""
    pages = max(1, -(-len(items) // size))
    page = min(max(1, page), pages)
    return {
        "rows": items[(page - 1) * size : page * size],
        "page": page,
        "pages": pages,
        "matched": len(items),
        "first": (page - 1) * size + 1 if items else 0,
        "last": min(page * size, len(items)),
    }
