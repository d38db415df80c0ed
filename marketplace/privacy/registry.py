"""THE registry of personal data: every column that points at a person or may hold personal data,
and what export and erasure do with it. Export and erasure read only this list.

Adding a table with personal data is one line per column, e.g. for server-side sessions:

    Entry("sessions.user_id", Erase.DELETE),                 # rows about the person: exported, deleted
    Entry("api_tokens.token_hash", Erase.WITH_ROW, export=False),  # secrets never leave
    Entry("followups.asked_by_id", Erase.REASSIGN),          # their act on someone else's thing
    Entry("requests.body", Erase.REDACT),                    # free text that may mention them

tests/test_privacy_registry.py fails for any column that references users.id, or whose name
suggests personal data, without an entry here (or in NOT_PERSONAL with a reason).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Erase(enum.StrEnum):
    """What erasure does with a column."""

    DELETE = "delete the rows where it is the person"
    WITH_ROW = "goes with its row, deleted through another entry of the same table"
    REASSIGN = "point it at the placeholder 'a former colleague' (the row stays)"
    NULLIFY = "set it to NULL (the row stays)"
    CONTENT = "their choice per content kind: anonymise (reassign) or delete"
    REDACT = "replace the person's name and e-mail address in the text"
    JOBS = "delete every job run about the person (subject user:<id>), pending mail included"


class Kind(enum.StrEnum):
    """Kinds of content a person chooses to anonymise or delete."""

    POSTS = "posts"  # threads, posts and answers in spaces
    WORK = "work"  # catalog items, submissions and their versions and files


@dataclass(frozen=True)
class Entry:
    """One column: `table.column`, its erasure, and whether export includes it."""

    column: str
    erase: Erase
    export: bool = True
    kind: Kind | None = None
    # Rows of this table belong to the person through another table: "<fk column> -> <table.column>".
    through: str | None = None

    @property
    def table(self) -> str:
        return self.column.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.column.split(".", 1)[1]


REGISTRY: tuple[Entry, ...] = (
    # The person
    Entry("users.id", Erase.DELETE),
    Entry("users.email", Erase.WITH_ROW),
    Entry("users.name", Erase.WITH_ROW),
    Entry("users.bio", Erase.WITH_ROW),
    Entry("users.password_hash", Erase.WITH_ROW, export=False),
    Entry("user_skills.user_id", Erase.DELETE),
    Entry("champion_departments.user_id", Erase.DELETE),
    Entry("trusted_contributors.user_id", Erase.DELETE),
    Entry("trusted_contributors.granted_by_id", Erase.NULLIFY),
    Entry("endorsements.user_id", Erase.DELETE),  # received
    Entry("endorsements.endorser_id", Erase.DELETE),  # given
    # Using the catalog
    Entry("checklist_ticks.user_id", Erase.DELETE),
    Entry("helpful_votes.user_id", Erase.DELETE),
    Entry("notifications.user_id", Erase.DELETE),
    Entry("notifications.text", Erase.REDACT),  # others' notifications may name them
    Entry("learning_events.actor_id", Erase.DELETE),
    Entry("learning_events.context", Erase.WITH_ROW),
    # Their work
    Entry("items.owner_id", Erase.CONTENT, kind=Kind.WORK),
    Entry("items.body", Erase.REDACT),
    Entry("submissions.submitter_id", Erase.CONTENT, kind=Kind.WORK),
    Entry("submission_versions.submission_id", Erase.WITH_ROW, through="submission_id -> submissions.submitter_id"),
    Entry("submission_versions.author_id", Erase.CONTENT, kind=Kind.WORK),
    Entry("submission_events.submission_id", Erase.WITH_ROW, through="submission_id -> submissions.submitter_id"),
    Entry("media_files.owner_id", Erase.CONTENT, kind=Kind.WORK),
    Entry("media_files.original_name", Erase.WITH_ROW),  # blanked when the file stays
    Entry("collections.owner_id", Erase.REASSIGN),
    # Reviewing others' work
    Entry("submissions.claimed_by_id", Erase.NULLIFY),
    Entry("submissions.decision_note", Erase.REDACT),
    Entry("submission_events.actor_id", Erase.REASSIGN),
    Entry("submission_events.text", Erase.REDACT),
    Entry("confidential_terms.created_by_id", Erase.NULLIFY),
    Entry("content_requests.created_by_id", Erase.NULLIFY),
    Entry("content_requests.note", Erase.REDACT),
    # Spaces
    Entry("space_threads.author_id", Erase.CONTENT, kind=Kind.POSTS),
    Entry("space_posts.author_id", Erase.CONTENT, kind=Kind.POSTS),
    Entry("space_posts.body", Erase.REDACT),
    Entry("space_posts.hidden_by_id", Erase.NULLIFY),
    Entry("space_post_votes.user_id", Erase.DELETE),
    Entry("space_memberships.user_id", Erase.DELETE),
    Entry("space_memberships.invited_by_id", Erase.NULLIFY),
    Entry("space_experiments.owner_id", Erase.NULLIFY),
    Entry("spaces.created_by_id", Erase.NULLIFY),
    # Identity, privacy and background jobs
    Entry("scim_resources.user_id", Erase.DELETE),
    Entry("scim_tokens.created_by_id", Erase.NULLIFY),
    Entry("scim_tokens.token_hash", Erase.WITH_ROW, export=False),
    Entry("privacy_requests.user_id", Erase.NULLIFY),
    Entry("privacy_requests.requested_by_id", Erase.NULLIFY),
    Entry("audit_entries.actor_id", Erase.NULLIFY),
    Entry("job_runs.subject", Erase.JOBS, export=False),
    Entry("job_runs.payload", Erase.REDACT, export=False),
    # Sessions and sign-in identities (issue 13: accounts)
    Entry("user_sessions.user_id", Erase.DELETE),
    Entry("user_sessions.token_hash", Erase.WITH_ROW, export=False),
    Entry("user_sessions.id_token", Erase.WITH_ROW, export=False),
    Entry("user_identities.user_id", Erase.DELETE),
    Entry("user_identities.subject", Erase.WITH_ROW),
    # Requests board and freshness (issue 10)
    Entry("action_requests.requester_id", Erase.REASSIGN),
    Entry("action_requests.owner_id", Erase.NULLIFY),
    Entry("action_request_events.actor_id", Erase.REASSIGN),
    Entry("action_request_events.text", Erase.REDACT),
    Entry("items.retired_by_id", Erase.NULLIFY),
    Entry("items.last_verified_by_id", Erase.NULLIFY),
    Entry("review_reminders.user_id", Erase.DELETE),
    # Chat and xAPI (issue 14): their channel choices, deliveries about them, chats they captured
    Entry("channel_preferences.user_id", Erase.DELETE),
    Entry("deliveries.user_id", Erase.DELETE),
    Entry("deliveries.payload", Erase.WITH_ROW),
    Entry("chat_captures.requested_by_id", Erase.DELETE),
    # Impact and follow-ups (issue 9), search vocabulary (issue 11)
    Entry("followups.user_id", Erase.DELETE),
    Entry("followups.subject", Erase.WITH_ROW),
    Entry("followup_settings.user_id", Erase.DELETE),
    Entry("impact_reading_imports.user_id", Erase.DELETE),
    Entry("impact_api_tokens.created_by_id", Erase.NULLIFY),
    Entry("search_vocabulary.updated_by_id", Erase.NULLIFY),
)

# Columns whose names look personal but are not, with the reason.
NOT_PERSONAL: dict[str, str] = {
    "departments.name": "an organisational unit",
    "moments.name": "a moment of need",
    "skills.name": "a skill",
    "kpis.name": "a business KPI",
    "spaces.name": "a community space's title",
    "job_runs.name": "the name of a job",
    "scim_group_mappings.group_name": "an identity-provider group",
    "media_files.storage_name": "a random server-generated file name",
    "privacy_requests.file_name": "a random server-generated file name",
    "checklist_steps.text": "catalog content, covered by items",
    "audit_entries.note": "states that something ran, never what or whom",
    "chat_connections.name": "a chat channel's name",
    "chat_connections.token": "a chat bot's credential, not a person's",
    "channel_preferences.email": "a yes/no choice of channel, not an address",
    "chat_captures.token": "a random server-generated capture token",
    "impact_kpi_counters.name": "the name of a counter kept per KPI",
    "search_demand.token": "a random token naming a results page, never a person",
    "impact_api_tokens.name": "an admin's label for a BI tool's token",
    "impact_api_tokens.token_hash": "a hashed machine credential for a BI tool, not a person's",
    "impact_api_token_kpis.token_id": "which KPIs a machine token may write",
    "search_vocabulary.note": "a curator's note about a group of synonyms",
}


def entries(erase: Erase | None = None, table: str | None = None) -> list[Entry]:
    """Registry entries, optionally only those with one treatment or of one table."""
    return [e for e in REGISTRY if (erase is None or e.erase == erase) and (table is None or e.table == table)]


def covered() -> set[str]:
    """Every `table.column` the registry or NOT_PERSONAL accounts for."""
    return {e.column for e in REGISTRY} | set(NOT_PERSONAL)
