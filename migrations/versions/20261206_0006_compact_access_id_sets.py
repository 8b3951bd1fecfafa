"""access records keep their household ids packed (varint gaps) and their count

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# The encoding of app/idset.py, copied so that this revision means the same thing forever.
def _pack(ids) -> bytes:
    out, previous = bytearray(), 0
    for i in sorted(set(ids)):
        gap = i - previous
        while gap >= 0x80:
            out.append((gap & 0x7F) | 0x80)
            gap >>= 7
        out.append(gap)
        previous = i
    return bytes(out)


def _unpack(data: bytes) -> list[int]:
    ids, value, shift, current = [], 0, 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        current += value
        ids.append(current)
        value, shift = 0, 0
    return ids


def upgrade() -> None:
    op.add_column("access_records", sa.Column("household_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("access_records", sa.Column("household_set", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, household_ids FROM access_records WHERE cardinality(household_ids) > 0"))
    packed = [{"id": i, "set": _pack(ids), "n": len(set(ids))} for i, ids in rows]
    if packed:
        conn.execute(sa.text("UPDATE access_records SET household_set = :set, household_count = :n WHERE id = :id"),
                     packed)
    conn.execute(sa.text("UPDATE access_records SET household_set = ''::bytea WHERE household_set IS NULL"))
    op.drop_column("access_records", "household_ids")
    op.alter_column("access_records", "household_set", new_column_name="household_ids", nullable=False)


def downgrade() -> None:
    op.add_column("access_records", sa.Column("household_array", sa.ARRAY(sa.BigInteger()), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, household_ids FROM access_records"))
    arrays = [{"id": i, "a": _unpack(bytes(data))} for i, data in rows]
    if arrays:
        conn.execute(sa.text("UPDATE access_records SET household_array = :a WHERE id = :id"), arrays)
    op.drop_column("access_records", "household_ids")
    op.drop_column("access_records", "household_count")
    op.alter_column("access_records", "household_array", new_column_name="household_ids", nullable=False)
