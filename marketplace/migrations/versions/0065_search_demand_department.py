"""search: the searcher's department on a demand row (the department only, never the person)

Revision ID: 0065_search_demand_department
Revises: 0030_search_demand_opened
"""

import sqlalchemy as sa
from alembic import op

revision = "0065_search_demand_department"
down_revision = "0030_search_demand_opened"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_demand") as batch:
        batch.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_search_demand_department_id_departments"), "departments",
                                 ["department_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("search_demand") as batch:
        batch.drop_constraint(batch.f("fk_search_demand_department_id_departments"), type_="foreignkey")
        batch.drop_column("department_id")
