"""devices: the companion app's web-push subscription (endpoint and keys of the browser's PushSubscription)

Revision ID: 3f8a6d2c1b57
Revises: 9c5e3a7d1f42
Create Date: 2026-12-07 11:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3f8a6d2c1b57"
down_revision = "9c5e3a7d1f42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webpush_endpoint", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("webpush_p256dh", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("webpush_auth", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("webpush_auth")
        batch_op.drop_column("webpush_p256dh")
        batch_op.drop_column("webpush_endpoint")
