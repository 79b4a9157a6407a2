"""fills record the quote and conversion rate they were booked with; negative balance resets

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 17:30:00

Every fill records the client quote it was priced from (bid, ask, the market's time) and the
rate that converted its PnL into the account currency, so any booking can be audited. Rows
booked before keep NULL there. The ledger gains the kind `negative_balance_reset`: the entry
that brings a negative balance left with nothing open back to zero, in the same transaction as
the realised loss; so a transaction may book several ledger entries, and (account, txn_seq) is
no longer unique among them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('fills', sa.Column('quote_bid', sa.Numeric(20, 10), nullable=True))
    op.add_column('fills', sa.Column('quote_ask', sa.Numeric(20, 10), nullable=True))
    op.add_column('fills', sa.Column('quote_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('fills', sa.Column('conversion_rate', sa.Numeric(30, 18), nullable=True))
    op.create_check_constraint(
        'quote_not_nan', 'fills',
        "quote_bid IS NULL OR (quote_bid > 0 AND quote_ask >= quote_bid"
        " AND quote_bid <> 'NaN'::numeric AND quote_ask <> 'NaN'::numeric)",
    )
    op.execute("ALTER TYPE ledger_kind ADD VALUE IF NOT EXISTS 'negative_balance_reset'")
    op.drop_index('uq_ledger_account_txn', table_name='ledger_entries')
    op.create_index('ix_ledger_account_txn', 'ledger_entries', ['account_id', 'txn_seq'])


def downgrade():
    op.drop_index('ix_ledger_account_txn', table_name='ledger_entries')
    op.create_index(
        'uq_ledger_account_txn', 'ledger_entries', ['account_id', 'txn_seq'], unique=True
    )
    op.drop_constraint('ck_fills_quote_not_nan', 'fills', type_='check')
    for column in ('conversion_rate', 'quote_at', 'quote_ask', 'quote_bid'):
        op.drop_column('fills', column)
    # PostgreSQL cannot drop an enum value; 'negative_balance_reset' stays in ledger_kind.
