"""crisis loop: pages, reopened flags, advice, language, safety screens

- flags.page_count / last_paged_at: the pages written at once for a flag (opened or raised to critical,
  new evidence on an acknowledged flag, a high-risk safety screen);
- flag_events.kind gains paged, reopened, delivered, undelivered, safety_screen; notifications.kind gains page;
- reports.triage_rules (the rules that fired, whose advice the patient is shown) and reports.paged (whether the
  report paged a clinician, so "alerted now" is said only when true);
- patients.language (en, es): the language of what Aftercare tells the patient;
- safety_screens: the patient's answers to the suicide-risk screener, one per report.

Revision ID: 4ac98b5ec3ed
Revises: b7c2d91e4f06
Create Date: 2026-12-07 03:32:13.098957

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4ac98b5ec3ed'
down_revision = 'b7c2d91e4f06'
branch_labels = None
depends_on = None

EVENT_KINDS = ('opened', 'joined', 'acknowledged', 'assigned', 'note', 'escalated', 'resolved')
NEW_EVENT_KINDS = EVENT_KINDS + ('paged', 'reopened', 'delivered', 'undelivered', 'safety_screen')
NOTIFICATION_KINDS = ('checkin_prompt', 'checkin_reminder', 'escalation', 'digest')
NEW_NOTIFICATION_KINDS = NOTIFICATION_KINDS + ('page',)
PAGES_PENDING = sa.text("status = 'pending' AND kind = 'page'")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _kinds(table: str, values: tuple[str, ...], length: int) -> None:
    """Replace the CHECK constraint of a text enum column (and its length)."""
    name = f'ck_{table}_kind'
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(name), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(), type_=sa.String(length), existing_nullable=False)
        batch_op.create_check_constraint(op.f(name), _one_of('kind', values))


def upgrade():
    op.create_table('safety_screens',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('flag_id', sa.Uuid(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('risk', sa.Enum('none', 'low', 'moderate', 'high', name='risk', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('paged', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_safety_screens_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], name=op.f('fk_safety_screens_flag_id_flags')),
    sa.ForeignKeyConstraint(['report_id', 'patient_id'], ['reports.id', 'reports.patient_id'], name='fk_safety_screens_report_patient'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_screens')),
    sa.UniqueConstraint('report_id', name='uq_safety_screens_report')
    )
    with op.batch_alter_table('safety_screens', schema=None) as batch_op:
        batch_op.create_index('ix_safety_screens_patient', ['patient_id', 'created_at'], unique=False)

    _kinds('flag_events', NEW_EVENT_KINDS, 13)
    _kinds('notifications', NEW_NOTIFICATION_KINDS, 16)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_pages_due', ['next_attempt_at'], unique=False, postgresql_where=PAGES_PENDING, sqlite_where=PAGES_PENDING)

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_paged_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.Enum('en', 'es', name='language', native_enum=False, create_constraint=True), nullable=False, server_default='en'))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triage_rules', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('paged', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('paged')
        batch_op.drop_column('triage_rules')

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_patients_language'), type_='check')
        batch_op.drop_column('language')

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_column('last_paged_at')
        batch_op.drop_column('page_count')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_pages_due')
    op.execute(sa.text("DELETE FROM notifications WHERE kind = 'page'"))
    op.execute(sa.text("DELETE FROM flag_events WHERE " + _one_of('kind', NEW_EVENT_KINDS[len(EVENT_KINDS):])))
    _kinds('notifications', NOTIFICATION_KINDS, 16)
    _kinds('flag_events', EVENT_KINDS, 12)

    with op.batch_alter_table('safety_screens', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_screens_patient')

    op.drop_table('safety_screens')
