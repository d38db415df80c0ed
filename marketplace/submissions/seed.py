"""Demo submissions so the review queue is alive on first run (one flagged, one overdue)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item, Moment
from marketplace.extensions import db
from marketplace.submissions import curator_lists, services
from marketplace.timeutil import utcnow

DEMO_TERM = "Project Nightjar"
DEMO = [
    {
        "email": "employee@demo.test", "department": "sales", "type": "job_aid", "moment": "solve",
        "kpis": ["win-rate"], "title": "Customer asks for a discount on the phone",
        "summary": "What to say, what to check and who approves, in under a minute.",
        "body": "## Say\n\n“Let me check what I can do and call you back today.”\n\n"
                "## Check\n\n1. The discount approval matrix.\n2. The deal size.\n\n"
                "Stuck? Ring Dana on +44 20 7946 0958 or mail dana.finance@example.com.",
    },
    {
        "email": "employee@demo.test", "department": "sales", "type": "checklist", "moment": "apply",
        "kpis": ["days-to-first-sale"], "title": "Kit check before an on-site demo", "days_ago": 8,
        "summary": "Five things to check the evening before you visit a customer.",
        "steps": ["Laptop charged and updated", "Demo account reset", "Customer's use case noted",
                  "Adapter for their projector", "Printed one-page price sheet"],
    },
    {
        "email": "champion@demo.test", "department": "support", "type": "job_aid", "moment": "change",
        "kpis": ["first-contact-resolution"], "title": "What the new ticket tags mean",
        "summary": "The three new tags and when to use each.",
        "body": "- **billing**: anything about invoices\n- **access**: log-in trouble\n- **bug**: the product misbehaves",
    },
]


def seed_submissions() -> int:
    """Add the demo submissions that do not exist yet; return how many were added."""
    if db.session.scalar(select(User.id).where(User.email == "employee@demo.test")) is None:
        return 0
    curator_lists.add_term(DEMO_TERM, db.session.scalar(select(User).where(User.email == "curator@demo.test")))
    added = 0
    for spec in DEMO:
        if db.session.scalar(select(Item.id).where(Item.title == spec["title"])) is not None:
            continue
        user = db.session.scalar(select(User).where(User.email == spec["email"]))
        department = db.session.scalar(select(Department).where(Department.slug == spec["department"]))
        data = services.SubmissionData(
            type=spec["type"], title=spec["title"], summary=spec["summary"],
            moment_id=db.session.scalar(select(Moment.id).where(Moment.slug == spec["moment"])),
            department_id=department.id,
            kpi_ids=list(db.session.scalars(select(KPI.id).where(KPI.slug.in_(spec["kpis"])))),
            body=spec.get("body", ""), steps=spec.get("steps", []),
        )
        submission = services.save(user, data, [], current_app.config, Path(current_app.config["UPLOAD_DIR"]),
                                   submit=True)
        if "days_ago" in spec:  # so the overdue marker and the escalation view have something to show
            submission.submitted_at = utcnow() - timedelta(days=spec["days_ago"])
            for event in submission.events:
                event.created_at = submission.submitted_at
            db.session.commit()
        added += 1
    return added
