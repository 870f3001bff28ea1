"""Render a service Page as the API's `{items, meta}`."""

from __future__ import annotations

from typing import Any

from services.accounts import Page


def page_payload(page: Page) -> dict[str, Any]:
    """`{items, meta: {page, per_page, total, pages}}`."""
    return {
        "items": page.items,
        "meta": {
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
        },
    }
