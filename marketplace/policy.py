"""The one place that decides who may do what. Views and fragments both ask here."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from marketplace.spaces.membership import membership_of

# Actions whose failure must not reveal that the target exists.
HIDDEN_ON_DENIAL = {"view_item", "view_collection", "view_media"}
# Spaces: a private or members-only space must look absent to outsiders.
HIDDEN_ON_DENIAL |= {"view_space", "answer_invitation"}
# Submissions: drafts, pending and rejected work must look absent to outsiders.
HIDDEN_ON_DENIAL |= {"view_submission", "review_submission"}
# Requests: someone else's request must look absent.
HIDDEN_ON_DENIAL |= {"view_request"}
# Privacy: someone else's export must look absent.
HIDDEN_ON_DENIAL |= {"download_export"}


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
    if action == "view_item":  # a retired item's page stays, to say where to go instead
        return target.status in {"published", "retired"} or _may_see_unpublished_item(user, target)
    if action == "view_collection":
        return target.status == "published" or _staff(user)
    if action in {"create_collection", "edit_collection", "view_drafts"}:
        return _staff(user)
    if action in {"view_demand", "manage_content_requests", "manage_vocabulary"}:
        return _staff(user)
    if action == "view_content_requests":
        return _staff(user) or user.is_champion
    if action == "admin_users":
        return user.is_admin
    if action in {"manage_integrations", "choose_channels"}:  # chat tools and the LRS; personal channels
        return user.is_admin if action == "manage_integrations" else True
    if action == "manage_privacy":  # export or erase `target` (a user): themselves, or an admin for them
        return target is not None and (target.id == user.id or user.is_admin)
    if action == "download_export":  # the person, or the admin who asked for it
        return user.id in (target.user_id, target.requested_by_id)
    if action == "admin_jobs":
        return user.is_admin
    if action == "view_media":
        # A file no item shows (left by an interrupted edit, say) is for staff to inspect, nobody else.
        return _signed_in(user) and _staff(user) if target is None else can(user, "view_item", target)
    if action in SUBMISSION_ACTIONS:
        return _submission_can(user, action, target)
    if action in SPACE_ACTIONS:
        return _space_can(user, action, target)
    if action in LIFECYCLE_ACTIONS:
        return _lifecycle_can(user, action, target)
    if action in REQUEST_ACTIONS:
        return _request_can(user, action, target)
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
    "see_member_names", "ask_in_space",
}


def _space_of(target: Any) -> Any:
    for hop in ("thread", "space"):  # a post knows its thread, a thread or experiment its space
        target = getattr(target, hop, target)
    return target


def _space_can(user: Any, action: str, target: Any) -> bool:
    """Space rules; membership is read fresh on every check so changes apply at once."""
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
    writable = not space.is_archived  # a space past its end date is read-only before the job archives it
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
    if action == "see_member_names":  # Chatham House: names never leave the circle of active members
        return visible and (not space.chatham_house or active)
    if action == "harvest_thread":
        return visible and (host or user.is_champion) and target.solved and target.harvested_item_id is None
    if action == "ask_in_space":  # an open space lets anyone ask, joining on the way
        return writable and (active or (space.visibility == "open" and (member is None or member.state != "requested")))
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
    "claim_submission", "release_submission",
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
    if action == "claim_submission":  # never one's own work
        return reviewer and target.state == "pending" and target.submitter_id != user.id
    if action == "release_submission":  # the claimant, or staff sorting out an escalation
        return reviewer and target.claimed_by_id is not None and (target.claimed_by_id == user.id or _staff(user))
    if action == "decide_submission":  # only the claimant, and never on one's own work
        return reviewer and target.state == "pending" and target.claimed_by_id == user.id != target.submitter_id
    return False


LIFECYCLE_ACTIONS = {"edit_item", "retire_item", "unretire_item", "verify_item", "transfer_item", "freshness_queue",
                     "redact_submission"}


def _lifecycle_can(user: Any, action: str, target: Any) -> bool:
    """Published items: their owner, the department's champions and curators keep them true."""
    if action == "freshness_queue":
        return True  # everyone sees the items they answer for; the service scopes the rows
    if action == "redact_submission":
        return _staff(user) or user.champions(target.department_id)
    steward = _staff(user) or target.owner_id == user.id or user.champions(target.department_id)
    if not steward or target.revision_of_id is not None:
        return False
    if action == "unretire_item":
        return target.status == "retired"
    return target.status == "published"


REQUEST_ACTIONS = {"file_request", "view_request", "triage_request", "deliver_request"}


def _request_can(user: Any, action: str, target: Any) -> bool:
    """Requests: anyone files; the requester, its owner, the team's champions and L&D see it; L&D triages."""
    if action == "file_request":
        return True
    if action == "triage_request":
        return _staff(user)
    involved = target.requester_id == user.id or target.owner_id == user.id
    if action == "view_request":
        return _staff(user) or involved or user.champions(target.department_id)
    if action == "deliver_request":
        return target.state == "accepted" and (_staff(user) or target.owner_id == user.id)
    return False


def require(action: str, target: Any = None) -> None:
    """Abort with 404 (hidden things) or 403 (forbidden acts) unless allowed."""
    if can(current_user, action, target):
        return
    abort(404 if action in HIDDEN_ON_DENIAL else 403)
