"""reports and check-ins

Revision ID: f1a01c76b2dd
Revises: d411af2e3b1e
Create Date: 2026-11-21 12:13:55.378004

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a01c76b2dd'
down_revision = 'd411af2e3b1e'
branch_labels = None
depends_on = None


def upgrade():
    # The unique key first: check-ins and reports reference (infusion id, patient id).
    with op.batch_alter_table('infusions', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_infusions_id_patient', ['id', 'patient_id'])

    op.create_table('checkins',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('infusion_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('asks_phq9', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'sent', 'answered', 'missed', 'cancelled', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_checkins_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['infusion_id', 'patient_id'], ['infusions.id', 'infusions.patient_id'], name='fk_checkins_infusion_patient'),
    sa.ForeignKeyConstraint(['patient_id', 'clinic_id'], ['patients.id', 'patients.clinic_id'], name='fk_checkins_patient_clinic'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('id', 'patient_id', name='uq_checkins_id_patient')
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_patient_due', ['patient_id', 'due_at'], unique=False)
        batch_op.create_index('ix_checkins_scheduled_due', ['due_at'], unique=False, postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'"))

    op.create_table('reports',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('client_report_id', sa.Uuid(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('infusion_id', sa.Uuid(), nullable=True),
    sa.Column('checkin_id', sa.Uuid(), nullable=True),
    sa.Column('amends_id', sa.Uuid(), nullable=True),
    sa.Column('mood', sa.Integer(), nullable=True),
    sa.Column('suicidal_thoughts', sa.Boolean(), nullable=True),
    sa.Column('phq9', sa.JSON(), nullable=True),
    sa.Column('phq9_total', sa.Integer(), nullable=True),
    sa.Column('systolic', sa.Integer(), nullable=True),
    sa.Column('diastolic', sa.Integer(), nullable=True),
    sa.Column('heart_rate', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('triage_priority', sa.String(length=16), nullable=True),
    sa.Column('crisis', sa.Boolean(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('diastolic IS NULL OR (diastolic BETWEEN 30 AND 200 AND diastolic < systolic)', name=op.f('ck_reports_diastolic_range')),
    sa.CheckConstraint('heart_rate IS NULL OR heart_rate BETWEEN 20 AND 250', name=op.f('ck_reports_heart_rate_range')),
    sa.CheckConstraint('mood IS NULL OR mood BETWEEN 0 AND 10', name=op.f('ck_reports_mood_range')),
    sa.CheckConstraint('phq9_total IS NULL OR phq9_total BETWEEN 0 AND 27', name=op.f('ck_reports_phq9_total_range')),
    sa.CheckConstraint('systolic IS NULL OR systolic BETWEEN 50 AND 300', name=op.f('ck_reports_systolic_range')),
    sa.ForeignKeyConstraint(['amends_id', 'patient_id'], ['reports.id', 'reports.patient_id'], name='fk_reports_amends_patient'),
    sa.ForeignKeyConstraint(['checkin_id', 'patient_id'], ['checkins.id', 'checkins.patient_id'], name='fk_reports_checkin_patient'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_reports_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_reports_device_id_devices')),
    sa.ForeignKeyConstraint(['infusion_id', 'patient_id'], ['infusions.id', 'infusions.patient_id'], name='fk_reports_infusion_patient'),
    sa.ForeignKeyConstraint(['patient_id', 'clinic_id'], ['patients.id', 'patients.clinic_id'], name='fk_reports_patient_clinic'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('id', 'patient_id', name='uq_reports_id_patient'),
    sa.UniqueConstraint('patient_id', 'client_report_id', name='uq_reports_patient_client_report')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_amends', ['amends_id'], unique=False)
        batch_op.create_index('ix_reports_clinic_observed', ['clinic_id', 'observed_at'], unique=False)
        batch_op.create_index('ix_reports_patient_observed', ['patient_id', 'observed_at'], unique=False)

    op.create_table('report_symptoms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('severity BETWEEN 0 AND 4', name=op.f('ck_report_symptoms_severity_range')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_symptoms_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_symptoms')),
    sa.UniqueConstraint('report_id', 'code', name='uq_report_symptoms_report_code')
    )
    with op.batch_alter_table('report_symptoms', schema=None) as batch_op:
        batch_op.create_index('ix_report_symptoms_code', ['code', 'report_id'], unique=False)



def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('report_symptoms', schema=None) as batch_op:
        batch_op.drop_index('ix_report_symptoms_code')

    op.drop_table('report_symptoms')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_patient_observed')
        batch_op.drop_index('ix_reports_clinic_observed')
        batch_op.drop_index('ix_reports_amends')

    op.drop_table('reports')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_scheduled_due', postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'"))
        batch_op.drop_index('ix_checkins_patient_due')

    op.drop_table('checkins')
    with op.batch_alter_table('infusions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_infusions_id_patient', type_='unique')
