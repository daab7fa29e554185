"""reports sent (one row per report and period), and each case's channel

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch.create_index("ix_cases_opened_at", ["opened_at"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=998)),
        sa.Column("summary", sa.JSON(), nullable=False),
    )
    op.create_index("ux_reports_kind_period", "reports", ["kind", "period"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_reports_kind_period", "reports")
    op.drop_table("reports")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_opened_at")
        batch.drop_column("channel")
