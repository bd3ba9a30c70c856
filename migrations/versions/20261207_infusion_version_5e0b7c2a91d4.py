"""infusions.version: the ETag of an infusion, so two corrections at once cannot both win

Revision ID: 5e0b7c2a91d4
Revises: 5e1c0a7d93b2
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e0b7c2a91d4'
down_revision = '5e1c0a7d93b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('infusions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('infusions', schema=None) as batch_op:
        batch_op.drop_column('version')
