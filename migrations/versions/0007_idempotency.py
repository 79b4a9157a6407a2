"""idempotency keys for balance adjustments; room for the ids of split closes

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-04 19:00:00

`idempotent_requests` keeps the result of every money-moving request that came with an
idempotency key (admin balance adjustments: the `Idempotency-Key` header, the CLI's
`--idempotency-key`), written in the same transaction as the ledger entry, so a retry replays it.
`orders.client_order_id` grows to 80 characters: a close split into several orders books them
under the client's id (<= 64) and that id with `:1`, `:2`, ... appended.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column('orders', 'client_order_id', type_=sa.String(80), existing_nullable=True)
    op.create_table(
        'idempotent_requests',
        sa.Column('id', sa.BigInteger(), primary_key=True),
        sa.Column('operation', sa.String(32), nullable=False),
        sa.Column('actor_id', sa.BigInteger(), nullable=False),
        sa.Column('key', sa.String(128), nullable=False),
        sa.Column('request_hash', sa.String(64), nullable=False),
        sa.Column('result', postgresql.JSONB(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('operation', 'actor_id', 'key', name='uq_idempotent_requests_key'),
    )


def downgrade():
    op.drop_table('idempotent_requests')
    op.alter_column('orders', 'client_order_id', type_=sa.String(64), existing_nullable=True)
