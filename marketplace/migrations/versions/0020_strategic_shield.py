"""strategic shield and a catalog that stays true: action-mapping requests, item lifecycle
(AI label, retirement, verification, pending edits) and review reminders

Revision ID: 0020_strategic_shield
Revises: 0005_photo_sequences, 0002_search, 0004_spaces
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0020_strategic_shield'
down_revision = ('0005_photo_sequences', '0002_search', '0004_spaces')
branch_labels = None
depends_on = None

ITEM_COLUMNS = ('ai_use', 'retired_at', 'retired_reason', 'retired_by_id', 'replacement_id',
                'last_verified_at', 'last_verified_by_id', 'revision_of_id')


FOREIGN_KEYS = (('retired_by_id', 'users'), ('replacement_id', 'items'), ('last_verified_by_id', 'users'),
                ('revision_of_id', 'items'))


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    # Columns are added in place: rebuilding `items` on SQLite (batch mode) would drop the old table
    # with foreign keys on, and ON DELETE CASCADE would empty checklist steps, images and KPI links.
    op.add_column('items', sa.Column('ai_use', sa.String(length=16), server_default='none', nullable=False))
    op.add_column('items', sa.Column('retired_at', sa.DateTime(), nullable=True))
    op.add_column('items', sa.Column('retired_reason', sa.Text(), server_default='', nullable=False))
    op.add_column('items', sa.Column('last_verified_at', sa.DateTime(), nullable=True))
    for column, table in FOREIGN_KEYS:
        if _sqlite():  # SQLite takes the reference inline with ADD COLUMN
            op.execute(f'ALTER TABLE items ADD COLUMN {column} INTEGER REFERENCES {table} (id)')
        else:
            op.add_column('items', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(f'fk_items_{column}_{table}'), 'items', table, [column], ['id'])
    op.create_index(op.f('ix_items_ai_use'), 'items', ['ai_use'], unique=False)
    op.create_index(op.f('ix_items_revision_of_id'), 'items', ['revision_of_id'], unique=False)
    # The freshness queue reads published items by review date.
    op.create_index('ix_items_status_review_by', 'items', ['status', 'review_by'], unique=False)

    op.create_table('review_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('review_by', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_review_reminders_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_reminders_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reminders')),
    sa.UniqueConstraint('item_id', 'review_by', 'kind', name=op.f('uq_review_reminders_item_id_review_by_kind'))
    )

    op.create_table('action_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_query', sa.String(length=200), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('kpi_id', sa.Integer(), nullable=True),
    sa.Column('kpi_current', sa.String(length=60), nullable=False),
    sa.Column('kpi_target', sa.String(length=60), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('behaviour', sa.Text(), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('frequency', sa.String(length=120), nullable=False),
    sa.Column('leader_modelling', sa.Text(), nullable=False),
    sa.Column('cause', sa.String(length=20), nullable=False),
    sa.Column('solution', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_action_requests_department_id_departments')),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_action_requests_kpi_id_kpis')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['action_requests.id'], name=op.f('fk_action_requests_merged_into_id_action_requests')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_action_requests_owner_id_users')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_action_requests_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_requests'))
    )
    with op.batch_alter_table('action_requests', schema=None) as batch_op:
        for column in ('requester_id', 'department_id', 'kpi_id', 'state', 'owner_id', 'created_at'):
            batch_op.create_index(batch_op.f(f'ix_action_requests_{column}'), [column], unique=False)

    op.create_table('action_request_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_action_request_links_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_action_request_links_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['action_requests.id'], name=op.f('fk_action_request_links_request_id_action_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_action_request_links_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_request_links'))
    )
    with op.batch_alter_table('action_request_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_request_links_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_request_links_item_id'), ['item_id'], unique=False)

    op.create_table('action_request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_action_request_events_actor_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['action_requests.id'], name=op.f('fk_action_request_events_request_id_action_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_request_events'))
    )
    with op.batch_alter_table('action_request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_request_events_request_id'), ['request_id'], unique=False)

    _content_requests_onto_the_board()


def _content_requests_onto_the_board() -> None:
    """Today's content requests join the one pipeline of demand as board entries."""
    bind = op.get_bind()
    content = sa.table('content_requests', sa.column('id'), sa.column('query'), sa.column('note'),
                       sa.column('department_id'), sa.column('status'), sa.column('created_by_id'),
                       sa.column('created_at'), sa.column('resolved_at'))
    board = sa.table('action_requests', *[sa.column(n) for n in (
        'title', 'source', 'source_query', 'requester_id', 'department_id', 'kpi_current', 'kpi_target', 'behaviour',
        'who', 'frequency', 'leader_modelling', 'cause', 'solution', 'state', 'decline_reason', 'created_at',
        'updated_at', 'delivered_at')])
    for row in bind.execute(sa.select(content)).all():
        delivered = row.status == 'resolved'
        bind.execute(board.insert().values(
            title=f"Content people searched for: “{row.query}”"[:200], source='content_request', source_query=row.query,
            requester_id=row.created_by_id, department_id=row.department_id, kpi_current='', kpi_target='',
            behaviour=row.note or '', who='', frequency='', leader_modelling='', cause='knowledge', solution='job_aid',
            state='delivered' if delivered else 'accepted', decline_reason='', created_at=row.created_at,
            updated_at=row.resolved_at or row.created_at, delivered_at=row.resolved_at if delivered else None,
        ))


def downgrade() -> None:
    op.drop_table('action_request_events')
    op.drop_table('action_request_links')
    op.drop_table('action_requests')
    op.drop_table('review_reminders')
    op.drop_index('ix_items_status_review_by', table_name='items')
    op.drop_index(op.f('ix_items_revision_of_id'), table_name='items')
    op.drop_index(op.f('ix_items_ai_use'), table_name='items')
    for column, table in FOREIGN_KEYS:
        if not _sqlite():
            op.drop_constraint(op.f(f'fk_items_{column}_{table}'), 'items', type_='foreignkey')
    for column in reversed(ITEM_COLUMNS):
        # Native DROP COLUMN (SQLite 3.35+) for the same reason as above: no table rebuild.
        op.execute(f'ALTER TABLE items DROP COLUMN {column}')
