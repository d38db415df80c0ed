"""Form-bypass cases for the features merged after the first walk (issue 15), used by tests/test_post_bypass.py.

Each case is (role, path, data, why) against the world of that file, extended by `extend_world` below.
Machine endpoints (SCIM, the readings API, chat webhooks) are checked without their token or signature.
"""

from __future__ import annotations

from datetime import timedelta

from marketplace.extensions import db
from marketplace.followups.models import FollowUp, FollowUpReason
from marketplace.identity import services as identity
from marketplace.identity.models import MappedRole
from marketplace.jobs.models import JobRun, JobState
from marketplace.privacy import services as privacy
from marketplace.requests import services as requests
from marketplace.search.models import VocabularyEntry
from marketplace.timeutil import utcnow
from tests import factories
from tests.lifecycle_fixtures import request_data


def extend_world(w) -> None:
    """Add what the feature cases point at: a retired item, requests, follow-ups, erasures, a mapping, a job run."""
    base, users = w.base, w.base.users
    w.retired = factories.item("old-way", "solve", title="The old way", department=base.sales,
                               owner=users["champion"], kpis=[base.kpi], status="retired")
    w.retired.retired_at, w.retired.retired_reason = utcnow(), "Superseded."
    db.session.commit()
    w.new_request = requests.file(users["leader"], request_data(base))
    w.accepted_request = requests.file(users["employee"], request_data(
        base, title="Faster first deals", department_id=base.sales.id, kpi_id=base.kpi.id))
    requests.accept(w.accepted_request, users["curator"], users["champion"].id, None)
    today = utcnow().date()
    w.followup = FollowUp(user_id=users["employee"].id, subject="item:1", title="Refunds", reason=FollowUpReason.HELPFUL,
                          due_on=today, nonce="n1")
    w.others_followup = FollowUp(user_id=users["champion"].id, subject="item:1", title="Refunds", reason=FollowUpReason.HELPFUL,
                                 due_on=today, nonce="n2")
    w.erasure = privacy.request_erasure(users["employee"], users["employee"], {})
    w.cancelled = privacy.request_erasure(users["leader"], users["leader"], {})
    privacy.cancel_erasure(w.cancelled)
    w.mapping = identity.add_mapping("sales-champions", MappedRole.CHAMPION, base.sales.id)
    w.run = JobRun(name="privacy.export", payload={"request_id": 0}, state=JobState.RUNNING, not_before=utcnow(),
                   lease_until=utcnow() + timedelta(hours=1))  # being worked on: not retryable
    w.vocabulary = VocabularyEntry(phrases="PTO, paid time off", note="")
    db.session.add_all([w.followup, w.others_followup, w.run, w.vocabulary])
    db.session.commit()


def items(w) -> str:
    return f"/items/{w.base.job_aid.slug}"


def pw(current: str, new: str = "a long new password 1", confirm: str | None = None) -> dict:
    return {"current": current, "new": new, "confirm": new if confirm is None else confirm}


def intake(w, **changes) -> dict:
    data = {"title": "Shorter calls", "department_id": str(w.base.sales.id), "kpi_id": str(w.base.kpi.id), "kpi_current": "5",
            "kpi_target": "4", "behaviour": "Long calls.", "who": "Agents", "cause": "knowledge", "solution": "checklist"}
    return {**data, **changes}


def feature_cases(Case) -> dict:  # noqa: N803 - the Case class of test_post_bypass
    """The cases, built with test_post_bypass's Case (kept there so its completeness check owns the shape)."""
    admin_only = {"identity.create_token": "/admin/provisioning/tokens", "impact.api_tokens": "/impact/tokens",
                  "impact.proficiency": "/impact/proficiency", "integrations.connections": "/admin/integrations",
                  "integrations.add_rule": "/admin/integrations/rules"}
    by_id = {"identity.revoke_token": "/admin/provisioning/tokens/{}/revoke", "identity.remove_mapping": "/admin/provisioning/mappings/{}/remove",
             "impact.revoke_token": "/impact/tokens/{}/revoke", "impact.confirm_import": "/impact/readings/import/{}/confirm",
             "integrations.delete_rule": "/admin/integrations/rules/{}/delete", "integrations.toggle_connection": "/admin/integrations/{}/toggle",
             "integrations.retry_delivery": "/admin/deliveries/{}/retry", "jobs_admin.retry": "/admin/jobs/{}/retry",
             "search.delete_vocabulary": "/curate/vocabulary/{}/delete"}
    cases: dict[str, list] = {name: [Case("curator" if name.startswith(("identity", "integrations", "jobs", "impact.api", "impact.revoke")) else "employee",
                                          lambda w, p=path: p, why="not allowed")] for name, path in admin_only.items()}
    for name, path in by_id.items():
        staff = "curator" if name.startswith(("impact.confirm", "search.")) else "admin"
        cases[name] = [Case(staff, lambda w, p=path: p.format(999999), why="no such thing"),
                       Case("employee", lambda w, p=path: p.format(999999), why="not allowed")]
    cases["identity.create_token"].append(Case("admin", lambda w: "/admin/provisioning/tokens", lambda w: {"token-label": " "}, "no label"))
    cases["identity.remove_mapping"].append(Case("curator", lambda w: f"/admin/provisioning/mappings/{w.mapping.id}/remove", why="not an admin"))
    cases["identity.add_mapping"] = [
        Case("curator", lambda w: "/admin/provisioning/mappings", lambda w: {"mapping-group_name": "x", "mapping-role": "admin"}, "not an admin"),
        Case("admin", lambda w: "/admin/provisioning/mappings", lambda w: {"mapping-group_name": "x", "mapping-role": "emperor"}, "unknown role"),
    ]
    cases["impact.api_tokens"].append(Case("admin", lambda w: "/impact/tokens", lambda w: {"name": "BI"}, "no KPI"))
    cases["impact.proficiency"].append(Case("curator", lambda w: "/impact/proficiency", lambda w: {"role": "AE", "days_before": "-3"}, "incomplete"))
    cases["integrations.connections"].append(Case("admin", lambda w: "/admin/integrations", lambda w: {"c-name": "Chat", "c-kind": "slack"}, "no address"))
    cases["integrations.add_rule"].append(Case("admin", lambda w: "/admin/integrations/rules", lambda w: {"r-connection_id": "999999"}, "no such connection"))
    cases["jobs_admin.retry"].append(Case("admin", lambda w: f"/admin/jobs/{w.run.id}/retry", why="not failed"))
    cases["search.delete_vocabulary"].append(Case("employee", lambda w: f"/curate/vocabulary/{w.vocabulary.id}/delete", why="not a curator"))
    cases.update({
        "account.change_password": [Case("employee", lambda w: "/account/password", lambda w: pw("wrong password"), "wrong current password"),
                                    Case("employee", lambda w: "/account/password", lambda w: pw(factories.PASSWORD, confirm="other"), "passwords differ")],
        "account.end_session": [Case("employee", lambda w: "/account/sessions/999999/end", why="not a session of theirs")],
        "account.end_all": [Case("anonymous", lambda w: "/account/sessions/end-all", why="nobody signed in")],
        "followups.answer": [Case("employee", lambda w: f"/followups/{w.others_followup.id}", lambda w: {"changed": "yes"}, "someone else's"),
                             Case("employee", lambda w: f"/followups/{w.followup.id}", lambda w: {"changed": "perhaps"}, "not yes or no")],
        "followups.answer_link": [Case("anonymous", lambda w: "/followups/answer/forged", lambda w: {"changed": "yes"}, "forged link")],
        "followups.settings": [Case("employee", lambda w: "/followups/settings", lambda w: {"action": "explode"}, "unknown action")],
        "impact.api_readings": [Case("anonymous", lambda w: f"/api/v1/kpis/{w.base.kpi.slug}/readings", why="no bearer token")],
        "impact.import_readings": [Case("employee", lambda w: "/impact/readings/import", why="not staff"),
                                   Case("curator", lambda w: "/impact/readings/import", why="no file")],
        "impact.opened": [Case("leader", lambda w: f"/items/{w.base.draft.slug}/opened", why="hidden draft")],
        "impact.played": [Case("leader", lambda w: f"/items/{w.base.draft.slug}/played", why="hidden draft")],
        "impact.outcome": [Case("champion", lambda w: f"/impact/experiments/{w.experiment.id}/outcome", lambda w: {"status": "kept", "learned": "x"}, "an outsider"),
                           Case("leader", lambda w: f"/impact/experiments/{w.experiment.id}/outcome", lambda w: {"status": "maybe", "learned": "x"}, "bad status")],
        "integrations.capture_page": [Case("employee", lambda w: "/integrations/captures/no-such-token", lambda w: {"consent": "yes"}, "no such capture")],
        "integrations.channels": [Case("employee", lambda w: "/account/channels", why="every channel off")],
        "integrations.slack_command": [Case("anonymous", lambda w: "/integrations/slack/commands", lambda w: {"text": "x"}, "unsigned")],
        "integrations.slack_action": [Case("anonymous", lambda w: "/integrations/slack/actions", lambda w: {"payload": "{}"}, "unsigned")],
        "integrations.teams_message": [Case("anonymous", lambda w: "/integrations/teams/messages", why="unsigned")],
        "lifecycle.edit": [Case("employee", lambda w: f"{items(w)}/edit", lambda w: {"title": "Mine"}, "not a steward"),
                           Case("champion", lambda w: f"{items(w)}/edit", lambda w: {"title": ""}, "incomplete")],
        "lifecycle.retire": [Case("employee", lambda w: f"{items(w)}/retire", lambda w: {"reason": "Old"}, "not a steward"),
                             Case("champion", lambda w: f"{items(w)}/retire", lambda w: {"reason": " "}, "no reason"),
                             Case("champion", lambda w: f"/items/{w.retired.slug}/retire", lambda w: {"reason": "Again"}, "already retired")],
        "lifecycle.unretire": [Case("employee", lambda w: f"/items/{w.retired.slug}/unretire", why="not a steward"),
                               Case("champion", lambda w: f"{items(w)}/unretire", why="not retired")],
        "lifecycle.verify": [Case("employee", lambda w: f"{items(w)}/verify", why="not a steward"),
                             Case("champion", lambda w: f"/items/{w.retired.slug}/verify", why="retired")],
        "lifecycle.transfer": [Case("employee", lambda w: f"{items(w)}/owner", lambda w: {"owner_id": str(w.base.users['employee'].id)}, "not a steward"),
                               Case("champion", lambda w: f"{items(w)}/owner", lambda w: {"owner_id": "999999"}, "no such person")],
        "privacy.export": [Case("anonymous", lambda w: "/privacy/exports", why="nobody signed in")],
        "privacy.admin_export": [Case("curator", lambda w: f"/admin/users/{w.base.users['employee'].id}/privacy/exports", why="not an admin")],
        "privacy.request_erasure": [Case("champion", lambda w: "/privacy/erasure", lambda w: {"posts": "anonymise", "work": "anonymise"}, "not confirmed"),
                                    Case("champion", lambda w: "/privacy/erasure", lambda w: {"posts": "burn", "confirm": "y"}, "unknown treatment"),
                                    Case("employee", lambda w: "/privacy/erasure", lambda w: {"confirm": "y"}, "already scheduled")],
        "privacy.admin_erasure": [Case("curator", lambda w: f"/admin/users/{w.base.users['champion'].id}/privacy/erasure", lambda w: {"confirm": "y"}, "not an admin")],
        "privacy.cancel_erasure": [Case("champion", lambda w: f"/privacy/erasure/{w.erasure.id}/cancel", why="someone else's"),
                                   Case("leader", lambda w: f"/privacy/erasure/{w.cancelled.id}/cancel", why="already cancelled")],
        "requests.new": [Case("employee", lambda w: "/requests/new", lambda w: intake(w, title=""), "no title"),
                         Case("employee", lambda w: "/requests/new", lambda w: intake(w, department_id=str(w.base.support.id)), "another team"),
                         Case("leader", lambda w: "/requests/new", lambda w: intake(w, cause="laziness"), "unknown cause")],
        "requests.accept": [Case("employee", lambda w: f"/requests/{w.new_request.id}/accept", lambda w: {"owner_id": str(w.base.users['employee'].id)}, "not staff"),
                            Case("curator", lambda w: f"/requests/{w.accepted_request.id}/accept", lambda w: {"owner_id": str(w.base.users['curator'].id)}, "already accepted")],
        "requests.assign": [Case("curator", lambda w: f"/requests/{w.new_request.id}/assign", lambda w: {"owner_id": str(w.base.users['curator'].id)}, "not accepted yet")],
        "requests.decline": [Case("curator", lambda w: f"/requests/{w.new_request.id}/decline", lambda w: {"reason": " "}, "no reason")],
        "requests.merge": [Case("curator", lambda w: f"/requests/{w.new_request.id}/merge", lambda w: {"into_id": str(w.new_request.id)}, "into itself")],
        "requests.link": [Case("curator", lambda w: f"/requests/{w.accepted_request.id}/link", lambda w: {"kind": "item", "reference": "/items/nope"}, "nothing there"),
                          Case("employee", lambda w: f"/requests/{w.accepted_request.id}/link", lambda w: {"kind": "item", "reference": items(w)}, "the requester")],
        "requests.deliver": [Case("curator", lambda w: f"/requests/{w.accepted_request.id}/deliver", why="nothing linked"),
                             Case("curator", lambda w: f"/requests/{w.new_request.id}/deliver", why="not accepted")],
        "requests.from_gap": [Case("employee", lambda w: "/requests/gap", lambda w: {"query": "mileage"}, "not staff"),
                              Case("curator", lambda w: "/requests/gap", lambda w: {"query": " "}, "no search")],
        "review.redact": [Case("employee", lambda w: f"/review/{w.pending.id}/redact", lambda w: {"text": "Pull the roll"}, "the submitter"),
                          Case("champion", lambda w: f"/review/{w.pending.id}/redact", lambda w: {"text": "ab"}, "too short")],
        "review.edit_text": [Case("champion", lambda w: f"/review/{w.pending.id}/text", lambda w: {"title": " ", "summary": "x"}, "no title"),
                             Case("champion", lambda w: f"/review/{w.draft.id}/text", lambda w: {"title": "T", "summary": "x"}, "a draft")],
        "submissions.withdraw": [Case("employee", lambda w: f"/submissions/{w.draft.id}/withdraw", why="a draft"),
                                 Case("champion", lambda w: f"/submissions/{w.pending.id}/withdraw", why="not the submitter")],
        "search.add_vocabulary": [Case("employee", lambda w: "/curate/vocabulary", lambda w: {"phrases": "a, b"}, "not a curator"),
                                  Case("curator", lambda w: "/curate/vocabulary", lambda w: {"phrases": "lonely"}, "one phrase")],
        "search.edit_vocabulary": [Case("curator", lambda w: f"/curate/vocabulary/{w.vocabulary.id}", lambda w: {"phrases": ""}, "no phrases")],
        "search.result_opened": [Case("employee", lambda w: "/search/opened", lambda w: {"sid": "no-such-search", "q": " "}, "nothing typed")],
    })
    scim = {"scim.bulk": "/scim/v2/Bulk", "scim.create": "/scim/v2/Users", "scim.fallback": "/scim/v2/Nothing",
            "scim.me_create": "/scim/v2/Me", "scim.search_root_with_body": "/scim/v2/.search",
            "scim.search_with_body": "/scim/v2/Users/.search"}
    cases.update({name: [Case("anonymous", lambda w, p=path: p, why="no bearer token")] for name, path in scim.items()})
    return cases
