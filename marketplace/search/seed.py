"""Demo vocabulary: synonym and acronym groups from seeds/demo/vocabulary.toml (idempotent)."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.search.models import VocabularyEntry


def load_vocabulary(directory: Path, created: Counter) -> None:
    """Add each group whose first phrase is not yet in the vocabulary."""
    path = directory / "vocabulary.toml"
    if not path.exists():
        return
    groups = tomllib.loads(path.read_text()).get("group", [])
    existing = {e.phrase_list[0].lower() for e in db.session.scalars(select(VocabularyEntry)) if e.phrase_list}
    for group in groups:
        phrases = [p.strip() for p in group.get("phrases", []) if p.strip()]
        if len(phrases) >= 2 and phrases[0].lower() not in existing:
            db.session.add(VocabularyEntry(phrases=", ".join(phrases), note=group.get("note", "")))
            created["search_vocabulary"] += 1
    db.session.commit()
