"""Report photos: multipart intake, type by magic bytes, size limits, storage outside the web root."""
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.config import get_settings
from app.reports import photos as photo_store
from app.reports.models import Report, ReportPhoto

ROOT = Path(__file__).resolve().parent.parent


def image_bytes(fmt: str, size=(64, 48), colour=(200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setenv("HAPPYMAP_UPLOAD_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    monkeypatch.delenv("HAPPYMAP_UPLOAD_DIR")
    get_settings.cache_clear()


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_multipart_report_with_photos(client, as_user, session, upload_dir):
    jpeg, png = image_bytes("JPEG"), image_bytes("PNG")
    answer = client.post("/api/v1/reports", headers={**as_user("tongjang01"), "X-Happymap-Client": "report-form"},
                         data={"description": "창문이 깨진 채로 겨울을 나고 있어요", "address": "",
                               "indicators": "housing_crisis,elderly_alone", "reporter_contact": "010-9999-0000"},
                         files=[("photos", ("window.jpg", jpeg, "image/jpeg")),
                                ("photos", ("door.png", png, "application/octet-stream"))])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["photos"] == 2 and body["needs_location"] is True
    report = session.get(Report, body["id"])
    assert report.channel == "web" and report.indicators == ["housing_crisis", "elderly_alone"]
    files = stored_files(upload_dir)
    assert len(files) == 2 and all(upload_dir.resolve() in f.resolve().parents for f in files)
    assert not any((ROOT / "map_ui").resolve() in f.resolve().parents for f in files)

    detail = client.get(f"/api/v1/reports/{body['id']}", headers=as_user("district")).json()
    assert [p["content_type"] for p in detail["photos"]] == ["image/jpeg", "image/png"]
    photo = client.get(detail["photos"][0]["url"], headers=as_user("district"))
    assert photo.status_code == 200 and photo.content == jpeg and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"
    # Only through the API, only in scope.
    assert client.get(detail["photos"][0]["url"]).status_code == 401
    assert client.get(detail["photos"][0]["url"], headers=as_user("dong07")).status_code == 404
    assert client.get(f"/static/{files[0].name}").status_code == 404


@pytest.mark.parametrize("files, status, fragment", [
    ([("photos", ("fake.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"))], 422, "JPEG"),
    ([("photos", ("doc.pdf", b"%PDF-1.4 not an image", "image/png"))], 422, "JPEG"),
    ([("photos", (f"p{i}.png", image_bytes("PNG"), "image/png")) for i in range(4)], 422, "3장"),
    ([("photos", (f"p{i}.png", image_bytes("PNG"), "image/png")) for i in range(6)], 422, "3장"),
    ([("photos", ("huge.jpg", b"\xff\xd8\xff\xe0" + b"0" * (photo_store.MAX_PHOTO_BYTES + 10), "image/jpeg"))],
     413, "MB"),
])
def test_bad_photos_are_refused_and_nothing_is_kept(client, as_user, session, upload_dir, files, status,
                                                    fragment):
    before = (count(session, Report), count(session, ReportPhoto))
    answer = client.post("/api/v1/reports", headers=as_user("tongjang01"),
                         data={"description": "사진 검증 테스트"}, files=files)
    assert answer.status_code == status and fragment in answer.json()["detail"]
    assert (count(session, Report), count(session, ReportPhoto)) == before
    assert stored_files(upload_dir) == []


def test_body_over_the_limit_is_413(client, as_user, session, upload_dir):
    before = count(session, Report)
    big = b"\xff\xd8\xff\xe0" + b"0" * (get_settings().max_body_bytes + 1)
    answer = client.post("/api/v1/reports", headers=as_user("tongjang01"), data={"description": "너무 큰 요청"},
                         files=[("photos", ("big.jpg", big, "image/jpeg"))])
    assert answer.status_code == 413 and "너무 큽니다" in answer.json()["detail"]
    assert count(session, Report) == before and stored_files(upload_dir) == []


def test_sniff_recognises_image_types():
    assert photo_store.sniff(image_bytes("JPEG")) == "image/jpeg"
    assert photo_store.sniff(image_bytes("PNG")) == "image/png"
    assert photo_store.sniff(image_bytes("WEBP")) == "image/webp"
    assert photo_store.sniff(b"\x00\x00\x00\x18ftypheic\x00\x00") == "image/heic"
    assert photo_store.sniff(image_bytes("GIF")) is None
    assert photo_store.sniff(b"") is None
