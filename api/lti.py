"""The LTI 1.3 registration (administrators): the tool's addresses and the platforms that launch it."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.lti import LtiPlatformIn, LtiPlatformOut, LtiRegistrationOut
from server.lti import tool_urls
from server.security import client_ip
from services import lti_registry

bp = Blueprint("lti_api", __name__, url_prefix="/lti")


@bp.get("/platforms")
@operation(auth="admin", response=LtiRegistrationOut, tags=("lti",))
def list_platforms():
    """The addresses a platform registers this tool with, and the platforms registered."""
    return {"tool": tool_urls(), "platforms": lti_registry.platforms()}


@bp.post("/platforms")
@operation(
    auth="admin", body=LtiPlatformIn, response=LtiPlatformOut, status=201, errors=(409,), tags=("lti",)
)
def register_platform(body: LtiPlatformIn):
    """Register a platform: its issuer, the client id it gave this tool, deployments, keyset and login
    URLs."""
    return lti_registry.register_platform(current_user, body.model_dump(), client_ip())


@bp.delete("/platforms/<id:platform_id>")
@operation(auth="admin", response=LtiPlatformOut, errors=(404,), tags=("lti",))
def remove_platform(platform_id: int):
    """Remove a platform: it can no longer launch the tool (the accounts it made stay)."""
    return lti_registry.remove_platform(current_user, platform_id, client_ip())
