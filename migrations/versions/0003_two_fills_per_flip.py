"""an order that crosses zero books two fills

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:00:00

A flip (BUY 1 then SELL 3) closes the old position with one fill and opens the new one with a
second fill of the same order, so every position is the signed sum of its own fills: fills are
no longer unique per order.
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint('uq_fills_order_id', 'fills', type_='unique')
    op.create_index('ix_fills_order_id', 'fills', ['order_id'], unique=False)


def downgrade():
    op.drop_index('ix_fills_order_id', table_name='fills')
    op.create_unique_constraint('uq_fills_order_id', 'fills', ['order_id'])
