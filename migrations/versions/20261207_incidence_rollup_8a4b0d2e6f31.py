"""incidence roll-up: infusions.followed_up and infusion_symptoms, so a range's incidence reads its infusions only

``infusions.followed_up``: a report tied to the infusion was observed within 72 h of its end.
``infusion_symptoms``: one row per infusion and symptom reported at severity >= 1 within the symptom's window
after the end. Kept with each report (and for an infusion whose end is corrected) by
service/domain/incidence.py; worked out here from the reports already stored, by the same code
(``incidence.rebuild``), so the windows are the ones the service counts with. Figures: bench/analytics.py.

Revision ID: 8a4b0d2e6f31
Revises: 7f3a9c1d5e20
Create Date: 2026-12-07 21:30:00.000000

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = "8a4b0d2e6f31"
down_revision = "7f3a9c1d5e20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("infusions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followed_up", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "infusion_symptoms",
        sa.Column("infusion_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["infusion_id"], ["infusions.id"], name=op.f("fk_infusion_symptoms_infusion_id_infusions")
        ),
        sa.PrimaryKeyConstraint("infusion_id", "code", name="pk_infusion_symptoms"),
    )
    from service.domain import incidence  # the service's own rule of what counts, for the rows already stored

    session = Session(bind=op.get_bind())
    incidence.rebuild(session)
    session.flush()


def downgrade():
    op.drop_table("infusion_symptoms")
    with op.batch_alter_table("infusions", schema=None) as batch_op:
        batch_op.drop_column("followed_up")
