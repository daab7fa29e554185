"""case owner's role and address, and the time of its last event

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("owner_role", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("owner_email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_cases_status", ["status"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_status")
        batch.drop_column("updated_at")
        batch.drop_column("owner_email")
        batch.drop_column("owner_role")
