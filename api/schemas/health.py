"""Model of the health resource."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["up", "down"]
    models: dict[str, str] | None = Field(
        None, description="Per task, the serving model version; only for administrators."
    )
