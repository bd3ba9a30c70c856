"""adverse events: CTCAE v5.0 terms and expectedness

- adverse_events.expected: listed on the product label (true), not listed (false), not assessed (null);
- the terms of the first list that are not CTCAE v5.0 terms are rewritten to their organ class's
  "<SOC> - Other, specify" term with the specific words in term_other (the clinician's own words are kept
  where there were some).

Revision ID: 5e1c0a7d93b2
Revises: 4ac98b5ec3ed
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a7d93b2'
down_revision = '4ac98b5ec3ed'
branch_labels = None
depends_on = None

PSYCH = 'Psychiatric disorders - Other, specify'
# Old term -> (new term, the specific words when the old row has none). Kept here, not imported: a migration
# says what it did on the day it ran.
RETIRED = {
    'Depersonalization/derealization': (PSYCH, 'Dissociation (depersonalization/derealization)'),
    'Abnormal dreams': (PSYCH, 'Abnormal dreams'),
    'Substance craving': (PSYCH, 'Drug craving'),
    'Diplopia': ('Eye disorders - Other, specify', 'Diplopia'),
    'Other, specify': ('General disorders and administration site conditions - Other, specify', 'Not described'),
}


def upgrade():
    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected', sa.Boolean(), nullable=True))
    events = sa.table('adverse_events', sa.column('term', sa.String), sa.column('term_other', sa.String))
    for old, (new, words) in RETIRED.items():
        op.execute(
            events.update()
            .where(events.c.term == old)
            .values(term=new, term_other=sa.func.coalesce(sa.func.nullif(events.c.term_other, ''), words))
        )


def downgrade():
    events = sa.table('adverse_events', sa.column('term', sa.String), sa.column('term_other', sa.String))
    for old, (new, words) in RETIRED.items():
        if old == 'Other, specify':
            op.execute(events.update().where(events.c.term == new).values(term=old))
    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.drop_column('expected')
