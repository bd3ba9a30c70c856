"""jobs: check-in delivery (send, remind, miss), the notifications outbox, job runs and digests

Revision ID: ce164eb15868
Revises: 2d77610e5b0c
Create Date: 2026-11-21 12:41:14.842309

"""
from alembic import op
import sqlalchemy as sa
from datetime import timedelta


# revision identifiers, used by Alembic.
revision = 'ce164eb15868'
down_revision = '2d77610e5b0c'
branch_labels = None
depends_on = None


def upgrade():
    # Check-ins first: the outbox refers to them. No release before this one created check-ins,
    # but any row there gets its offset and send time from its infusion before the columns tighten.
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offset_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('send_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('missed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
    _fill_checkins()
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.alter_column('offset_hours', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('send_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_check_constraint('offset_positive', 'offset_hours > 0')
        batch_op.create_check_constraint('sent_has_sent_at', "status <> 'sent' OR sent_at IS NOT NULL")
        batch_op.create_index('ix_checkins_awaiting_reminder', ['remind_at'], unique=False, postgresql_where=sa.text("status = 'sent' AND reminded_at IS NULL"), sqlite_where=sa.text("status = 'sent' AND reminded_at IS NULL"))
        batch_op.create_index('ix_checkins_scheduled_send', ['send_at'], unique=False, postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'"))
        # Claims go by send_at now; the due_at index would only cost every write.
        batch_op.drop_index('ix_checkins_scheduled_due', postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'"))
        batch_op.create_index('ix_checkins_sent_at', ['sent_at'], unique=False, postgresql_where=sa.text("status = 'sent'"), sqlite_where=sa.text("status = 'sent'"))
        batch_op.create_unique_constraint('uq_checkins_infusion_offset', ['infusion_id', 'offset_hours'])

    op.create_table('job_runs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_items', sa.Integer(), nullable=False),
    sa.Column('last_duration_ms', sa.Integer(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name='pk_job_runs')
    )
    op.create_table('digests',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_digests_clinic_id_clinics')),
    sa.PrimaryKeyConstraint('clinic_id', 'local_date', name='pk_digests')
    )
    op.create_table('notifications',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('checkin_prompt', 'checkin_reminder', 'escalation', 'digest', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('channel', sa.Enum('log', 'email', 'webhook', 'push', name='channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('audience', sa.Enum('patient', 'clinician', 'clinic', name='audience', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=True),
    sa.Column('clinician_id', sa.Uuid(), nullable=True),
    sa.Column('checkin_id', sa.Uuid(), nullable=True),
    sa.Column('flag_id', sa.Uuid(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'dead', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("(audience = 'patient' AND patient_id IS NOT NULL AND clinician_id IS NULL) OR (audience = 'clinician' AND clinician_id IS NOT NULL) OR (audience = 'clinic' AND clinician_id IS NULL)", name=op.f('ck_notifications_one_recipient')),
    sa.CheckConstraint("status <> 'sending' OR locked_until IS NOT NULL", name=op.f('ck_notifications_sending_has_lease')),
    sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_notifications_sent_has_sent_at')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_notifications_attempts_not_negative')),
    sa.ForeignKeyConstraint(['checkin_id', 'patient_id'], ['checkins.id', 'checkins.patient_id'], name='fk_notifications_checkin_patient'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_notifications_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['clinician_id', 'clinic_id'], ['clinicians.id', 'clinicians.clinic_id'], name='fk_notifications_clinician_clinic'),
    sa.ForeignKeyConstraint(['flag_id', 'clinic_id'], ['flags.id', 'flags.clinic_id'], name='fk_notifications_flag_clinic'),
    sa.ForeignKeyConstraint(['patient_id', 'clinic_id'], ['patients.id', 'patients.clinic_id'], name='fk_notifications_patient_clinic'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_clinic_created', ['clinic_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_notifications_clinic_dead', ['clinic_id', 'created_at'], unique=False, postgresql_where=sa.text("status = 'dead'"), sqlite_where=sa.text("status = 'dead'"))
        batch_op.create_index('ix_notifications_patient', ['patient_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notifications_pending_due', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_index('ix_notifications_sending_lease', ['locked_until'], unique=False, postgresql_where=sa.text("status = 'sending'"), sqlite_where=sa.text("status = 'sending'"))



def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_sending_lease', postgresql_where=sa.text("status = 'sending'"), sqlite_where=sa.text("status = 'sending'"))
        batch_op.drop_index('ix_notifications_pending_due', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_notifications_patient')
        batch_op.drop_index('ix_notifications_clinic_dead', postgresql_where=sa.text("status = 'dead'"), sqlite_where=sa.text("status = 'dead'"))
        batch_op.drop_index('ix_notifications_clinic_created')

    op.drop_table('notifications')
    op.drop_table('digests')
    op.drop_table('job_runs')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint('uq_checkins_infusion_offset', type_='unique')
        batch_op.drop_index('ix_checkins_sent_at', postgresql_where=sa.text("status = 'sent'"), sqlite_where=sa.text("status = 'sent'"))
        batch_op.drop_index('ix_checkins_scheduled_send', postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'"))
        batch_op.create_index('ix_checkins_scheduled_due', ['due_at'], unique=False, postgresql_where=sa.text("status = 'scheduled'"), sqlite_where=sa.text("status = 'scheduled'"))
        batch_op.drop_index('ix_checkins_awaiting_reminder', postgresql_where=sa.text("status = 'sent' AND reminded_at IS NULL"), sqlite_where=sa.text("status = 'sent' AND reminded_at IS NULL"))
        batch_op.drop_constraint(op.f('ck_checkins_sent_has_sent_at'), type_='check')
        batch_op.drop_constraint(op.f('ck_checkins_offset_positive'), type_='check')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('missed_at')
        batch_op.drop_column('remind_at')
        batch_op.drop_column('send_at')
        batch_op.drop_column('offset_hours')


def _fill_checkins():
    """Give rows made before this revision their offset (from the infusion's end) and send time (their due time)."""
    bind = op.get_bind()
    checkins = sa.table('checkins', sa.column('id', sa.Uuid()), sa.column('infusion_id', sa.Uuid()),
                        sa.column('due_at', sa.DateTime(timezone=True)), sa.column('offset_hours', sa.Integer()),
                        sa.column('send_at', sa.DateTime(timezone=True)))
    infusions = sa.table('infusions', sa.column('id', sa.Uuid()), sa.column('ended_at', sa.DateTime(timezone=True)),
                         sa.column('started_at', sa.DateTime(timezone=True)))
    rows = bind.execute(
        sa.select(checkins.c.id, checkins.c.infusion_id, checkins.c.due_at, infusions.c.ended_at, infusions.c.started_at)
        .join(infusions, infusions.c.id == checkins.c.infusion_id)
    ).all()
    taken = set()
    for row in rows:
        reference = row.ended_at or row.started_at
        hours = max(1, round((row.due_at - reference) / timedelta(hours=1)))
        while (row.infusion_id, hours) in taken:
            hours += 1
        taken.add((row.infusion_id, hours))
        bind.execute(checkins.update().where(checkins.c.id == row.id).values(offset_hours=hours, send_at=row.due_at))
