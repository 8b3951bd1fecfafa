"""A transaction that loses a race (serialization failure, deadlock) is rolled back by PostgreSQL and the
request runs once more: the caller gets one answer and the row is written once."""
from sqlalchemy import func, select, text

from app.households.models import Household
from tests.conftest import login

POINT = {"lon": 126.9368, "lat": 37.5791}  # inside 서대문구
# Fails the next N inserts of households with SQLSTATE 40001, as a lost serializable race does. The count is a
# sequence because sequences are not transactional: the failed attempt's rollback does not undo it.
LOSE_RACES = [
    "CREATE SEQUENCE races_run",
    """CREATE FUNCTION lose_a_race() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF nextval('races_run') <= current_setting('happymap.races_to_lose')::int THEN
               RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure';
           END IF;
           RETURN NEW;
       END $$""",
    "CREATE TRIGGER lose_a_race BEFORE INSERT ON households FOR EACH ROW EXECUTE FUNCTION lose_a_race()",
]


def households(fresh) -> int:
    with fresh.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Household)).scalar_one()


def lose_races(fresh, n: int) -> None:
    with fresh.admin.begin() as conn:
        for statement in ("DROP TRIGGER IF EXISTS lose_a_race ON households", "DROP FUNCTION IF EXISTS lose_a_race()",
                          "DROP SEQUENCE IF EXISTS races_run", *LOSE_RACES):
            conn.execute(text(statement))
        conn.execute(text(f"ALTER DATABASE {fresh.name} SET happymap.races_to_lose = {int(n)}"))
        conn.execute(text("GRANT USAGE ON SEQUENCE races_run TO happymap_app"))
    fresh.engine.dispose()  # new connections read the database's setting


def test_a_lost_race_is_run_again_once_and_writes_once(fresh):
    headers = login(fresh.client, "admin")
    body = {"head_name": "재시도", "address": "서울특별시 서대문구 연희로 9", **POINT}
    lose_races(fresh, 1)
    before = households(fresh)
    r = fresh.client.post("/api/v1/households", headers=headers, json=body)
    assert r.status_code == 201, r.text
    assert households(fresh) == before + 1

    lose_races(fresh, 2)  # lost twice: the second loss is the answer, 503 with Retry-After, nothing written
    r = fresh.client.post("/api/v1/households", headers=headers, json=body)
    assert r.status_code == 503 and r.headers["Retry-After"] and "데이터베이스" in r.json()["detail"]
    assert households(fresh) == before + 1
