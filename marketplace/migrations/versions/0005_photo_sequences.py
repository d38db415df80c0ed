"""photo sequences: an image Quick Learn holds an ordered list of images with captions

Revision ID: 0005_photo_sequences
Revises: 0003_submissions
Create Date: 2026-11-21 17:27:16.166860
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_photo_sequences'
down_revision = '0003_submissions'
branch_labels = None
depends_on = None

items = sa.table('items', sa.column('id', sa.Integer), sa.column('media_id', sa.Integer), sa.column('poster_id', sa.Integer))
media_files = sa.table('media_files', sa.column('id', sa.Integer), sa.column('kind', sa.String))
item_images = sa.table(
    'item_images', sa.column('item_id', sa.Integer), sa.column('position', sa.Integer),
    sa.column('media_id', sa.Integer), sa.column('thumbnail_id', sa.Integer), sa.column('caption', sa.String),
)


def upgrade() -> None:
    op.create_table('item_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('thumbnail_id', sa.Integer(), nullable=True),
    sa.Column('caption', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_images_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media_files.id'], name=op.f('fk_item_images_media_id_media_files')),
    sa.ForeignKeyConstraint(['thumbnail_id'], ['media_files.id'], name=op.f('fk_item_images_thumbnail_id_media_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_images')),
    sa.UniqueConstraint('item_id', 'position', name=op.f('uq_item_images_item_id_position'))
    )
    with op.batch_alter_table('item_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_images_media_id'), ['media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_images_thumbnail_id'), ['thumbnail_id'], unique=False)

    # Single-image Quick Learns become one-image sequences, so every image lives in one place.
    bind = op.get_bind()
    singles = bind.execute(
        sa.select(items.c.id, items.c.media_id, items.c.poster_id)
        .join(media_files, media_files.c.id == items.c.media_id).where(media_files.c.kind == 'image')
    ).all()
    for item_id, media_id, poster_id in singles:
        bind.execute(item_images.insert().values(item_id=item_id, position=0, media_id=media_id,
                                                 thumbnail_id=poster_id, caption=''))
        bind.execute(items.update().where(items.c.id == item_id).values(media_id=None, poster_id=None))


def downgrade() -> None:
    # The older schema shows one image per item: the first goes back on the item. The rows of the
    # others are deleted so they cannot be served as files of no item (their files stay on disk).
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(item_images.c.item_id, item_images.c.media_id, item_images.c.thumbnail_id)
        .order_by(item_images.c.item_id, item_images.c.position)
    ).all()
    first: dict[int, tuple] = {}
    dropped: list[int] = []
    for item_id, media_id, thumbnail_id in rows:
        if item_id in first:
            dropped += [m for m in (media_id, thumbnail_id) if m is not None]
        else:
            first[item_id] = (media_id, thumbnail_id)
    for item_id, (media_id, thumbnail_id) in first.items():
        bind.execute(items.update().where(items.c.id == item_id).values(media_id=media_id, poster_id=thumbnail_id))

    with op.batch_alter_table('item_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_images_thumbnail_id'))
        batch_op.drop_index(batch_op.f('ix_item_images_media_id'))

    op.drop_table('item_images')
    if dropped:
        bind.execute(media_files.delete().where(media_files.c.id.in_(dropped)))
