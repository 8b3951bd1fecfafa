"""Two visits to one household at once: the row lock serialises them and neither update is lost."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth.models import User
from app.config import get_settings
from app.dev.pgcluster import drop_database
from app.households.models import Household
from app.policy.principal import Principal
from app.visits import service
from app.visits.models import Visit
from app.visits.schemas import VisitCreate


@pytest.fixture
def scratch_engine(pg_server, seeded_template):
    """A database of its own (copied from the seeded template) where commits are real."""
    from tests.conftest import fresh_database

    url = fresh_database(pg_server, seeded_template)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    drop_database(pg_server.admin_url, make_url(url).database)


def _visit(needs: list[str], indicators: list[str], minutes_ago: int) -> VisitCreate:
    return VisitCreate(visited_at=get_settings().now() - timedelta(minutes=minutes_ago), contact_type="visit",
                       visitor_types=["official"], indicators=indicators, needs=needs)


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one() > 0


def test_two_visits_at_once_both_land(scratch_engine):
    with Session(scratch_engine) as s:
        h = s.execute(select(Household).where(Household.risk_level == "low", Household.status == "active")
                      .order_by(Household.id).limit(1)).scalar_one()
        household_id, version0 = h.id, h.version
        visits0 = s.scalar(select(func.count()).where(Visit.household_id == household_id))
        admin_id = s.scalar(select(User.id).where(User.username == "admin"))
    principal = Principal(user_id=admin_id, username="admin", role="admin")
    errors: list[BaseException] = []

    def second_official():
        try:
            with Session(scratch_engine, expire_on_commit=False) as s2, s2.begin():  # one unit of work
                service.create(s2, principal, household_id, _visit(["legal"], ["debt"], 5), "test B")
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    with Session(scratch_engine, expire_on_commit=False) as s1:
        s1.execute(select(Household).where(Household.id == household_id).with_for_update())  # A holds the row
        worker = threading.Thread(target=second_official)
        worker.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(scratch_engine):  # B is blocked on A's lock, not finished
            assert time.monotonic() < deadline and worker.is_alive(), errors
            time.sleep(0.05)
        service.create(s1, principal, household_id, _visit(["food"], ["utility_cutoff", "housing_crisis"], 10),
                       "test A")
        s1.commit()  # A's unit of work ends here
    worker.join(30)
    assert not worker.is_alive() and errors == []

    with Session(scratch_engine) as s:
        h = s.get(Household, household_id)
        assert h.version == version0 + 2
        assert {"food", "legal"} <= set(h.open_needs)
        assert s.scalar(select(func.count()).where(Visit.household_id == household_id)) == visits0 + 2
        assert h.risk_level == "low"  # B's visit (debt only) is the later one: it set the level
