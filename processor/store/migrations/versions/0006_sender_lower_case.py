"""case senders lower-cased, so that the per-sender lookups use the index on them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:40:00
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE cases SET sender = lower(sender) WHERE sender <> lower(sender)")


def downgrade() -> None:
    pass  # the original case of an address is not kept; lower case is as good an address
