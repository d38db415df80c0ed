"""The one place that decides who may do what. Views and fragments both ask here."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

# Actions whose failure must not reveal that the target exists.
HIDDEN_ON_DENIAL = {"view_item", "view_collection", "view_media"}
# Spaces: a private or members-only space must look absent to outsiders.
HIDDEN_ON_DENIAL |= {"view_space", "answer_invitation"}
# Submissions: drafts, pending and rejected work must look absent to outsiders.
HIDDEN_ON_DENIAL |= {"view_submission", "review_submission"}


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
        # A file no item shows (left by an interrupted edit, say) is for staff to inspect, nobody else.
        return _signed_in(user) and _staff(user) if target is None else can(user, "view_item", target)
    if action in SUBMISSION_ACTIONS:
        return _submission_can(user, action, target)
    if action in SPACE_ACTIONS:
        return _space_can(user, action, target)
    if action in IMPACT_ACTIONS:
        return _impact_can(user, action, target)
    return False


IMPACT_ACTIONS = {"view_impact", "view_scorecard", "view_network", "import_readings", "manage_api_tokens",
                  "manage_proficiency", "record_outcome"}


def _impact_can(user: Any, action: str, target: Any) -> bool:
    """Impact: leaders see their department's KPIs; curators and admins see and feed everything."""
    if action in {"view_impact", "view_network"}:
        return user.is_leader or _staff(user)
    if action == "view_scorecard":
        return _staff(user) or (user.is_leader and target.department_id in (None, user.department_id))
    if action in {"import_readings", "manage_proficiency"}:
        return _staff(user)
    if action == "manage_api_tokens":
        return user.is_admin
    if action == "record_outcome":  # the experiment's owner or a host of its space, or staff
        return _staff(user) or _space_can(user, "manage_experiment", target)
    return False


SPACE_ACTIONS = {
    "create_space", "endorse", "edit_skills", "view_space", "join_space", "answer_invitation", "host_space", "post_in_space",
    "vote_post", "edit_post", "hide_post", "accept_answer", "harvest_thread", "manage_experiment", "export_space",
}


def _space_of(target: Any) -> Any:
    for hop in ("thread", "space"):  # a post knows its thread, a thread or experiment its space
        target = getattr(target, hop, target)
    return target


def _space_can(user: Any, action: str, target: Any) -> bool:
    """Space rules; membership is read fresh on every check so changes apply at once."""
    from marketplace.spaces.services import membership_of

    if action == "create_space":
        return user.is_leader or user.is_curator or user.is_admin
    if action == "endorse":
        return target is not None and target.id != user.id
    if action == "edit_skills":
        return target is not None and (target.id == user.id or user.is_admin)
    space = _space_of(target)
    member = membership_of(user, space)
    active = member is not None and member.is_active
    host = member is not None and member.is_host
    writable = space.status != "archived"
    visible = space.visibility == "open" or active
    if action == "view_space":
        return visible
    if action == "join_space":
        return space.visibility != "private" and writable and (member is None or member.state == "declined")
    if action == "answer_invitation":
        return member is not None and member.state == "invited"
    if action == "host_space":
        return host
    if action == "export_space":
        return active
    if action == "harvest_thread":
        return visible and (host or user.is_champion) and target.solved and target.harvested_item_id is None
    if not (active and writable):
        return False  # everything below changes an active space's content
    if action == "post_in_space":
        return True
    if action == "vote_post":
        return target.author_id != user.id and not target.is_removed
    if action == "edit_post":
        return target.author_id == user.id and not target.is_removed
    if action == "hide_post":
        return host and not target.is_removed
    if action == "accept_answer":
        return target.kind == "question" and (host or target.author_id == user.id)
    if action == "manage_experiment":
        return host or target.owner_id == user.id
    return False


SUBMISSION_ACTIONS = {
    "submit", "view_submission", "edit_submission", "comment_submission", "review_queue",
    "review_submission", "decide_submission", "escalations", "manage_trusted", "manage_terms",
}


def _submission_can(user: Any, action: str, target: Any) -> bool:
    """Submission rules: the submitter, the department's champions, curators and admins."""
    if action == "submit":
        return True
    if action == "review_queue":
        return user.is_champion or _staff(user)
    if action in {"escalations", "manage_trusted", "manage_terms"}:
        return _staff(user)
    reviewer = _staff(user) or user.champions(target.department_id)
    if action in {"view_submission", "comment_submission"}:
        return reviewer or target.submitter_id == user.id
    if action == "edit_submission":
        return target.submitter_id == user.id and target.editable
    if action == "review_submission":
        return reviewer
    if action == "decide_submission":  # only the claimant, and never on one's own work
        return reviewer and target.state == "pending" and target.claimed_by_id == user.id != target.submitter_id
    return False


def require(action: str, target: Any = None) -> None:
    """Abort with 404 (hidden things) or 403 (forbidden acts) unless allowed."""
    if can(current_user, action, target):
        return
    abort(404 if action in HIDDEN_ON_DENIAL else 403)
