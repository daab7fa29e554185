"""poison items (tries and last error of a document), sources' last good poll, operator problems

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 06:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("tries", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.create_table(
        "source_polls",
        sa.Column("source", sa.String(length=200), primary_key=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=300), nullable=False, unique=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("summarised_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_problems_status", "problems", ["status"])


def downgrade() -> None:
    op.drop_index("ix_problems_status", "problems")
    op.drop_table("problems")
    op.drop_table("source_polls")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("last_error")
        batch.drop_column("tries")
