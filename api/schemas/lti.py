"""Models of the LTI 1.3 registration: the tool's addresses and the platforms registered."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import StrictModel


class LtiPlatformIn(StrictModel):
    issuer: str = Field(max_length=255, description="The platform's issuer (Moodle: Platform ID).")
    client_id: str = Field(max_length=255, description="The client id the platform gave this tool.")
    deployment_ids: list[str] = Field(max_length=100, description="The deployments allowed to launch.")
    keyset_url: str = Field(max_length=1000, description="The platform's public keyset (JWKS) URL.")
    auth_login_url: str = Field(max_length=1000, description="The platform's authentication request URL.")
    token_url: str = Field("", max_length=1000, description="The platform's access token URL (optional).")


class LtiPlatformOut(BaseModel):
    id: int
    issuer: str
    client_id: str
    deployment_ids: list[str]
    keyset_url: str
    auth_login_url: str
    token_url: str


class LtiToolOut(BaseModel):
    jwks_url: str = Field(description="The tool's public keyset URL.")
    login_url: str = Field(description="The login initiation URL.")
    launch_url: str = Field(description="The launch URL, also the redirection URI.")


class LtiRegistrationOut(BaseModel):
    tool: LtiToolOut
    platforms: list[LtiPlatformOut] = Field(description="By issuer and client id.")
