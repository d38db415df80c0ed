"""Nothing escapes the registry: every column pointing at a person, or named like personal data, has an entry."""

from __future__ import annotations

import re

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

import marketplace.models  # noqa: F401  (every model registers its table)
from marketplace.extensions import db
from marketplace.privacy.registry import REGISTRY, Erase, covered

# Names that suggest personal data; a match needs a registry entry or a NOT_PERSONAL reason.
PERSONAL_NAME = re.compile(
    r"(^|_)(e_?mail|phone|mobile|address|addr|birth|dob|password|passwd|token|secret|ssn|salary|ip|user_agent|"
    r"name|username|bio|avatar|photo|text|body|note|comment|message|payload|context|subject|location|sub|claims?)(_|$)"
)


def uncovered(metadata: MetaData) -> list[str]:
    """Columns referencing users.id or named like personal data that the registry does not account for."""
    known, missing = covered(), []
    for table in metadata.sorted_tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            points_at_people = any(fk.target_fullname == "users.id" for fk in column.foreign_keys)
            if (points_at_people or PERSONAL_NAME.search(column.name)) and name not in known:
                missing.append(name)
    return missing


def test_every_personal_column_has_a_registry_entry():
    missing = uncovered(db.metadata)
    assert missing == [], (
        "add these columns to marketplace/privacy/registry.py (REGISTRY, or NOT_PERSONAL with a reason): " + ", ".join(missing)
    )


def test_a_new_column_referencing_users_is_caught():
    metadata = MetaData()
    Table("users", metadata, Column("id", Integer, primary_key=True))
    Table("api_tokens", metadata, Column("id", Integer, primary_key=True), Column("owner_id", ForeignKey("users.id")))
    Table("readings", metadata, Column("id", Integer, primary_key=True), Column("reader_ip", String), Column("score", Integer))
    assert set(uncovered(metadata)) == {"api_tokens.owner_id", "readings.reader_ip"}


def test_every_entry_names_a_real_column_once():
    names = [entry.column for entry in REGISTRY]
    assert len(names) == len(set(names))
    for entry in REGISTRY:
        assert entry.table in db.metadata.tables, entry.column
        assert entry.name in db.metadata.tables[entry.table].c, entry.column


def test_rows_of_a_table_go_with_some_entry_that_deletes_or_keeps_them():
    # A WITH_ROW column's row must be deleted or kept by another entry of the same table.
    for entry in REGISTRY:
        if entry.erase == Erase.WITH_ROW and not entry.through:
            siblings = [e for e in REGISTRY if e.table == entry.table and e.erase != Erase.WITH_ROW]
            assert siblings, f"{entry.column}: nothing decides what happens to its rows"
