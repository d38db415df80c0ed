"""A seeded person who has done a bit of everything, and a search for them across every store."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from whoosh import query

from marketplace.accounts.models import User
from marketplace.catalog.models import ChecklistTick, HelpfulVote, MediaFile
from marketplace.events.models import ObjectType, Verb
from marketplace.events.services import record
from marketplace.extensions import db
from marketplace.mail.services import send_mail
from marketplace.notifications.services import notify
from marketplace.people.models import Endorsement
from marketplace.search.hooks import index_for
from marketplace.spaces import discussions
from marketplace.spaces import services as spaces
from marketplace.submissions.models import Submission
from tests import factories
from tests import submission_helpers as h
from tests.spaces_fixtures import space_data

NAME, EMAIL = "Zelda Quixotix", "zelda.quixotix@test.example"
BIO, POST, PUBLISHED, DRAFT = "zqbio7781", "zqpost4411", "Zqpubtitle", "Zqdrafttitle"


@dataclass
class Person:
    user: User
    published: Submission
    draft: Submission
    thread_id: int
    media_names: list[str]


def seed_person(base, tmp_path: Path) -> Person:
    """Zelda: profile, skills, endorsements both ways, two submissions with images, a thread, votes,
    progress, notifications (and one to someone else naming her), a learning event and a sent e-mail."""
    users = base.users
    zelda = factories.user(EMAIL, NAME, base.sales, bio=f"Seller. {BIO}")
    zelda.skills = [base.skill]
    db.session.flush()
    db.session.add_all([
        Endorsement(user_id=zelda.id, skill_id=base.skill.id, endorser_id=users["employee"].id),
        Endorsement(user_id=users["employee"].id, skill_id=base.skill.id, endorser_id=zelda.id),
        ChecklistTick(user_id=zelda.id, step_id=base.checklist.steps[0].id),
        HelpfulVote(user_id=zelda.id, item_id=base.job_aid.id, helpful=True),
    ])
    notify(zelda.id, "Welcome aboard.")
    notify(users["employee"].id, f"{NAME} endorsed your skill.")
    record(zelda, Verb.OPENED, ObjectType.ITEM, base.job_aid.id, object_ref=base.job_aid.slug)
    db.session.commit()
    published = h.make(base, tmp_path, state="approved", submitter=zelda, title=f"{PUBLISHED} printer guide")
    draft = h.make(base, tmp_path, state="draft", submitter=zelda, title=f"{DRAFT} plan")
    space = spaces.create_space(space_data(visibility="open", invite_ids=[zelda.id]), users["leader"])
    spaces.answer_invitation(space, zelda, True)
    thread = discussions.create_thread(space, zelda, discussions.ThreadData("question", "Refund timing", f"When do refunds land? {POST}", []))
    answer = discussions.reply(thread, users["leader"], f"Five days, {NAME}.")
    discussions.toggle_vote(answer, zelda)
    send_mail(EMAIL, "Hello", f"Hi {NAME}", user_id=zelda.id)
    db.session.commit()
    names = list(db.session.scalars(select(MediaFile.storage_name).where(MediaFile.owner_id == zelda.id)))
    return Person(zelda, published, draft, thread.id, names)


def database_mentions(needle: str) -> list[str]:
    """Every table.column whose value contains `needle` (any case)."""
    needle, hits = needle.lower(), []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
                if needle in text.lower():
                    hits.append(f"{table.name}.{column}")
    return hits


def index_mentions(needle: str) -> list[str]:
    """Index fields whose live documents contain the word `needle`, or stored values containing it."""
    searcher = index_for(current_app).searcher()
    hits = []
    for field, spec in searcher.schema.items():
        if spec.indexed and searcher.search(query.Term(field, needle.lower()), limit=1):
            hits.append(field)
    for fields in searcher.reader().all_stored_fields():
        hits += [k for k, v in fields.items() if needle.lower() in str(v).lower()]
    return hits


def folder_mentions(needle: str) -> list[str]:
    """Files under the upload and instance folders whose name or bytes contain `needle`."""
    hits = []
    for root in (current_app.config["UPLOAD_DIR"], current_app.config["INSTANCE_DIR"]):
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                if needle.lower() in name.lower() or needle.lower().encode() in path.read_bytes().lower():
                    hits.append(str(path))
    return hits
