"""Every POST route enforces its rules when the request bypasses the form.

A request crafted by hand (missing fields, wrong state, wrong owner) must be refused with a 4xx
(or a polite redirect) and change nothing in the database: the rules live in services and the
policy, not in the page that usually sends the form. A POST route without cases here fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.search.models import ContentRequest
from marketplace.spaces import discussions
from marketplace.submissions import review
from marketplace.submissions.models import ConfidentialTerm
from tests import submission_helpers as h
from tests.post_bypass_features import extend_world, feature_cases
from tests.spaces_fixtures import build_world

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix


@dataclass
class Case:
    role: str  # a base role, or "champion2" (a second Sales champion who did not claim)
    path: Callable
    data: Callable = field(default=lambda w: {})
    why: str = ""


def sp(w) -> str:
    return f"/spaces/{w.space.slug}"


def sub(w, name: str) -> int:
    return getattr(w, name).id


BYPASS: dict[str, list[Case]] = {
    "accounts.login": [Case("anonymous", lambda w: "/login", lambda w: {"email": "employee@test.example"}, "no password")],
    "accounts.logout": [Case("anonymous", lambda w: "/logout", why="nobody signed in")],
    "admin.users": [
        Case("curator", lambda w: "/admin/users", lambda w: {"email": "x@test.example", "name": "X", "password": "long enough pw 1"}, "not an admin"),
        Case("admin", lambda w: "/admin/users", lambda w: {"name": "No email"}, "missing fields"),
    ],
    "admin.edit_user": [Case("leader", lambda w: f"/admin/users/{w.base.users['employee'].id}", lambda w: {"name": "Hacked"}, "not an admin")],
    "catalog.tick_step": [
        Case("employee", lambda w: f"/items/{w.base.checklist.slug}/steps/999999", lambda w: {"checked": "1"}, "a step of no item"),
        Case("leader", lambda w: f"/items/{w.base.draft.slug}/steps/{w.base.checklist.steps[0].id}", lambda w: {"checked": "1"}, "hidden draft, another item's step"),
    ],
    "catalog.reset_checklist": [Case("leader", lambda w: f"/items/{w.base.draft.slug}/checklist/reset", why="hidden draft")],
    "catalog.helpful": [
        Case("employee", lambda w: f"/items/{w.base.job_aid.slug}/helpful", lambda w: {"answer": "maybe"}, "not yes or no"),
        Case("leader", lambda w: f"/items/{w.base.draft.slug}/helpful", lambda w: {"answer": "yes"}, "hidden draft"),
    ],
    "curation.new": [
        Case("employee", lambda w: "/collections/new", lambda w: {"title": "Mine", "intent": "x", "kpi_id": str(w.base.kpi.id)}, "not staff"),
        Case("curator", lambda w: "/collections/new", lambda w: {"title": ""}, "missing fields"),
    ],
    "curation.edit": [Case("curator", lambda w: f"/collections/{w.base.collection.slug}/edit", lambda w: {"title": ""}, "missing fields")],
    "curation.add_item": [
        Case("curator", lambda w: f"/collections/{w.base.collection.slug}/items", lambda w: {"item_id": str(w.base.draft.id)}, "a draft item"),
        Case("curator", lambda w: f"/collections/{w.base.collection.slug}/items", lambda w: {}, "no item"),
    ],
    "curation.remove_item": [Case("curator", lambda w: f"/collections/{w.base.collection.slug}/items/999999/remove", why="entry of no collection")],
    "curation.move_item": [
        Case("curator", lambda w: f"/collections/{w.base.collection.slug}/items/{w.base.collection.entries[0].id}/move", lambda w: {"direction": "sideways"}, "bad direction"),
        Case("employee", lambda w: f"/collections/{w.base.collection.slug}/items/{w.base.collection.entries[0].id}/move", lambda w: {"direction": "down"}, "not staff"),
    ],
    "notifications.mark_read": [Case("anonymous", lambda w: "/notifications/read", why="nobody signed in")],
    "submissions.new": [
        Case("employee", lambda w: "/submit", lambda w: {**h.form(w.base, summary="", kpi_ids=[]), "type": "job_aid", "body": ""}, "incomplete submission"),
        Case("employee", lambda w: "/submit", lambda w: {"submit_review": "1"}, "nothing at all"),
    ],
    "submissions.edit": [
        Case("champion", lambda w: f"/submissions/{sub(w, 'draft')}/edit", lambda w: h.form(w.base), "not the submitter"),
        Case("employee", lambda w: f"/submissions/{sub(w, 'draft')}/edit", lambda w: {**h.form(w.base, summary=""), "file": ""}, "incomplete"),
    ],
    "submissions.submit": [
        Case("employee", lambda w: f"/submissions/{sub(w, 'draft')}/submit", why="draft without a summary"),
        Case("champion", lambda w: f"/submissions/{sub(w, 'draft')}/submit", why="not the submitter"),
        Case("employee", lambda w: f"/submissions/{sub(w, 'pending')}/submit", why="already pending"),
    ],
    "submissions.comment": [Case("employee", lambda w: f"/submissions/{sub(w, 'pending')}/comment", lambda w: {"text": ""}, "empty comment"),
                            Case("leader", lambda w: f"/submissions/{sub(w, 'pending')}/comment", lambda w: {"text": "Hi"}, "an outsider")],
    "submissions.preview": [Case("employee", lambda w: "/submit/preview", lambda w: {"body": "x" * 50_001}, "too long")],
    "review.claim": [
        Case("champion", lambda w: f"/review/{sub(w, 'own')}/claim", why="own work"),
        Case("champion", lambda w: f"/review/{sub(w, 'draft')}/claim", why="a draft"),
        Case("curator", lambda w: f"/review/{sub(w, 'pending')}/claim", why="claimed by someone else"),
    ],
    "review.release": [
        Case("champion2", lambda w: f"/review/{sub(w, 'pending')}/release", why="claimed by someone else"),
        Case("champion", lambda w: f"/review/{sub(w, 'own')}/release", why="not claimed"),
    ],
    "review.decide": [
        Case("champion2", lambda w: f"/review/{sub(w, 'pending')}/decide", lambda w: {"decision": "approve"}, "not the claimant"),
        Case("champion", lambda w: f"/review/{sub(w, 'pending')}/decide", lambda w: {"decision": "reject", "note": " "}, "no reason"),
        Case("champion", lambda w: f"/review/{sub(w, 'pending')}/decide", lambda w: {"decision": "publish-twice"}, "unknown decision"),
    ],
    "review.trusted": [
        Case("curator", lambda w: "/review/trusted", lambda w: {"user_id": "999999", "department_id": str(w.base.sales.id)}, "no such person"),
        Case("champion", lambda w: "/review/trusted", lambda w: {"user_id": str(w.base.users["champion"].id), "department_id": str(w.base.sales.id)}, "not staff"),
    ],
    "review.untrust": [Case("champion", lambda w: f"/review/trusted/{w.base.users['employee'].id}/{w.base.sales.id}/remove", why="not staff")],
    "review.terms": [Case("curator", lambda w: "/review/terms", lambda w: {"term": "x"}, "too short"),
                     Case("employee", lambda w: "/review/terms", lambda w: {"term": "Project Falcon"}, "not staff")],
    "review.remove_term": [Case("champion", lambda w: f"/review/terms/{w.term.id}/remove", why="not staff")],
    "people.skills": [Case("employee", lambda w: f"/people/{w.base.users['leader'].id}/skills", lambda w: {"skill_ids": str(w.base.skill.id)}, "someone else's skills")],
    "people.endorse": [Case("employee", lambda w: f"/people/{w.base.users['employee'].id}/skills/{w.base.skill.id}/endorse", why="endorsing oneself")],
    "spaces.new": [
        Case("employee", lambda w: "/spaces/new", lambda w: {"name": "Mine", "problem": "x", "kpi_id": "0", "visibility": "open"}, "not a leader"),
        Case("leader", lambda w: "/spaces/new", lambda w: {"name": "", "visibility": "open"}, "missing fields"),
        Case("leader", lambda w: "/spaces/new", lambda w: {"name": "Past", "problem": "x", "kpi_id": "0", "visibility": "open", "ends_on": "2001-01-01"}, "end date passed"),
    ],
    "spaces.ask": [Case("employee", lambda w: "/spaces/ask", lambda w: {"space": "", "title": ""}, "no question"),
                   Case("champion", lambda w: "/spaces/ask", lambda w: {"space": w.space.slug, "title": "Let me in?"}, "private space")],
    "spaces.join": [Case("champion", lambda w: f"{sp(w)}/join", why="private space"),
                    Case("employee", lambda w: f"{sp(w)}/join", why="already a member")],
    "spaces.answer": [Case("champion", lambda w: f"{sp(w)}/invitation", lambda w: {"answer": "accept"}, "not invited"),
                      Case("curator", lambda w: f"{sp(w)}/invitation", lambda w: {"answer": "maybe"}, "bad answer")],
    "spaces.invite": [Case("employee", lambda w: f"{sp(w)}/invite", lambda w: {"invite_emails": "admin@test.example"}, "not a host")],
    "spaces.member": [
        Case("employee", lambda w: f"{sp(w)}/members/{w.base.users['leader'].id}/remove", why="not a host"),
        Case("leader", lambda w: f"{sp(w)}/members/{w.base.users['leader'].id}/remove", why="the last host"),
        Case("leader", lambda w: f"{sp(w)}/members/{w.base.users['champion'].id}/approve", why="never asked"),
    ],
    "spaces.lifecycle": [Case("employee", lambda w: f"{sp(w)}/lifecycle", lambda w: {"action": "archive"}, "not a host"),
                         Case("leader", lambda w: f"{sp(w)}/lifecycle", lambda w: {"action": "explode"}, "unknown action"),
                         Case("leader", lambda w: f"{sp(w)}/lifecycle", lambda w: {"action": "reopen"}, "not archived")],
    "spaces.new_thread": [
        Case("employee", lambda w: f"{sp(w)}/threads", lambda w: {"kind": "retro", "title": "T", "body": "B"}, "not a question or discussion"),
        Case("employee", lambda w: f"{sp(w)}/threads", lambda w: {"kind": "question"}, "missing title"),
        Case("champion", lambda w: f"{sp(w)}/threads", lambda w: {"kind": "question", "title": "T", "body": "B"}, "an outsider"),
    ],
    "spaces.reply": [
        Case("employee", lambda w: f"{sp(w)}/threads/{w.thread.id}/replies", lambda w: {"body": ""}, "empty"),
        Case("employee", lambda w: f"{sp(w)}/threads/{w.thread.id}/replies", lambda w: {"body": "x", "parent_id": str(w.other_post.id)}, "parent in another thread"),
        Case("curator", lambda w: f"{sp(w)}/threads/{w.thread.id}/replies", lambda w: {"body": "x"}, "only invited"),
    ],
    "spaces.vote": [Case("leader", lambda w: f"{sp(w)}/posts/{w.answer.id}/vote", why="own post")],
    "spaces.accept": [Case("employee", lambda w: f"{sp(w)}/posts/{w.opening.id}/accept", why="the question itself"),
                      Case("employee", lambda w: f"{sp(w)}/posts/{w.other_post.id}/accept", why="not the asker of that thread")],
    "spaces.edit_post": [Case("employee", lambda w: f"{sp(w)}/posts/{w.answer.id}/edit", lambda w: {"body": "Mine now"}, "someone else's post"),
                         Case("leader", lambda w: f"{sp(w)}/posts/{w.answer.id}/edit", lambda w: {"body": ""}, "empty body")],
    "spaces.delete_post": [Case("employee", lambda w: f"{sp(w)}/posts/{w.answer.id}/delete", why="someone else's post")],
    "spaces.hide_post": [Case("employee", lambda w: f"{sp(w)}/posts/{w.answer.id}/hide", lambda w: {"reason": "x"}, "not a host"),
                         Case("leader", lambda w: f"{sp(w)}/posts/{w.opening.id}/hide", lambda w: {"reason": " "}, "no reason")],
    "spaces.retro": [Case("employee", lambda w: f"{sp(w)}/retro", lambda w: {"what": "a", "so_what": "b", "now_what": "  "}, "no experiment"),
                     Case("champion", lambda w: f"{sp(w)}/retro", lambda w: {"what": "a", "so_what": "b", "now_what": "c"}, "an outsider")],
    "spaces.experiment": [Case("leader", lambda w: f"{sp(w)}/experiments/{w.experiment.id}", lambda w: {"status": "finished-ish"}, "unknown status"),
                          Case("employee", lambda w: f"{sp(w)}/experiments/{w.experiment.id}", lambda w: {"status": "kept"}, "not owner or host")],
    "spaces.harvest": [Case("employee", lambda w: f"{sp(w)}/threads/{w.thread.id}/harvest", why="not a host or champion"),
                       Case("leader", lambda w: f"{sp(w)}/threads/{w.other_thread.id}/harvest", why="not solved")],
    "search.log_demand": [Case("employee", lambda w: "/search/demand", lambda w: {"q": ""}, "nothing typed")],
    "search.request_content": [Case("employee", lambda w: "/search/request", lambda w: {"q": "   "}, "nothing typed")],
    "search.create_request": [Case("champion", lambda w: "/curate/demand/requests", lambda w: {"query": "x", "department_id": str(w.base.sales.id)}, "not staff"),
                              Case("curator", lambda w: "/curate/demand/requests", lambda w: {"query": "x", "department_id": "999999"}, "no such department")],
    "search.resolve_request": [Case("champion", lambda w: f"/curate/requests/{w.request.id}/resolve", why="not staff"),
                               Case("curator", lambda w: "/curate/requests/999999/resolve", why="no such request")],
}
BYPASS.update(feature_cases(Case))  # the features merged later (issue 15): tests/post_bypass_features.py


@pytest.fixture()
def world(base, tmp_path):
    """A private space with two threads, submissions in several states, a term and a content request,
    plus what the later features' cases point at (see tests/post_bypass_features.py)."""
    w = build_world(base)
    w.opening = discussions.opening_post(w.thread)
    w.other_thread = discussions.create_thread(w.space, base.users["leader"], discussions.ThreadData("question", "Other?", "Body"))
    w.other_post = discussions.reply(w.other_thread, base.users["employee"], "An answer elsewhere")
    w.pending = h.make(base, tmp_path)
    review.claim(w.pending, base.users["champion"])
    w.draft = h.make(base, tmp_path, state="draft", title="Half done", summary="")
    w.own = h.make(base, tmp_path, submitter=base.users["champion"], title="By the champion")
    w.champion2 = h.extra_user("champ2@test.example", "Cam Second", base.sales, champion_of=[base.sales])
    w.term = ConfidentialTerm(term="Project Falcon", created_by_id=base.users["curator"].id)
    w.request = ContentRequest(query="refunds", filters="", department=base.sales, note="", created_by=base.users["curator"])
    db.session.add_all([w.term, w.request])
    db.session.commit()
    extend_world(w)
    return w


def fingerprint() -> dict[str, list[tuple]]:
    """Every row of every table: a refused request must leave all of it as it was."""
    db.session.expire_all()
    return {t.name: sorted(map(tuple, db.session.execute(select(t)).all()), key=repr) for t in db.metadata.sorted_tables}


def _features():
    """The bypass cases grouped by blueprint: one world serves a whole group, since every case must leave it as it was."""
    groups: dict[str, list[str]] = {}
    for endpoint in BYPASS:
        groups.setdefault(endpoint.split(".")[0], []).append(endpoint)
    for feature, endpoints in sorted(groups.items()):
        yield pytest.param(endpoints, id=feature)


def _client(app, as_role, world, role: str):
    if role == "champion2":
        client = app.test_client()
        client.login(world.champion2.email)
        return client
    return as_role(role)


def _attempt(app, as_role, world, endpoint: str, case, htmx: bool) -> str | None:
    """Send one case without its form; None when the rules held, else what went wrong."""
    client = _client(app, as_role, world, case.role)
    label = f"{endpoint} ({case.why}) as {case.role}{' via htmx' if htmx else ''}"
    before = fingerprint()
    response = client.send(case.path(world), case.data(world), htmx=htmx)
    if response.status_code >= 500:
        return f"{label}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    after = fingerprint()
    changed = {name for name in before if before[name] != after[name]}
    if changed:
        return f"{label} changed {sorted(changed)}: status {response.status_code}"
    location = response.headers.get("Location", "")
    # A plain form may be refused with a redirect, but then the next page must say why.
    redirected = response.status_code in (302, 303) and "/login" not in location
    if redirected and "flash-error" not in client.get(location).get_data(as_text=True):
        return f"{label} redirected as if it had worked"
    return None


@pytest.mark.parametrize("endpoints", list(_features()))
def test_post_rules_hold_without_the_form(app, as_role, world, endpoints):
    """Every case of a feature's POST routes, as a plain form and through htmx, on one world: no 5xx, no row changed."""
    problems = [problem for endpoint in endpoints for case in BYPASS[endpoint] for htmx in (False, True)
                if (problem := _attempt(app, as_role, world, endpoint, case, htmx))]
    assert not problems, "\n".join(problems)


def test_every_post_route_has_bypass_cases(app):
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())}
    missing = sorted(posts - set(BYPASS))
    assert not missing, f"add form-bypass cases for these POST routes to tests/test_post_bypass.py: {missing}"


def test_incomplete_draft_cannot_be_submitted_through_the_bare_route(as_role, world):
    response = as_role("employee").send(f"/submissions/{world.draft.id}/submit")
    assert response.status_code == 422 and "Write a one-line summary." in response.get_data(as_text=True)
    db.session.refresh(world.draft)
    assert world.draft.state == "draft" and world.draft.item.status == "draft"
