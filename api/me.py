"""The me resource: the signed-in user's profile, password, activity and the courses they take."""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask_jwt_extended import current_user

from api.contract import operation
from api.pagination import page_payload
from api.schemas.accounts import ActivityPage, PasswordIn, ProfileIn, TokensOut, UserOut
from api.schemas.common import PageQuery
from api.schemas.tutoring import MyEnrollmentsOut
from server.security import client_ip, issue_tokens, set_session_cookies
from services import accounts, learner_links

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("")
@operation(response=UserOut, tags=("me",))
def get_profile():
    """The signed-in user's profile."""
    return current_user


@bp.patch("")
@operation(body=ProfileIn, response=UserOut, errors=(409,), tags=("me",))
def update_profile(body: ProfileIn):
    """Change full name, email, whether digests are emailed and/or the worklist's capacity."""
    return accounts.update_profile(
        current_user,
        full_name=body.full_name,
        email=body.email,
        ip=client_ip(),
        email_notifications=body.email_notifications,
        worklist_capacity=body.worklist_capacity,
    )


@bp.post("/password")
@operation(body=PasswordIn, response=TokensOut, tags=("me",))
def change_password(body: PasswordIn):
    """Change the password; other sessions end, new tokens are returned."""
    user = accounts.change_password(current_user, body.current_password, body.new_password, ip=client_ip())
    tokens = issue_tokens(user)
    payload = TokensOut(user=UserOut.model_validate(user, from_attributes=True), **tokens)
    g._skip_implicit_refresh = True
    return set_session_cookies(jsonify(payload.model_dump(mode="json")), tokens)


@bp.get("/activity")
@operation(query=PageQuery, response=ActivityPage, tags=("me",))
def activity(query: PageQuery):
    """The signed-in user's activity log, newest first."""
    return page_payload(accounts.activity_page(current_user, query.page, query.per_page))


@bp.get("/enrollments")
@operation(auth="user", response=MyEnrollmentsOut, tags=("me",))
def my_enrollments():
    """The courses you take: the enrollments an administrator linked to your account."""
    return {"items": learner_links.my_enrollments(current_user)}
