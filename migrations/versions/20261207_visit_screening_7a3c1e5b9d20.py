"""screenings: the check before an infusion (vitals at rest, weight, contraindication checklist, hold decision)

Its blood pressure becomes the infusion's baseline (infusions.pre_systolic/pre_diastolic) for blood-pressure-rise.

Revision ID: 7a3c1e5b9d20
Revises: 5e0b7c2a91d4
Create Date: 2026-12-07 10:10:26.703783

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c1e5b9d20'
down_revision = '5e0b7c2a91d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('screenings',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('infusion_id', sa.Uuid(), nullable=False),
    sa.Column('systolic', sa.Integer(), nullable=False),
    sa.Column('diastolic', sa.Integer(), nullable=False),
    sa.Column('heart_rate', sa.Integer(), nullable=False),
    sa.Column('weight_kg', sa.Double(), nullable=False),
    sa.Column('pregnancy', sa.Boolean(), nullable=False),
    sa.Column('uncontrolled_hypertension', sa.Boolean(), nullable=False),
    sa.Column('active_psychosis', sa.Boolean(), nullable=False),
    sa.Column('substance_use_since_last_visit', sa.Boolean(), nullable=False),
    sa.Column('new_medications', sa.Boolean(), nullable=False),
    sa.Column('new_medications_detail', sa.Text(), nullable=True),
    sa.Column('last_meal_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('hold', sa.Boolean(), nullable=False),
    sa.Column('decision', sa.Enum('proceed', 'postpone', name='decision', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rechecks', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("decision <> 'proceed' OR decision_reason IS NOT NULL", name=op.f('ck_screenings_proceed_has_reason')),
    sa.CheckConstraint('decision IS NULL OR decided_at IS NOT NULL', name=op.f('ck_screenings_decision_has_time')),
    sa.CheckConstraint('diastolic BETWEEN 30 AND 200 AND diastolic < systolic', name=op.f('ck_screenings_diastolic_range')),
    sa.CheckConstraint('heart_rate BETWEEN 20 AND 250', name=op.f('ck_screenings_heart_rate_range')),
    sa.CheckConstraint('systolic BETWEEN 50 AND 300', name=op.f('ck_screenings_systolic_range')),
    sa.CheckConstraint('weight_kg BETWEEN 20 AND 350', name=op.f('ck_screenings_weight_range')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_screenings_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['clinicians.id'], name=op.f('fk_screenings_decided_by_id_clinicians')),
    sa.ForeignKeyConstraint(['infusion_id', 'patient_id'], ['infusions.id', 'infusions.patient_id'], name='fk_screenings_infusion'),
    sa.ForeignKeyConstraint(['patient_id', 'clinic_id'], ['patients.id', 'patients.clinic_id'], name='fk_screenings_patient_clinic'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['clinicians.id'], name=op.f('fk_screenings_recorded_by_id_clinicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings')),
    sa.UniqueConstraint('infusion_id', name='uq_screenings_infusion')
    )


def downgrade():
    op.drop_table('screenings')
