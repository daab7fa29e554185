"""outbox rows know their recipient in normal form, so the per-address cap on mails to
outside senders (acknowledgements, notices) is one indexed lookup

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 06:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("recipient_key", sa.String(length=320), nullable=True))
    op.create_index("ix_outbox_recipient_created", "outbox", ["recipient_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_recipient_created", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("recipient_key")
