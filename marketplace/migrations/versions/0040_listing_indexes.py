"""listing indexes: every catalog filter and sort reads an index; items carry their helpful count

Revision ID: 0040_listing_indexes
Revises: 0005_photo_sequences
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0040_listing_indexes"
down_revision = "0005_photo_sequences"
branch_labels = None
depends_on = None

# (name, table, columns): each listing filter leads, then status, then the sort keys, so a page
# of 12 is read from the index in order and a count never touches the rows (or their bodies).
INDEXES = [
    ("ix_items_status_newest", "items", ["status", "published_at", "id"]),
    ("ix_items_moment_newest", "items", ["moment_id", "status", "published_at", "id"]),
    ("ix_items_department_newest", "items", ["department_id", "status", "published_at", "id"]),
    ("ix_items_type_newest", "items", ["type", "status", "published_at", "id"]),
    ("ix_items_status_helpful", "items", ["status", "helpful_yes", "id"]),
    ("ix_item_kpis_kpi_id", "item_kpis", ["kpi_id", "item_id"]),
    ("ix_item_skills_skill_id", "item_skills", ["skill_id", "item_id"]),
    ("ix_collections_status_featured", "collections", ["status", "featured", "updated_at"]),
    ("ix_collection_entries_item_id", "collection_entries", ["item_id"]),
]


def upgrade() -> None:
    op.add_column("items", sa.Column("helpful_yes", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE items SET helpful_yes = (SELECT count(*) FROM helpful_votes v "
        "WHERE v.item_id = items.id AND v.helpful = true)"
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    # The title sort is case-insensitive: an expression index, which SQLite and PostgreSQL both have.
    op.create_index("ix_items_status_title", "items", ["status", sa.text("lower(title)"), "id"])


def downgrade() -> None:
    op.drop_index("ix_items_status_title", table_name="items")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    # A plain DROP COLUMN (SQLite 3.35+, PostgreSQL), not a batch copy: copying `items` on SQLite
    # drops the old table, and with foreign keys on that cascades into every row that points at it.
    op.execute("ALTER TABLE items DROP COLUMN helpful_yes")
