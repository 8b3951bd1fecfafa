"""Database engine, session factory and the declarative base."""
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import lru_cache

from anyio import to_thread
from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app.config import get_settings
from app.errors import Conflict, is_database_unavailable

log = logging.getLogger("app.db")

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


# Session settings for every connection (no round trip per request), measured at 150,000 households
# (../shared/PERFORMANCE.md): JIT compiling and parallel workers cost small map queries more than they save
# (a tile: 704 ms with JIT, 221 ms without); a generic plan from a prepared statement scanned whole trigram
# indexes for a one-syllable search, so every execution gets a plan for its own values.
CONNECT_ARGS = {"options": "-c jit=off -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_custom_plan"}


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL (the settings' URL by default)."""
    # hide_parameters: errors and logs must never carry the personal data bound into a statement.
    return create_engine(url or get_settings().database_url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=True, connect_args=CONNECT_ARGS)


def session_factory() -> sessionmaker[Session]:
    return _factory_for(get_engine())


@lru_cache
def _factory_for(engine: Engine) -> sessionmaker[Session]:
    # One per engine: a sessionmaker makes its own Session subclass, whose event set-up cost about a seventh of
    # a small request's CPU when every request made a new one.
    return sessionmaker(bind=engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[Session]:
    """FastAPI dependency: one session per request, closed after the answer went out.

    Services only flush; the request's unit of work (`app.deps.transaction`) commits once. Async because a new
    session touches nothing; closing needs a worker thread only while it still holds a connection (the unit of
    work's commit has normally released it), so a request pays no thread hop for its session."""
    session = session_factory()()
    try:
        yield session
    finally:
        try:
            if session.in_transaction():
                await to_thread.run_sync(session.close)
            else:
                session.close()
        except Exception as exc:  # the answer is already out; a lost connection is discarded, not re-raised
            if not is_database_unavailable(exc):
                raise
            log.warning("session closed on a lost connection: %s", type(exc).__name__)


@contextmanager
def unit_of_work(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """One business operation outside HTTP (CLI, seed, jobs): commit once at the end, roll back on any error."""
    with (factory or session_factory())() as session, session.begin():
        yield session


def flush_versioned(session: Session, stale_message: str) -> None:
    """Flush changes of versioned rows; a row someone changed meanwhile is a 409, never a lost update."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(stale_message) from None
