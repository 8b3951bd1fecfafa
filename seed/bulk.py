"""Fast multi-row inserts through Core (the ORM's bulk path with RETURNING is slow for big batches)."""
from sqlalchemy import insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """INSERT many rows of `model` in batched multi-VALUES statements."""
    if rows:
        session.connection().execute(insert(model.__table__), rows)


def insert_returning_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """INSERT many rows and return their new ids in the order of `rows`."""
    if not rows:
        return []
    table = model.__table__
    result = session.connection().execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())
