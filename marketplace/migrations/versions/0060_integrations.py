"""integrations: chat connections, channel rules, personal channels, deliveries, inbound nonces, chat captures

Revision ID: 0060_integrations
Revises: 0006_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0060_integrations"
down_revision = "0006_foundation"
branch_labels = None
depends_on = ("0004_spaces",)


def upgrade() -> None:
    op.create_table(
        "chat_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("token", sa.String(300), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_connections")),
    )
    op.create_table(
        "channel_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["chat_connections.id"], name=op.f("fk_channel_rules_connection_id_chat_connections"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["kpi_id"], ["kpis.id"], name=op.f("fk_channel_rules_kpi_id_kpis"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"], name=op.f("fk_channel_rules_collection_id_collections"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_channel_rules_department_id_departments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_rules")),
    )
    op.create_index(op.f("ix_channel_rules_connection_id"), "channel_rules", ["connection_id"])
    op.create_index(op.f("ix_channel_rules_event"), "channel_rules", ["event"])
    op.create_table(
        "channel_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("chat", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_channel_preferences_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_preferences")),
        sa.UniqueConstraint("user_id", "event", name=op.f("uq_channel_preferences_user_id")),
    )
    op.create_index(op.f("ix_channel_preferences_user_id"), "channel_preferences", ["user_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["chat_connections.id"], name=op.f("fk_deliveries_connection_id_chat_connections"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_deliveries_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_deliveries_dedupe_key")),
    )
    op.create_index("ix_deliveries_kind_state", "deliveries", ["kind", "state"])
    op.create_index("ix_deliveries_user", "deliveries", ["user_id"])
    op.create_table(
        "inbound_nonces",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_inbound_nonces")),
    )
    op.create_index(op.f("ix_inbound_nonces_seen_at"), "inbound_nonces", ["seen_at"])
    op.create_table(
        "chat_captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("permalink", sa.String(500), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_chat_captures_requested_by_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["space_threads.id"], name=op.f("fk_chat_captures_thread_id_space_threads"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_captures")),
        sa.UniqueConstraint("token", name=op.f("uq_chat_captures_token")),
    )


def downgrade() -> None:
    for table in ("chat_captures", "inbound_nonces", "deliveries", "channel_preferences", "channel_rules", "chat_connections"):
        op.drop_table(table)
