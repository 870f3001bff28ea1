"""The users resource (administrators)."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.pagination import page_payload
from api.schemas.accounts import UserOut, UsersPage, UsersQuery, UserUpdateIn
from server.security import client_ip
from services import accounts

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("")
@operation(auth="admin", query=UsersQuery, response=UsersPage, tags=("users",))
def list_users(query: UsersQuery):
    """Search users by name, email or role."""
    return page_payload(accounts.users_page(query.q, query.role, query.page, query.per_page))


@bp.patch("/<id:user_id>")
@operation(auth="admin", body=UserUpdateIn, response=UserOut, errors=(404, 409), tags=("users",))
def update_user(user_id: int, body: UserUpdateIn):
    """Change a user's role or deactivate/reactivate them."""
    return accounts.update_user(
        current_user, user_id, role=body.role, is_active=body.is_active, ip=client_ip()
    )
