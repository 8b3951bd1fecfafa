"""The /report page in headless Chromium at 360 px: sign in, use my location, file, see the receipt and
later the status. Its own live uvicorn on a fresh database copy (the UI helper owns tests/browser/)."""
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from app.tracts.models import Dong
from tests.conftest import DEMO_PASSWORD, serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(pg_server, seeded_template) -> Iterator[tuple[str, sessionmaker]]:
    with serve_app(pg_server, seeded_template) as live:
        yield live


@pytest.fixture
def chromium(browser):
    return browser


def test_report_form_on_a_phone(server, chromium):
    base, factory = server
    with factory() as session:
        dong = session.execute(select(Dong).order_by(Dong.code).limit(1)).scalar_one()
        lon, lat = session.execute(select(func.ST_X(func.ST_PointOnSurface(dong.geom)),
                                          func.ST_Y(func.ST_PointOnSurface(dong.geom)))).one()
    context = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                   has_touch=True, locale="ko-KR", permissions=["geolocation"],
                                   geolocation={"longitude": lon, "latitude": lat, "accuracy": 12})
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
    try:
        page.goto(base + "/report")
        expect(page.locator("h1")).to_have_text("사각지대 신고")
        page.fill("#username", "tongjang01")
        page.fill("#password", "wrong-password")
        page.click("#login-submit")
        expect(page.locator("#login-message")).to_contain_text("올바르지 않거나")
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#form-view")).to_be_visible()
        expect(page.locator("#who")).to_have_text("tongjang01")

        page.click("#submit")
        expect(page.locator("#form-message")).to_have_text("어떤 상황인지 적어 주세요.")
        hostile = '<img src=x onerror="window.pwned=1"> 반지하 할머니 댁, 가스가 끊겼어요'
        page.fill("#description", hostile)
        page.click("#geo-button")
        expect(page.locator("#geo-status")).to_contain_text("현재 위치를 함께 보냅니다")
        page.get_by_label("단전·단수·단가스").check()
        page.get_by_label("독거노인").check()
        page.fill("#address", "충현동 어딘가 2층")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=_shot("report-form.png"), full_page=True)
        page.click("#submit")
        expect(page.locator("#receipt-view")).to_be_visible()
        receipt = page.locator("#receipt-no").inner_text()
        assert re.fullmatch(r"R-\d{8}-\d{4,}", receipt)
        expect(page.locator("#receipt-status")).to_have_text("상태: 접수")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        item = page.locator(f'#mine li[data-receipt="{receipt}"]')
        expect(item.locator(".badge")).to_have_text("접수")
        expect(item.locator(".desc")).to_contain_text("<img src=x")  # shown as text, never as markup
        assert page.evaluate("window.pwned === undefined")
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0
        page.screenshot(path=_shot("report-receipt.png"))

        # Staff dismiss it; the reporter sees the status and the reason after a refresh.
        with httpx.Client(base_url=base) as api:
            token = api.post("/api/v1/auth/token", data={"username": "dong01", "password": DEMO_PASSWORD})
            staff = {"Authorization": f"Bearer {token.json()['access_token']}"}
            queue = api.get("/api/v1/reports", params={"status": "new", "dong_id": dong.id}, headers=staff).json()
            report = next(i for i in queue["items"] if i["receipt_no"] == receipt)
            assert report["dong_id"] == dong.id and report["channel"] == "web"
            assert report["indicators"] == ["utility_cutoff", "elderly_alone"]
            assert api.post(f"/api/v1/reports/{report['id']}/dismiss", headers=staff,
                            json={"reason": "가스 요금 긴급 지원을 이미 연결했습니다."}).status_code == 200
        page.click("#refresh")
        expect(item.locator(".badge")).to_have_text("종결")
        expect(item.locator(".note")).to_contain_text("가스 요금 긴급 지원")

        page.click("#new-report")
        expect(page.locator("#form-view")).to_be_visible()
        page.click("#logout")
        expect(page.locator("#login-view")).to_be_visible()
        assert errors == [] and outside == []
    finally:
        context.close()


def _shot(name: str) -> str:
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)
