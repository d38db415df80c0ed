"""search: demand rows grouped by near-duplicate key, with whether a result was opened

Revision ID: 0030_search_demand_opened
Revises: 0030_search_vocabulary
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_search_demand_opened"
down_revision = "0030_search_vocabulary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_demand") as batch:
        batch.add_column(sa.Column("group_key", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("opened_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_search_demand_group_key"), ["group_key"])
        batch.create_index(batch.f("ix_search_demand_token"), ["token"])


def downgrade() -> None:
    with op.batch_alter_table("search_demand") as batch:
        batch.drop_index(batch.f("ix_search_demand_token"))
        batch.drop_index(batch.f("ix_search_demand_group_key"))
        batch.drop_column("opened_at")
        batch.drop_column("token")
        batch.drop_column("group_key")
