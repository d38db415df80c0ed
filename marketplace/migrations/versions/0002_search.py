"""search: unmet-demand log and content requests

Revision ID: 0002_search
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_demand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.String(length=400), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("searched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_demand")),
    )
    op.create_index(op.f("ix_search_demand_query"), "search_demand", ["query"])
    op.create_index(op.f("ix_search_demand_searched_at"), "search_demand", ["searched_at"])
    op.create_table(
        "content_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.String(length=400), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_content_requests_department_id_departments")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_content_requests_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_requests")),
    )
    op.create_index(op.f("ix_content_requests_query"), "content_requests", ["query"])
    op.create_index(op.f("ix_content_requests_status"), "content_requests", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_content_requests_status"), table_name="content_requests")
    op.drop_index(op.f("ix_content_requests_query"), table_name="content_requests")
    op.drop_table("content_requests")
    op.drop_index(op.f("ix_search_demand_searched_at"), table_name="search_demand")
    op.drop_index(op.f("ix_search_demand_query"), table_name="search_demand")
    op.drop_table("search_demand")
