"""One transaction per operation: the request's unit of work commits once after the route succeeded, before the
answer is sent, and a route that fails after writing leaves nothing behind; commands use unit_of_work()."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import unit_of_work
from app.deps import SessionDep
from app.errors import InvalidInput
from app.households import service as households
from app.households.models import Household
from app.households.schemas import HouseholdCreate
from app.policy.principal import Principal

POINT = {"lon": 126.9368, "lat": 37.5791}  # inside 서대문구


def _admin(engine) -> Principal:
    with Session(engine) as s:
        return Principal(user_id=s.scalar(select(User.id).where(User.username == "admin")), username="admin",
                         role="admin")


def _named(engine, name: str) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Household).where(Household.head_name == name))


@pytest.fixture
def probe(fresh):
    """Two routes outside /api/v1 on the fresh app: one writes and succeeds, one writes and then fails."""
    admin = _admin(fresh.engine)

    def create(name: str, session: SessionDep, fail: bool = False):
        household = households.create(session, admin, HouseholdCreate(head_name=name, address="테스트로 1", **POINT),
                                      "POST /probe")
        if fail:
            raise InvalidInput("일부러 실패합니다.")
        return {"id": household["id"]}

    fresh.app.add_api_route("/probe", create, methods=["POST"])
    return fresh


def test_a_successful_operation_is_committed_before_the_answer(probe):
    r = probe.client.post("/probe", params={"name": "커밋확인"})
    assert r.status_code == 200
    assert _named(probe.engine, "커밋확인") == 1  # another connection sees it as soon as the answer is there


def test_an_operation_that_fails_after_writing_leaves_nothing(probe):
    r = probe.client.post("/probe", params={"name": "롤백확인", "fail": True})
    assert r.status_code == 422 and r.json()["detail"] == "일부러 실패합니다."
    assert _named(probe.engine, "롤백확인") == 0


def test_a_failed_sign_in_is_counted_although_the_request_fails(fresh):
    r = fresh.client.post("/api/v1/auth/token", data={"username": "dong02", "password": "wrong-password-1"})
    assert r.status_code == 401
    with Session(fresh.engine) as s:
        assert s.scalar(select(User.failed_logins).where(User.username == "dong02")) == 1


def test_unit_of_work_commits_once_or_not_at_all(fresh):
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(bind=fresh.engine, expire_on_commit=False)
    admin = _admin(fresh.engine)
    with unit_of_work(factory) as session:
        households.create(session, admin, HouseholdCreate(head_name="명령확인", address="테스트로 2", **POINT), "cli")
    assert _named(fresh.engine, "명령확인") == 1
    with pytest.raises(InvalidInput), unit_of_work(factory) as session:
        households.create(session, admin, HouseholdCreate(head_name="명령실패", address="테스트로 3", **POINT), "cli")
        raise InvalidInput("중간에 실패")
    assert _named(fresh.engine, "명령실패") == 0
