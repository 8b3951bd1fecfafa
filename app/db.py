"""Database engine, session factory and the declarative base."""
from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.config import get_settings

# Stable constraint names so Alembic migrations and the models compare equal.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL (the settings' URL by default)."""
    # hide_parameters: errors and logs must never carry the personal data bound into a statement.
    return create_engine(url or get_settings().database_url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=True)


def session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards (services commit)."""
    with session_factory()() as session:
        yield session
