"""returns: products, purchases, return requests and lines; longer counter keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_counters") as batch:
        batch.alter_column("period", type_=sa.String(length=20), existing_type=sa.String(length=6))
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("part_no", sa.String(length=80), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200)),
        sa.Column("spec", sa.String(length=200)),
        sa.Column("unit_price", sa.Numeric(14, 4, asdecimal=False)),
    )
    op.create_table(
        "purchases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dealer_code", sa.String(length=60), nullable=False, index=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(16, 2, asdecimal=False), nullable=False),
    )
    op.create_index(
        "ux_purchases_dealer_period", "purchases", ["dealer_code", "period"], unique=True
    )
    op.create_table(
        "return_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), index=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id")),
        sa.Column("dealer_code", sa.String(length=60), index=True),
        sa.Column("dealer_name", sa.String(length=200)),
        sa.Column("sheet_date", sa.Date()),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_reason", sa.Text()),
    )
    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("return_requests.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=80), index=True),
        sa.Column("part_no", sa.String(length=80), index=True),
        sa.Column("product_name", sa.String(length=200)),
        sa.Column("spec", sa.String(length=200)),
        sa.Column("batch_no", sa.String(length=80)),
        sa.Column("quantity", sa.Numeric(14, 3, asdecimal=False)),
        sa.Column("unit", sa.String(length=20)),
        sa.Column("unit_price", sa.Numeric(14, 4, asdecimal=False)),
        sa.Column("amount", sa.Numeric(16, 2, asdecimal=False)),
        sa.Column("ship_date", sa.Date()),
        sa.Column("reason", sa.String(length=30)),
        sa.Column("action", sa.String(length=30)),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("decided_by", sa.String(length=320)),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("slip_no", sa.String(length=40), index=True),
    )


def downgrade() -> None:
    op.drop_table("return_lines")
    op.drop_table("return_requests")
    op.drop_index("ux_purchases_dealer_period", "purchases")
    op.drop_table("purchases")
    op.drop_table("products")
    with op.batch_alter_table("case_counters") as batch:
        batch.alter_column("period", type_=sa.String(length=6), existing_type=sa.String(length=20))
