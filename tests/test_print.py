"""Printouts: tract and dong PDFs, the offline HTML map, route order, privacy and bad input."""
import io
import re
import subprocess
from html.parser import HTMLParser

import pdfplumber
import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont
from sqlalchemy import func, select

from app.access.models import AccessRecord
from app.config import get_settings
from app.households.models import Household
from app.policy.masking import mask_name
from app.policy.principal import Principal
from app.printing import service
from app.printing.route import path_length
from app.printing.schemas import PrintOptions
from app.tracts.models import Dong, Tract
from tests.conftest import busiest_tract, me

PURPOSE = "3월 정기 현장 방문"


def _pdf_text(body: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _list_rows(body: bytes) -> list[list[str]]:
    """Household rows of the list tables (header rows dropped), in page order."""
    rows = []
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                rows += [r for r in table if r and r[0] and r[0].strip().isdigit()]
    return rows


def _tract_households(session, tract_id: int) -> list[Household]:
    return session.execute(select(Household).where(Household.tract_id == tract_id, Household.status == "active")
                           ).scalars().all()


def _last_print(session) -> AccessRecord:
    return session.execute(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).scalar_one()


class _Refs(HTMLParser):
    """Counts the scripts and every src/href attribute of the elements (not text inside scripts)."""

    def __init__(self):
        super().__init__()
        self.found = {"script": 0, "external": []}

    def handle_starttag(self, tag, attrs):
        self.found["script"] += tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster") and value and not value.startswith(("#", "data:")):
                self.found["external"].append(f"{tag} {name}={value}")


def _references(html: str) -> dict:
    parser = _Refs()
    parser.feed(html)
    return parser.found


def _png(body: bytes, artifacts, name: str, page: int = 1) -> None:
    pdf = artifacts / f"{name}.pdf"
    pdf.write_bytes(body)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), str(pdf),
                    str(artifacts / name)], check=True, timeout=60)


def test_tract_pdf_map_and_list(client, dong01, session, artifacts):
    headers, dong_id, tract = dong01
    n = tract["household_count"]
    assert n > 0
    response = client.get(f"/api/v1/print/tracts/{tract['id']}.pdf", params={"purpose": PURPOSE}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    body = response.content
    _png(body, artifacts, "print_tract_map", 1)
    _png(body, artifacts, "print_tract_list", 2)

    text = _pdf_text(body)
    assert len(PdfReader(io.BytesIO(body)).pages) == len(text) >= 2
    assert "범례" in text[0] and all(f"{tract['name']} 방문 목록" in page for page in text[1:])  # header repeats
    rows = _list_rows(body)
    assert len(rows) == n
    assert sorted(int(r[0]) for r in rows) == list(range(1, n + 1))
    assert [int(r[0]) for r in rows] == list(range(1, n + 1))  # the list follows the route

    assert tract["name"] in text[0] and "현장 방문 지도" in text[0]
    for word in ("범례", "고위험", "미방문", "출력자 dong01", PURPOSE, "조건", "KST"):
        assert word in text[0], word
    everything = "\n".join(text)
    assert "방문" in text[1] and "메모" in text[1] and "번호" in text[1]
    households = _tract_households(session, tract["id"])
    assert len(households) == n
    names = {r[1] for r in rows}
    for h in households:
        assert mask_name(h.head_name) in names
        assert h.head_name not in everything
        if h.phone:
            assert h.phone not in everything

    record = _last_print(session)
    assert record.action == "print" and record.purpose == PURPOSE and record.username == "dong01"
    assert sorted(record.household_ids) == sorted(h.id for h in households)
    assert record.resource == f"GET /api/v1/print/tracts/{tract['id']}.pdf"


def test_korean_text_is_real_glyphs_not_tofu(client, dong01):
    headers, _, tract = dong01
    body = client.get(f"/api/v1/print/tracts/{tract['id']}.pdf", params={"purpose": PURPOSE},
                      headers=headers).content
    text = "".join(_pdf_text(body))
    korean = {ch for ch in text if "\uac00" <= ch <= "\ud7a3"}
    assert len(korean) > 50
    assert "\ufffd" not in text
    font = TTFont("check", get_settings().print_font_path)
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in font.face.charToGlyph}
    assert not missing, missing
    fonts = {str(f.get_object()["/BaseFont"]) for p in PdfReader(io.BytesIO(body)).pages
             for f in p["/Resources"]["/Font"].values()}
    assert fonts and all("Nanum" in f or "Happymap" in f for f in fonts), fonts
    assert re.search(r"\d+통", text)


def test_route_is_shorter_than_unsorted_and_matches_the_list(client, dong01, session):
    headers, dong_id, tract = dong01
    admin = Principal(user_id=0, username="admin", role="admin")
    job = service.tract_job(session, admin, tract["id"], PrintOptions(purpose=PURPOSE))
    sheet = job.sheets[0]
    points = [(s.x, s.y) for s in sheet.stops]
    by_id = sorted(range(len(points)), key=lambda i: sheet.stops[i].household["id"])
    route = list(range(len(points)))
    assert path_length(sheet.start, points, route) < path_length(sheet.start, points, by_id)
    assert sheet.route_m == pytest.approx(path_length(sheet.start, points, route))
    office = session.execute(select(func.ST_X(Dong.office_geom), func.ST_Y(Dong.office_geom))
                             .where(Dong.id == dong_id)).one()
    assert sheet.start_lonlat == pytest.approx(tuple(office))

    body = client.get(f"/api/v1/print/tracts/{tract['id']}.pdf", params={"purpose": PURPOSE},
                      headers=headers).content
    rows = _list_rows(body)
    assert [r[1] for r in rows] == [s.household["head_name"] for s in sheet.stops]


def test_urgent_first_and_filters(client, dong01, session):
    headers, dong_id, tract = dong01
    admin = Principal(user_id=0, username="admin", role="admin")
    job = service.tract_job(session, admin, tract["id"], PrintOptions(purpose=PURPOSE, urgent_first=True))
    urgent = [s.household["risk_level"] == "high" or s.household["overdue"] for s in job.sheets[0].stops]
    assert any(urgent)
    assert urgent == sorted(urgent, reverse=True)  # every urgent household before the others

    response = client.get(f"/api/v1/print/tracts/{tract['id']}.pdf",
                          params={"purpose": PURPOSE, "risk": "unvisited", "start": "126.9368,37.5791"},
                          headers=headers)
    assert response.status_code == 200, response.text
    rows = _list_rows(response.content)
    expected = sum(1 for h in _tract_households(session, tract["id"]) if h.risk_level == "unvisited")
    assert len(rows) == expected and all(r[3] == "미방문" for r in rows)
    first = _pdf_text(response.content)[0]
    assert "위험도 미방문" in first and "출발점(지정)" in first


def test_dong_atlas(client, dong01, session, artifacts):
    headers, dong_id, _ = dong01
    tracts = client.get("/api/v1/tracts", params={"dong_id": dong_id}, headers=headers).json()["items"]
    response = client.get(f"/api/v1/print/dongs/{dong_id}.pdf", params={"purpose": PURPOSE}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.content
    _png(body, artifacts, "print_dong_cover", 1)
    text = _pdf_text(body)
    assert len(text) >= 1 + 2 * len(tracts)
    cover = text[0]
    assert "지도 모음" in cover
    for t in tracts:
        assert t["name"] in cover
    total = sum(t["household_count"] for t in tracts)
    assert f"활성 가구 {total}" in cover
    rows = _list_rows(body)
    assert len(rows) == total
    map_pages = [k for k, page in enumerate(text) if "현장 방문 지도" in page and "범례" in page]
    assert len(map_pages) == len(tracts)
    titles = [re.search(r"(\S+ \d+통) 현장 방문 지도", text[k]).group(1) for k in map_pages]
    assert titles == [t["name"] for t in sorted(tracts, key=lambda t: t["number"])]  # tract order
    record = _last_print(session)
    ids = session.execute(select(Household.id).where(Household.dong_id == dong_id, Household.status == "active",
                                                     Household.tract_id.is_not(None))).scalars().all()
    assert record.action == "print" and sorted(record.household_ids) == sorted(ids)


@pytest.mark.browser
def test_offline_html_shows_every_marker(client, dong01, session, artifacts, browser):
    headers, _, tract = dong01
    response = client.get(f"/api/v1/print/tracts/{tract['id']}.html", params={"purpose": PURPOSE},
                          headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    references = _references(html)
    assert references["script"] >= 1 and not references["external"], references
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html, re.I)
    assert not re.search(r"@import|cdn\.|jquery|bootstrap|awesome|fontawesome", html, re.I)
    assert "L.map(" in html and "leaflet" in html.lower()
    households = _tract_households(session, tract["id"])
    for h in households:
        assert h.head_name not in html
    assert _last_print(session).resource.endswith(".html")
    path = artifacts / "print_tract_offline.html"
    path.write_text(html, encoding="utf-8")

    outside, errors = [], []
    context = browser.new_context(viewport={"width": 412, "height": 860})
    context.set_offline(True)

    def guard(route):
        if route.request.url.startswith(("file:", "data:")):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector(".hm-marker")
    markers = page.locator(".leaflet-marker-icon.hm-marker").count()
    rows = page.locator("#round-rows tr").count()
    numbers = page.locator(".hm-marker text").all_text_contents()
    frame = page.locator(".folium-map").bounding_box()
    boxes = [m.bounding_box() for m in page.locator(".hm-marker").all()]
    page.screenshot(path=str(artifacts / "print_tract_offline.png"))
    page.locator(".hm-marker").first.click()
    popup = page.locator(".leaflet-popup-content").inner_text()
    context.close()
    assert not errors, errors
    assert not outside, outside
    assert markers == len(households) == rows
    assert sorted(int(n) for n in numbers if n.strip().isdigit()) == list(range(1, len(households) + 1))
    assert "*" in popup
    inside = [b for b in boxes if frame["x"] <= b["x"] + b["width"] / 2 <= frame["x"] + frame["width"]
              and frame["y"] <= b["y"] + b["height"] / 2 <= frame["y"] + frame["height"]]
    assert len(inside) == len(households)  # the map opens fitted to the tract: every marker in view


def test_empty_round_still_prints(client, dong01, session):
    from app.printing.offline_map import render_html
    from app.printing.pdf import render_pdf

    _, _, tract = dong01
    admin = Principal(user_id=0, username="admin", role="admin")
    job = service.tract_job(session, admin, tract["id"], PrintOptions(purpose=PURPOSE, risk=("high",)))
    job.sheets[0].stops = []
    text = _pdf_text(render_pdf(job))
    assert len(text) == 2 and "조건에 맞는 활성 가구가 없습니다" in text[1]
    html = render_html(job)
    assert "hm-marker hm-" not in html and "활성 가구 0" in html and "L.map(" in html


def test_bad_input_and_scope(client, as_user, dong01, session):
    headers, dong_id, tract = dong01
    url = f"/api/v1/print/tracts/{tract['id']}.pdf"
    before = session.execute(select(func.count()).select_from(AccessRecord)
                             .where(AccessRecord.action == "print")).scalar_one()

    missing = client.get(url, headers=headers)
    assert missing.status_code == 422 and "출력 사유" in missing.json()["detail"]
    assert client.get(url, params={"purpose": "   "}, headers=headers).status_code == 422
    assert client.get(f"/api/v1/print/dongs/{dong_id}.pdf", headers=headers).status_code == 422
    assert client.get(f"/api/v1/print/tracts/{tract['id']}.html", headers=headers).status_code == 422
    for params in ({"risk": "extreme"}, {"need": "pizza"}, {"start": "37.5,126.9"}, {"start": "x,y"},
                   {"start": "126.9"}, {"purpose": "x" * 301}):
        bad = client.get(url, params={"purpose": PURPOSE, **params}, headers=headers)
        assert bad.status_code == 422, params
        assert re.search(r"[가-힣]", bad.json()["detail"]), bad.json()

    p = {"purpose": PURPOSE}
    assert client.get("/api/v1/print/tracts/2147483647.pdf", params=p, headers=headers).status_code == 404
    assert client.get("/api/v1/print/tracts/2147483647.html", params=p, headers=headers).status_code == 404
    assert client.get("/api/v1/print/dongs/2147483647.pdf", params=p, headers=headers).status_code == 404
    assert client.get("/api/v1/print/tracts/abc.pdf", params=p, headers=headers).status_code == 422

    other_tract, other_dong = session.execute(
        select(Tract.id, Tract.dong_id).where(Tract.dong_id != dong_id).order_by(Tract.id).limit(1)).one()
    for path in (f"/api/v1/print/tracts/{other_tract}.pdf", f"/api/v1/print/tracts/{other_tract}.html",
                 f"/api/v1/print/dongs/{other_dong}.pdf"):
        answer = client.get(path, params=p, headers=headers)
        assert answer.status_code == 404  # exactly like a missing record

    # Partners and 통장 may not print: refused by role (403) or, outside their scope, as missing (404).
    partner = as_user("partner01")
    for path in (url, f"/api/v1/print/dongs/{dong_id}.pdf", f"/api/v1/print/tracts/{tract['id']}.html"):
        assert client.get(path, params=p, headers=partner).status_code in (403, 404)
    tongjang = as_user("tongjang01")
    own = me(client, tongjang)["tract_ids"][0]
    assert client.get(f"/api/v1/print/tracts/{own}.pdf", params=p, headers=tongjang).status_code == 403
    assert client.get(f"/api/v1/print/tracts/{other_tract}.pdf", params=p, headers=tongjang).status_code in (403, 404)
    assert client.get(url, params=p).status_code == 401

    after = session.execute(select(func.count()).select_from(AccessRecord)
                            .where(AccessRecord.action == "print")).scalar_one()
    assert after == before  # nothing printed, nothing recorded


def test_district_staff_prints_any_dong(client, as_user, session):
    headers = as_user("district")
    dong_id = session.execute(select(Dong.id).order_by(Dong.code.desc()).limit(1)).scalar_one()
    tract = busiest_tract(client, headers, dong_id)
    response = client.get(f"/api/v1/print/tracts/{tract['id']}.pdf", params={"purpose": PURPOSE}, headers=headers)
    assert response.status_code == 200
    assert len(_list_rows(response.content)) == tract["household_count"]
