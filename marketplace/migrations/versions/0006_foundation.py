"""change feed, durable job runs and learning events: the shared mechanisms

Revision ID: 0006_foundation
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_foundation"
down_revision = "0001"
branch_labels = None
depends_on = None

FEED_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("id", FEED_ID, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_created_at", "changes", ["created_at"])
    op.create_table(
        "feed_cursors",
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("position", FEED_ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_feed_cursors")),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(80), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index("ix_job_runs_state_not_before", "job_runs", ["state", "not_before"])
    op.create_index("ix_job_runs_subject", "job_runs", ["subject"])
    op.create_table(
        "learning_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("verb", sa.String(30), nullable=False),
        sa.Column("object_type", sa.String(20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("object_ref", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_learning_events_actor_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_learning_events_department_id_departments"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_events")),
    )
    op.create_index("ix_learning_events_object", "learning_events", ["object_type", "object_id", "occurred_at"])
    op.create_index("ix_learning_events_actor", "learning_events", ["actor_id", "occurred_at"])
    op.create_index("ix_learning_events_occurred_at", "learning_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("learning_events")
    op.drop_table("job_runs")
    op.drop_table("feed_cursors")
    op.drop_table("changes")
