"""search: curator-managed vocabulary of synonyms and acronyms

Revision ID: 0030_search_vocabulary
Revises: 0002_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_search_vocabulary"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_vocabulary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrases", sa.String(length=500), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_search_vocabulary_updated_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_vocabulary")),
    )


def downgrade() -> None:
    op.drop_table("search_vocabulary")
