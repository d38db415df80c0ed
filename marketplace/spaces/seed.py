"""Demo spaces, skills and endorsements; idempotent (existing spaces and endorsements are kept)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import KPI, Skill
from marketplace.curation.services import slugify
from marketplace.extensions import db
from marketplace.people.models import Endorsement
from marketplace.spaces.models import Experiment, Membership, Post, PostVote, Space, Thread
from marketplace.timeutil import today, utcnow

D = "@demo.test"
# person → {skill: [endorsers]}; skills not yet listed are added to the profile.
ENDORSEMENTS = {
    "oskar.berg": {"Refunds and credits": ["tomasz.kowalski", "chloe.martin", "leader", "curator", "employee", "champion", "admin"]},
    "chloe.martin": {"Refunds and credits": ["oskar.berg", "tomasz.kowalski"], "De-escalation": ["leader", "tomasz.kowalski", "oskar.berg"]},
    "tomasz.kowalski": {"Ticket triage": ["leader", "chloe.martin", "oskar.berg"], "Knowledge base writing": ["curator", "leader"]},
    "grace.mensah": {"Expense policy": ["mei.chen", "daniel.kim", "employee", "champion", "curator"]},
    "mei.chen": {"Month-end close": ["grace.mensah", "daniel.kim"]},
    "champion": {"Objection handling": ["employee", "aisha.patel", "elena.rossi"], "Discovery calls": ["employee", "rafael.souza"]},
    "rafael.souza": {"CRM hygiene": ["champion", "employee", "aisha.patel", "elena.rossi"]},
    "curator": {"Running a team retro": ["leader", "liam.oconnor", "tomasz.kowalski"]},
    "liam.oconnor": {"Forklift safety": ["fatima.haddad", "admin"]},
}

# Each space: its people (first is the host), threads as (kind, title, author, body, skills, replies),
# replies as (author, body, votes, accepted, nested replies as (author, body)).
SPACES = [
    {
        "slug": "refund-policy-2026", "name": "Refund policy 2026 roll-out", "visibility": "open", "kpi": "first-contact-resolution",
        "problem": "The 2026 refund policy went live on Monday and agents are giving customers three different answers. "
                   "We swarm the edge cases until every agent answers the same way on the first contact.",
        "skills": ["Refunds and credits", "De-escalation"], "days_left": 21,
        "people": ["leader", "oskar.berg", "chloe.martin", "tomasz.kowalski", "curator", "employee"],
        "threads": [
            ("question", "Customer bought 45 days ago and wants a refund: does the new policy allow it?", "chloe.martin",
             "A customer on chat bought an annual plan **45 days ago** and wants their money back. The old rule was 30 days. "
             "The new policy page mentions *pro-rata* but I can't tell if that applies here. What do I say?",
             ["Refunds and credits"], [
                 ("oskar.berg", "Yes, with pro-rata. Since the 2026 policy, annual plans are refundable **pro-rata up to 90 days**:\n\n"
                  "1. Work out the unused months (12 minus months used, rounded down).\n2. Offer the refund for those months.\n"
                  "3. Log it with the reason code `REF-PRORATA` so finance can reconcile.\n\nAfter 90 days offer account credit instead.",
                  5, True, [("chloe.martin", "That worked, the customer accepted. Thank you!"),
                            ("tomasz.kowalski", "Adding this to the Tier 1 FAQ today. @oskar.berg can you check my wording?")]),
                 ("tomasz.kowalski", "If the customer used a promo code, check the discount first: the refund is on what they paid, not list price.",
                  3, False, []),
                 ("curator", "This keeps coming up. Once it settles, let's harvest it into a job aid for the refund shelf.", 2, False, []),
                 ("employee", "Does the same rule apply to monthly plans in sales deals?", 0, False,
                  [("oskar.berg", "No: monthly plans stay non-refundable; offer credit for the current month at most.")]),
             ]),
            ("discussion", "Which refund questions should go straight to Tier 2?", "leader",
             "Let's agree on a short list so Tier 1 stops guessing. Reply with the cases you've escalated this week.",
             ["Ticket triage"], [
                 ("tomasz.kowalski", "Anything involving a chargeback already filed by the bank.", 4, False, []),
                 ("chloe.martin", "Refunds over 1,000 EUR: they need a supervisor's approval anyway.", 2, False, []),
             ]),
        ],
    },
    {
        "slug": "expense-rejections", "name": "Why are so many expense claims rejected?", "visibility": "private", "kpi": "expense-claims-rejected",
        "problem": "One claim in five comes back for correction. Finance wants to find the three causes behind most rejections, privately first.",
        "skills": ["Expense policy"], "days_left": 30, "chatham_house": True,
        "people": ["curator", "grace.mensah", "mei.chen", "daniel.kim"],
        "threads": [
            ("question", "Are missing receipts or wrong cost centres the bigger cause?", "mei.chen",
             "From my close reports it looks like wrong cost centres, but I only see the ones that reach me.", ["Expense policy"], [
                 ("grace.mensah", "Missing or unreadable receipts: about 60% of what we send back.", 3, False, []),
             ]),
        ],
    },
    {
        "slug": "new-crm-roll-out", "name": "New CRM roll-out", "visibility": "members", "kpi": "crm-data-completeness",
        "problem": "Sales moves to the new CRM this quarter. We want every opportunity complete and dated by the end of the roll-out.",
        "skills": ["CRM hygiene"], "days_left": -10, "archived": True,
        "people": ["leader", "rafael.souza", "champion", "employee", "aisha.patel"],
        "threads": [
            ("question", "Where did the next-step date field go?", "employee",
             "In the old CRM it was on the first tab. I can't find it in the new one.", ["CRM hygiene"], [
                 ("rafael.souza", "It's under **Activity → Next step** now; required before you can save a stage change.", 4, True, []),
             ]),
        ],
        "retro": ("We moved 40 sellers in two weeks; completeness went from 61% to 83%.",
                  "The required next-step field did most of the work; training videos were barely watched.",
                  [("Make next-step mandatory in every pipeline stage", "kept"), ("Replace the long video with a one-page job aid", "running"),
                   ("Weekly completeness leaderboard", "dropped")]),
    },
    {
        "slug": "warehouse-safety-circle", "name": "Warehouse safety circle", "visibility": "members", "kpi": "safety-incidents",
        "problem": "A standing community of practice for shift leads who want fewer incidents and faster near-miss reports.",
        "skills": ["Forklift safety", "Incident reporting"], "permanent": True,
        "people": ["liam.oconnor", "fatima.haddad", "admin"],
        "threads": [],
    },
]


def _users() -> dict[str, User]:
    return {u.email.removesuffix(D): u for u in db.session.scalars(select(User).where(User.email.like(f"%{D}")))}


def _endorsements(users: dict[str, User], skills: dict[str, Skill], created: Counter) -> None:
    for person, by_skill in ENDORSEMENTS.items():
        user = users.get(person)
        if user is None:
            continue
        for skill_name, endorsers in by_skill.items():
            skill = skills.get(slugify(skill_name))
            if skill is None:
                continue
            if skill not in user.skills:
                user.skills.append(skill)
            for endorser in filter(None, (users.get(e) for e in endorsers)):
                exists = db.session.scalar(select(Endorsement.id).where(
                    Endorsement.user_id == user.id, Endorsement.skill_id == skill.id, Endorsement.endorser_id == endorser.id))
                if exists is None:
                    db.session.add(Endorsement(user_id=user.id, skill_id=skill.id, endorser_id=endorser.id))
                    created["endorsements"] += 1


def _post(thread: Thread, author: User, body: str, voters: list[User], **fields) -> Post:
    post = Post(thread=thread, author=author, body=body, score=len(voters), **fields)
    db.session.add(post)
    db.session.flush()
    db.session.add_all(PostVote(user_id=v.id, post_id=post.id) for v in voters)
    return post


def _space(spec: dict, users: dict[str, User], skills: dict[str, Skill], created: Counter) -> None:
    people = [users[p] for p in spec["people"] if p in users]
    kpi = db.session.scalar(select(KPI).where(KPI.slug == spec["kpi"]))
    host = people[0]
    space = Space(
        slug=spec["slug"], name=spec["name"], problem=spec["problem"], visibility=spec["visibility"], kpi=kpi,
        department_id=kpi.department_id if kpi else host.department_id, chatham_house=spec.get("chatham_house", False),
        skills=[skills[slugify(s)] for s in spec["skills"] if slugify(s) in skills], created_by=host,
        ends_on=today() + timedelta(days=spec["days_left"]) if "days_left" in spec else None,
        status="archived" if spec.get("archived") else "permanent" if spec.get("permanent") else "active",
        archived_at=utcnow() if spec.get("archived") else None,
    )
    space.memberships = [Membership(user_id=u.id, role="host" if u is host else "member", state="active") for u in people]
    db.session.add(space)
    pinned = Thread(space=space, kind="pinned", title="Why we are here", author=host, pinned=True)
    db.session.add(pinned)
    _post(pinned, host, spec["problem"], [], is_opening=True)
    for kind, title, author, body, thread_skills, replies in spec["threads"]:
        voters = [p for p in people if p is not users[author]]
        thread = Thread(space=space, kind=kind, title=title, author=users[author],
                        skills=[skills[slugify(s)] for s in thread_skills if slugify(s) in skills])
        db.session.add(thread)
        _post(thread, users[author], body, voters[:2], is_opening=True)
        for who, text, votes, accepted, nested in replies:
            others = [p for p in people if p is not users[who]]
            parent = _post(thread, users[who], text, others[:votes], accepted=accepted)
            thread.solved = thread.solved or accepted
            for child_author, child_text in nested:
                _post(thread, users[child_author], child_text, [], parent_id=parent.id)
    if "retro" in spec:
        what, so_what, actions = spec["retro"]
        retro = Thread(space=space, kind="retro", title="Roll-out retro", author=host, retro_what=what, retro_so_what=so_what,
                       retro_now_what="\n".join(f"- {a}" for a, _ in actions))
        db.session.add(retro)
        _post(retro, host, "", [], is_opening=True)
        db.session.flush()
        for n, (action, status) in enumerate(actions):
            owner = people[(n + 1) % len(people)]
            db.session.add(Experiment(space_id=space.id, thread_id=retro.id, title=action, owner_id=owner.id,
                                      due_on=today() + timedelta(days=14 * (n + 1)), status=status))
    created["spaces"] += 1


def load_spaces(created: Counter | None = None) -> Counter:
    """Add demo endorsements and spaces that are not there yet."""
    created = created if created is not None else Counter()
    users = _users()
    skills = {s.slug: s for s in db.session.scalars(select(Skill))}
    _endorsements(users, skills, created)
    for spec in SPACES:
        if db.session.scalar(select(Space.id).where(Space.slug == spec["slug"])) is None:
            _space(spec, users, skills, created)
    db.session.commit()
    return created
