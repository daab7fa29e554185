"""batch alerts: complaints naming the same batch (or product and model), and each case's link

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 06:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=500), nullable=False, index=True),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("batch_alert_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_cases_batch_alert_id", "batch_alerts", ["batch_alert_id"], ["id"]
        )
        batch.create_index("ix_cases_batch_alert_id", ["batch_alert_id"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_batch_alert_id")
        batch.drop_constraint("fk_cases_batch_alert_id", type_="foreignkey")
        batch.drop_column("batch_alert_id")
    op.drop_table("batch_alerts")
