"""The one place that decides who may do what. Views and fragments both ask here."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

# Actions whose failure must not reveal that the target exists.
HIDDEN_ON_DENIAL = {"view_item", "view_collection", "view_media"}


def _signed_in(user: Any) -> bool:
    return bool(user) and getattr(user, "is_authenticated", False) and user.is_active


def _staff(user: Any) -> bool:
    return user.is_curator or user.is_admin


def _may_see_unpublished_item(user: Any, item: Any) -> bool:
    return _staff(user) or item.owner_id == user.id or user.champions(item.department_id)


def can(user: Any, action: str, target: Any = None) -> bool:
    """Return True when `user` may perform `action` on `target`."""
    if not _signed_in(user):
        return False
    if action in {"browse", "search", "tick_checklist", "vote_helpful"}:
        return True
    if action == "view_item":
        return target.status == "published" or _may_see_unpublished_item(user, target)
    if action == "view_collection":
        return target.status == "published" or _staff(user)
    if action in {"create_collection", "edit_collection", "view_drafts"}:
        return _staff(user)
    if action in {"view_demand", "manage_content_requests"}:
        return _staff(user)
    if action == "view_content_requests":
        return _staff(user) or user.is_champion
    if action == "admin_users":
        return user.is_admin
    if action == "view_media":
        return target is None or can(user, "view_item", target)
    return False


def require(action: str, target: Any = None) -> None:
    """Abort with 404 (hidden things) or 403 (forbidden acts) unless allowed."""
    if can(current_user, action, target):
        return
    abort(404 if action in HIDDEN_ON_DENIAL else 403)
