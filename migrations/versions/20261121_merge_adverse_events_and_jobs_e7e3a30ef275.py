"""merge adverse events and jobs

Revision ID: e7e3a30ef275
Revises: 8c41f0d2a7e3, ce164eb15868
Create Date: 2026-11-21 13:44:35.605187

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7e3a30ef275'
down_revision = ('8c41f0d2a7e3', 'ce164eb15868')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
