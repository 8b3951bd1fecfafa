"""A real database failure during intake: errors for the web and Open311 callers, a polite Kakao message,
and no half report (nor its photo file) left behind."""
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from app.config import get_settings
from app.db import get_session
from app.dev.pgcluster import drop_database, free_port
from app.main import create_app
from tests.conftest import fresh_database, login

FAIL_EVENTS = [
    "CREATE FUNCTION test_fail_intake() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'forced failure during intake'; END $$",
    "CREATE TRIGGER test_fail_intake BEFORE INSERT ON report_events FOR EACH ROW "
    "EXECUTE FUNCTION test_fail_intake()",
]


def app_on(url: str):
    """The app with request sessions on `url` (a real, separate database)."""
    engine = create_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def sessions():
        with factory() as session:
            yield session

    application = create_app()
    application.dependency_overrides[get_session] = sessions
    return application, engine


@pytest.fixture
def failing_db(pg_server, seeded_template):
    """A fresh copy of the seeded database where every report_events insert raises."""
    url = fresh_database(pg_server, seeded_template)
    name = make_url(url).database
    admin = create_engine(pg_server.url(name, app=False))
    with admin.begin() as conn:
        for statement in FAIL_EVENTS:
            conn.execute(text(statement))
    yield url, admin
    admin.dispose()
    drop_database(pg_server.admin_url, name)


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HAPPYMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    get_settings.cache_clear()
    yield tmp_path / "uploads"
    monkeypatch.delenv("HAPPYMAP_UPLOAD_DIR")
    get_settings.cache_clear()


def reports_in(admin) -> int:
    with admin.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM reports")).scalar_one()


def test_database_failure_during_intake_leaves_no_half_report(failing_db, upload_dir):
    url, admin = failing_db
    application, engine = app_on(url)
    client = TestClient(application)
    before = reports_in(admin)
    headers = login(client, "tongjang01")

    web = client.post("/api/v1/reports", headers=headers, json={"description": "저장 실패 시험", "lon": 126.9560,
                                                                "lat": 37.5640})
    assert web.status_code == 503 and "저장하지 못했습니다" in web.json()["detail"]

    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    with_photo = client.post("/api/v1/reports", headers=headers, data={"description": "사진과 함께 실패"},
                             files=[("photos", ("a.jpg", jpeg.getvalue(), "image/jpeg"))])
    assert with_photo.status_code == 503
    assert not any(p.is_file() for p in upload_dir.rglob("*")) if upload_dir.exists() else True

    open311 = client.post("/open311/v2/requests.xml", data={
        "api_key": "local-open311-key", "service_code": "debt", "lat": "37.5640", "long": "126.9560",
        "description": "저장 실패 시험"})
    assert open311.status_code == 400 and b"<errors><error><code>400</code>" in open311.content

    kakao = client.post("/integrations/kakao/skill?key=local-kakao-key", json={
        "userRequest": {"utterance": "저장이 실패하는 상황에서 보낸 신고", "user": {"id": "kakao-fail"}}})
    assert kakao.status_code == 200
    said = kakao.json()["template"]["outputs"][0]["simpleText"]["text"]
    assert kakao.json()["version"] == "2.0" and "죄송합니다" in said and "R-" not in said

    assert reports_in(admin) == before
    engine.dispose()


def test_unreachable_database_gives_kakao_a_polite_answer_and_open311_an_error():
    dead = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    application, engine = app_on(dead)
    client = TestClient(application)
    kakao = client.post("/integrations/kakao/skill?key=local-kakao-key", json={
        "userRequest": {"utterance": "데이터베이스가 꺼져 있을 때의 신고입니다", "user": {"id": "kakao-dead"}}})
    assert kakao.status_code == 200 and "죄송합니다" in kakao.json()["template"]["outputs"][0]["simpleText"]["text"]
    open311 = client.post("/open311/v2/requests.json", data={
        "api_key": "local-open311-key", "service_code": "debt", "address_string": "어딘가", "description": "x"})
    assert open311.status_code == 400 and open311.json()[0]["code"] == 400
    engine.dispose()
